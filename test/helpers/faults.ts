import { manualSetpointPush, signature } from '../../connectors/netatmo/fake/push';
import type { HostCore } from './host';

/** One event as the admin API returns it. */
export interface ApiEvent {
  cursor: string;
  type: string;
  installationId: string;
  deviceId: string | null;
  data: Record<string, unknown>;
}

/**
 * Every event of an installation after `after` (all of them when undefined), through the admin API:
 * page after page until `next` comes back unchanged (a page may hold fewer events, even none, while
 * more follow: one request scans a bounded part of the partition's stream).
 */
export async function readEvents(host: HostCore, installationId: string, after?: string): Promise<{ events: ApiEvent[]; next: string | undefined }> {
  const events: ApiEvent[] = [];
  let cursor = after;
  for (;;) {
    const q = new URLSearchParams({ limit: '1000', ...(cursor ? { after: cursor } : {}) });
    const res = await host.admin(`/api/installations/${installationId}/events?${q.toString()}`);
    if (res.status !== 200) throw new Error(`events: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { events: ApiEvent[]; next: string | null };
    events.push(...page.events);
    if ((page.next ?? undefined) === cursor) return { events, next: cursor };
    cursor = page.next ?? undefined;
  }
}

export interface DeviceRow {
  id: string;
  externalId: string;
  attributes: Record<string, unknown>;
}

export async function listDevices(host: HostCore, installationId: string): Promise<DeviceRow[]> {
  const res = await host.admin(`/api/installations/${installationId}/devices`);
  if (res.status !== 200) throw new Error(`devices: ${res.status}`);
  return ((await res.json()) as { items: DeviceRow[] }).items;
}

/** A Netatmo-style setpoint push for one room, signed with the app's client secret. */
export function netatmoSetpoint(secret: string, homeId: string, roomId: string, temperature: number): { body: string; signature: string } {
  const body = manualSetpointPush({ homeId, roomId, temperature });
  return { body, signature: signature(secret, body) };
}

/** Runs `task` over `items` with at most `width` in flight, in order of the items. */
export async function inParallel<T>(items: readonly T[], width: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await task(items[i] as T, i);
      }
    }),
  );
}
