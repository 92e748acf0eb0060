import { resolve } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { childEnv } from '../helpers/child-env';
import { startHostCore, type HostCore } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { spawnTsx, type TsxChild } from '../helpers/spawn-tsx';
import { signature } from '../../connectors/netatmo/fake/push';

/**
 * Nothing acknowledged may be lost: a host process that answered 200 to a callback and was then
 * killed with SIGKILL before any worker ran leaves the payload in Redis, and a fresh worker in
 * another process applies it.
 */

let host: HostCore & { fake: FakeNetatmo };
let workers: RunningWorkers | undefined;
let child: TsxChild | undefined;

beforeEach(async () => {
  const fake = await startNetatmoKitFake();
  host = { ...(await startHostCore({ fakes: { netatmo: fake } })), fake };
});
afterEach(async () => {
  await child?.kill();
  await workers?.close();
  await host.close();
  await host.fake.stop();
});

async function startServeOnlyHost(): Promise<TsxChild> {
  const script = resolve(import.meta.dirname, 'serve-child.ts');
  return spawnTsx(script, { env: await childEnv(host.config), isReady: (line) => line.startsWith('http://') });
}

it('callback acknowledged by a host process that is then SIGKILLed before any worker ran => applied by a fresh worker', async () => {
  const inst = await link(host, undefined, 'netatmo');
  const home = host.fake.homes()[0];
  const room = home?.rooms[0];
  if (!home || !room) throw new Error('fake has no rooms');
  const externalId = `${home.id}.${room.id}`;
  expect((await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: [externalId] }) })).status).toBe(200);
  const registered = new URL(await eventually(async () => host.fake.webhookUrl(), 'addwebhook'));

  child = await startServeOnlyHost();
  const callback = `${await child.ready}${registered.pathname}${registered.search}`;
  const body = JSON.stringify({
    user_id: host.fake.userId, home_id: home.id, room_id: room.id, event_type: 'setpoint_event', push_type: 'display_change', mode: 'manual', temperature: 28,
  });
  const waiting = async () => (await host.services.webhooks.queue.getJobCounts('waiting'))['waiting'] ?? 0;
  const before = await waiting();
  const res = await fetch(callback, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-netatmo-secret': signature(host.fake.clientSecret, body) },
  });
  expect(res.status).toBe(200);
  await child.kill();

  const device = async () =>
    ((await (await host.admin(`/api/installations/${inst.id}/devices`)).json()) as { items: Array<{ attributes: Record<string, unknown> }> }).items[0];
  expect((await device())?.attributes['heatingSetpoint']).not.toBe(28);
  expect(await waiting()).toBe(before + 1);

  workers = startWorkers(host.services, { concurrency: 2 });
  await eventually(async () => (await device())?.attributes['heatingSetpoint'] === 28, 'applied after the crash');
}, 30_000);
