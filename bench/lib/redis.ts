import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { toolClient } from '../../test/helpers/redis-client';
import { startPrivateRedis } from '../../src/runtime/redis-bootstrap';

export type PrivateRedis = Awaited<ReturnType<typeof startPrivateRedis>> & { client: Redis };

/** Every bench runs against its own redis-server on a free port, never the one on 6379. */
export async function benchRedis(): Promise<PrivateRedis> {
  const started = await startPrivateRedis();
  const client = toolClient(started.url);
  return { ...started, client };
}

/** Parses INFO output into key → value. */
export async function info(client: Redis, section: string): Promise<Map<string, string>> {
  const text = await client.info(section);
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

/** Total commands executed (`cmdstat_*` calls), per command. */
export async function commandCalls(client: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [key, value] of await info(client, 'commandstats')) {
    const m = /calls=(\d+)/.exec(value);
    if (key.startsWith('cmdstat_') && m) out.set(key.slice(8), Number(m[1]));
  }
  return out;
}

export async function netBytes(client: Redis): Promise<number> {
  const stats = await info(client, 'stats');
  return Number(stats.get('total_net_input_bytes') ?? 0) + Number(stats.get('total_net_output_bytes') ?? 0);
}

export async function usedMemory(client: Redis): Promise<number> {
  return Number((await info(client, 'memory')).get('used_memory') ?? 0);
}

/** Pins a process (all its threads) to the given cores; false when taskset is missing. */
export function pin(pid: number, cores: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN where unavailable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11], fields[12] are utime and stime (14th and 15th of the full line), in clock ticks.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}
