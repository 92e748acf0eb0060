/**
 * Which Redis deployment the process talks to, as the environment describes it. Pure: parsing and
 * validation only; src/runtime/redis/connections.ts turns it into clients.
 */

export interface RedisNode {
  host: string;
  port: number;
}

export type RedisTopology =
  | { kind: 'single'; url: string }
  | {
      kind: 'sentinel';
      sentinels: RedisNode[];
      /** The master group name the sentinels monitor (`sentinel monitor <name> …`). */
      name: string;
      /** AUTH for the sentinels themselves (their `requirepass`), when they have one. */
      sentinelPassword: string | undefined;
      /** ACL user and password for the data nodes (primary and replicas). */
      username: string | undefined;
      password: string | undefined;
    }
  | { kind: 'cluster'; nodes: RedisNode[]; username: string | undefined; password: string | undefined };

/**
 * `host:port,host:port,…` → nodes, or a message saying what is wrong. IPv6 hosts are written in
 * brackets (`[::1]:26379`) so that their colons are not taken for the port's.
 */
export function parseNodeList(raw: string): { nodes: RedisNode[] } | { problem: string } {
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) return { problem: 'must be a comma-separated list of host:port, with no empty entry' };
  const nodes: RedisNode[] = [];
  for (const part of parts) {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$/.exec(part);
    const port = match ? Number(match[3]) : NaN;
    if (!match || !(port >= 1 && port <= 65535)) return { problem: `"${part}" is not host:port (port 1-65535; IPv6 as [addr]:port)` };
    nodes.push({ host: match[1] ?? match[2] ?? '', port });
  }
  const seen = new Set(nodes.map((n) => `${n.host}:${n.port}`));
  if (seen.size !== nodes.length) return { problem: 'lists the same host:port twice' };
  return { nodes };
}

/** The environment variables that choose a topology (exactly one of the first three, or none). */
export interface TopologyEnv {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS?: string | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_CLUSTER_NODES?: string | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
}

/**
 * The topology, undefined when none is configured (the demo's fallback then finds or starts a
 * Redis), or every problem found, each naming its variable.
 */
export function topologyFromEnv(env: TopologyEnv): { topology: RedisTopology | undefined } | { problems: string[] } {
  const problems: string[] = [];
  const chosen = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((v) => env[v] !== undefined);
  if (chosen.length > 1) problems.push(`${chosen.join(', ')}: set only one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES`);
  const single = env.REDIS_URL !== undefined;
  // With a URL the credentials belong in it (redis://user:password@host): two sources would only
  // leave the reader guessing which one wins.
  if (single && (env.REDIS_USERNAME !== undefined || env.REDIS_PASSWORD !== undefined)) {
    problems.push('REDIS_USERNAME/REDIS_PASSWORD: not used with REDIS_URL; put the credentials in the URL (redis://user:password@host:port)');
  }
  if (env.REDIS_SENTINELS === undefined) {
    if (env.REDIS_SENTINEL_NAME !== undefined) problems.push('REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS');
    if (env.REDIS_SENTINEL_PASSWORD !== undefined) problems.push('REDIS_SENTINEL_PASSWORD: only used with REDIS_SENTINELS');
  }
  if (chosen.length === 0 && (env.REDIS_USERNAME !== undefined || env.REDIS_PASSWORD !== undefined)) {
    problems.push('REDIS_USERNAME/REDIS_PASSWORD: only used with REDIS_SENTINELS or REDIS_CLUSTER_NODES');
  }

  let topology: RedisTopology | undefined;
  if (env.REDIS_URL !== undefined) {
    if (!/^rediss?:\/\/[^\s]+$/.test(env.REDIS_URL)) problems.push('REDIS_URL: must be a redis:// or rediss:// URL');
    else topology = { kind: 'single', url: env.REDIS_URL };
  }
  if (env.REDIS_SENTINELS !== undefined) {
    const parsed = parseNodeList(env.REDIS_SENTINELS);
    if ('problem' in parsed) problems.push(`REDIS_SENTINELS: ${parsed.problem}`);
    const name = env.REDIS_SENTINEL_NAME;
    if (name === undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the monitored master name: 1-64 letters, digits, _ . -)');
    }
    if ('nodes' in parsed && name !== undefined) {
      topology = {
        kind: 'sentinel',
        sentinels: parsed.nodes,
        name,
        sentinelPassword: env.REDIS_SENTINEL_PASSWORD,
        username: env.REDIS_USERNAME,
        password: env.REDIS_PASSWORD,
      };
    }
  }
  if (env.REDIS_CLUSTER_NODES !== undefined) {
    const parsed = parseNodeList(env.REDIS_CLUSTER_NODES);
    if ('problem' in parsed) problems.push(`REDIS_CLUSTER_NODES: ${parsed.problem}`);
    else topology = { kind: 'cluster', nodes: parsed.nodes, username: env.REDIS_USERNAME, password: env.REDIS_PASSWORD };
  }
  if (env.REDIS_USERNAME !== undefined && env.REDIS_PASSWORD === undefined) problems.push('REDIS_USERNAME: needs REDIS_PASSWORD');
  return problems.length > 0 ? { problems } : { topology };
}

/** Where the process connects, for logs: never a password. */
export function describeTopology(topology: RedisTopology): string {
  switch (topology.kind) {
    case 'single': {
      try {
        const u = new URL(topology.url);
        return `single ${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
      } catch {
        return 'single (unparseable URL)';
      }
    }
    case 'sentinel':
      return `sentinel ${topology.name} via ${topology.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}`;
    case 'cluster':
      return `cluster ${topology.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  }
}
