/**
 * A real Redis Cluster on loopback for tests: 3 primaries + 3 replicas, each a redis-server process
 * of its own (`--cluster-enabled yes`) on a free port in a temporary folder, joined by
 * `redis-cli --cluster create … --cluster-replicas 1`, stopped by PID. No vitest import.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/runtime/redis-bootstrap';
import type { Cluster } from 'ioredis';
import { RedisConnections } from '../../src/runtime/redis/connections';
import type { RedisTopology } from '../../src/runtime/redis/topology';
import { infoField, started, until, waitForPing, type RedisProcess } from './sentinel';

const run = promisify(execFile);

export interface RedisCluster {
  /** The cluster as the app is configured for it (REDIS_CLUSTER_NODES: every node, as seeds). */
  topology: Extract<RedisTopology, { kind: 'cluster' }>;
  /** Every data node, in the order they were started; which ones are primaries is the cluster's choice. */
  nodes: RedisProcess[];
  /** The ports of the nodes that are primaries now. */
  primaryPorts(): Promise<number[]>;
  /** A Cluster client from the app's own factory (role `tool`, 2 s command timeout); the caller disconnects it. */
  client(): Cluster;
  stop(): Promise<void>;
}

/**
 * Starts six nodes, creates the cluster (each primary gets one replica), and resolves once every
 * node reports `cluster_state:ok` and knows all six, so a client's first slot map is complete.
 * Persistence: append-only, as on the single server and the Sentinel group.
 */
export async function startCluster(
  options: { nodeTimeoutMs?: number; /** Extra redis-server arguments for every node. */ dataArgs?: readonly string[] } = {},
): Promise<RedisCluster> {
  const dirs: string[] = [];
  const nodes: RedisProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((p) => p.kill()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  };
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      const dir = await mkdtemp(join(tmpdir(), `sm-cluster-${i}-`));
      dirs.push(dir);
      const args = [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--dir', dir,
        '--cluster-enabled', 'yes',
        // Each node keeps its own view of the cluster here; a shared default name would clash.
        '--cluster-config-file', join(dir, 'nodes.conf'),
        '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2_000),
        '--save', '',
        '--appendonly', 'yes',
        '--daemonize', 'no',
        ...(options.dataArgs ?? []),
      ];
      const node = started(args, port, dir);
      nodes.push(node);
      await waitForPing(port, node.process);
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], {
      timeout: 30_000,
    });
    for (const node of nodes) {
      await until(
        async () => {
          const info = await clusterInfo(node.port);
          return info.get('cluster_state') === 'ok' && info.get('cluster_known_nodes') === '6' ? true : undefined;
        },
        `node ${node.port} to report cluster_state:ok and know all six nodes`,
        30_000,
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const topology: RedisCluster['topology'] = { kind: 'cluster', nodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })), username: undefined, password: undefined };
  return {
    topology,
    nodes,
    client: () => {
      const client = new RedisConnections(topology, { commandTimeoutMs: 2_000 }).createCluster('tool');
      client.on('error', () => undefined);
      return client;
    },
    primaryPorts: async () => {
      const ports: number[] = [];
      for (const node of nodes) {
        if (node.process.exitCode !== null || node.process.signalCode !== null) continue;
        if ((await infoField(node.port, 'replication', 'role').catch(() => undefined)) === 'master') ports.push(node.port);
      }
      return ports;
    },
    stop,
  };
}

/** CLUSTER INFO of one node, as fields (INFO has no `cluster_known_nodes`). */
export async function clusterInfo(port: number): Promise<Map<string, string>> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info'], { timeout: 5_000 });
  return new Map(
    stdout
      .split(/\r?\n/)
      .map((line) => line.split(':') as [string, string | undefined])
      .filter((pair): pair is [string, string] => pair[1] !== undefined)
      .map(([k, v]) => [k.trim(), v.trim()]),
  );
}
