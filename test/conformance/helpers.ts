import { expect } from 'vitest';
import { eventually, type LinkedInstallation } from '../helpers/link';
import type { HostCore } from '../helpers/host';

export interface DeviceView {
  id: string;
  externalId: string;
  name: string;
  label: string;
  type: string;
  attributes: Record<string, unknown>;
}

export function api(host: HostCore, inst: LinkedInstallation) {
  const call = (path: string, init?: RequestInit) => host.admin(`/api/installations/${inst.id}${path}`, init);
  return {
    call,
    devices: async () => ((await (await call('/devices')).json()) as { items: DeviceView[] }).items,
    events: async () => ((await (await call('/events?limit=1000')).json()) as { events: Array<{ type: string; deviceId?: string }> }).events,
    select: async (ids: readonly string[]) => {
      const res = await call('/settings', { method: 'PUT', body: JSON.stringify({ devices: ids }) });
      expect(res.status).toBe(200);
    },
    /** Queue a poll through the API and wait (without sleeps) until `check` holds. */
    pollUntil: async <T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> => {
      expect((await call('/poll', { method: 'POST' })).status).toBe(202);
      return eventually(check, what);
    },
  };
}

/**
 * Waits (without sleeps of a fixed length) until `read()` gives `expected`; on timeout the error
 * carries `expected` and `actual` (the last value read), which the suite's explanation prints.
 */
export async function settlesTo(read: () => Promise<unknown>, expected: unknown, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await read();
    if (Object.is(last, expected) || JSON.stringify(last) === JSON.stringify(expected)) return;
    if (Date.now() > deadline) {
      const error = new Error(`timed out waiting for ${what}`);
      throw Object.assign(error, { expected: JSON.stringify(expected), actual: `${JSON.stringify(last) ?? 'undefined'} (the last value read)` });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
