import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { tryAcquire } from '../../src/runtime/redis/lock';
import { MixedPartitionsError, WEBHOOK_JOB_OPTIONS, type WebhookCallback } from '../../src/ingest/webhook-queue';
import { batchJobKey } from '../../src/ingest/webhook-worker';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { listDevices, readEvents } from '../helpers/faults';
import { startHostCore, type HostCore } from '../helpers/host';
import { createInstallation, eventually, link, type LinkedInstallation } from '../helpers/link';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/spawn-worker';
import { keyNames } from '../helpers/key-names';

/**
 * The callbacks acknowledged in one event-loop turn are queued as one job. Each must still be
 * processed as its own delivery, and a job re-run after a crash must apply each callback once.
 */

type Host = HostCore & { fake: FakeNetatmo };
let host: Host;
let workers: RunningWorkers | undefined;
let child: WorkerProcess | undefined;
let clock: number;

beforeEach(async () => {
  clock = Date.now();
  const fake = await startNetatmoKitFake();
  host = { ...(await startHostCore({ fakes: { netatmo: fake }, now: () => clock })), fake };
});
afterEach(async () => {
  await child?.kill();
  child = undefined;
  await workers?.close();
  workers = undefined;
  await host.close();
  await host.fake.stop();
});

const rooms = () => {
  const home = host.fake.homes()[0];
  if (!home || home.rooms.length < 2) throw new Error('the fake needs a home with two rooms');
  return home.rooms.map((r) => ({ homeId: home.id, roomId: r.id, externalId: `${home.id}.${r.id}` }));
};
const setpoint = (room: { homeId: string; roomId: string }, temperature: number) =>
  JSON.stringify({
    user_id: host.fake.userId, home_id: room.homeId, room_id: room.roomId, event_type: 'setpoint_event', push_type: 'display_change', mode: 'manual', temperature,
  });
const activation = () => JSON.stringify({ user_id: host.fake.userId, user: { id: host.fake.userId, email: 'demo@example.com' }, push_type: 'webhook_activation' });
const callback = (installationId: string, body: string): WebhookCallback => ({ installationId, connector: 'netatmo', body, receivedAt: clock });

async function linkWithRoom(externalId: string, existing?: Awaited<ReturnType<typeof createInstallation>>): Promise<LinkedInstallation> {
  const inst = await link(host, existing, 'netatmo');
  const res = await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: [externalId] }) });
  expect(res.status).toBe(200);
  return inst;
}
const idle = async () => {
  const [w, p] = await Promise.all([
    host.services.webhooks.queue.getJobCounts('waiting', 'active', 'delayed'),
    host.services.scheduler.queue.getJobCounts('waiting', 'active'),
  ]);
  return Object.values(w).every((n) => n === 0) && Object.values(p).every((n) => n === 0);
};
const setpointOf = async (inst: LinkedInstallation) => (await listDevices(host, inst.id))[0]?.attributes['heatingSetpoint'];
const failedSet = async (inst: LinkedInstallation) =>
  (await (await host.admin(`/api/installations/${inst.id}/webhooks/failed`)).json()) as Array<{ body: string; reason: string }>;
const activatedAt = (inst: LinkedInstallation) => host.services.redis.hget(keyNames(host.services.keys).installation(inst.id), 'webhookActivatedAt');
const callbackCounts = async () =>
  Object.fromEntries((await host.services.metrics.webhookCallbacks.get()).values.map((v) => [String(v.labels['outcome']), v.value]));

describe('batched webhook jobs', () => {
  it('a job of the single queue from before the upgrade, mixing two installations of different partitions and a malformed payload => the good callbacks applied, the bad one in its failed set, the job completes', async () => {
    const [r0, r1] = rooms();
    if (!r0 || !r1) throw new Error('no rooms');
    const a = await linkWithRoom(r0.externalId);
    let second = await createInstallation(host, 'second-home', 'netatmo');
    for (let i = 0; host.services.keys.partitions.of(second.id) === host.services.keys.partitions.of(a.id); i++) {
      second = await createInstallation(host, `second-home-${i}`, 'netatmo');
    }
    const b = await linkWithRoom(r1.externalId, second);
    workers = startWorkers(host.services, { concurrency: 2 });
    await eventually(idle, 'linking work to settle');
    const countsBefore = await callbackCounts();
    await workers.close();
    workers = undefined;

    const malformed = JSON.stringify(['not', 'a', 'push']);
    const batch = [
      callback(a.id, setpoint(r0, 24.5)),
      callback(b.id, setpoint(r1, 18.5)),
      callback(b.id, malformed),
      callback(a.id, setpoint(r0, 25)),
      callback(b.id, setpoint(r1, 19)),
    ];
    // Today's producer puts one partition's callbacks in one job, in that partition's queue ...
    await expect(host.services.webhooks.enqueue(batch)).rejects.toBeInstanceOf(MixedPartitionsError);
    // ... versions before issue 16.2 batched a turn's callbacks into the single queue: such a job,
    // acknowledged before the upgrade, is still worked after it.
    const legacy = host.services.webhooks.queue.legacy;
    expect(legacy.toKey('')).toBe(`${host.services.keys.bullPrefix}:webhook:`);
    await legacy.add('webhook', { callbacks: batch }, WEBHOOK_JOB_OPTIONS);
    expect(await legacy.getWaitingCount()).toBe(1);
    workers = startWorkers(host.services, { concurrency: 2 });
    await eventually(idle, 'the batch to be processed');
    // Each installation's callbacks ran in arrival order: the later setpoint wins.
    expect(await setpointOf(a)).toBe(25);
    expect(await setpointOf(b)).toBe(19);
    const failedB = await failedSet(b);
    expect(failedB.map((f) => f.body)).toEqual([malformed]);
    expect(failedB[0]?.reason).toContain('not a Netatmo push');
    expect(await failedSet(a)).toEqual([]);
    expect(await host.services.webhooks.queue.getJobCounts('failed')).toEqual({ failed: 0 });
    const counts = await callbackCounts();
    expect((counts['applied'] ?? 0) - (countsBefore['applied'] ?? 0)).toBe(4);
    expect((counts['unparseable'] ?? 0) - (countsBefore['unparseable'] ?? 0)).toBe(1);
    expect(counts['failed'] ?? 0).toBe(countsBefore['failed'] ?? 0);
  });

  it('worker SIGKILLed after applying part of a batch => after restart each callback applied once (with and without a dedup key)', async () => {
    const [r0] = rooms();
    if (!r0) throw new Error('no rooms');
    const inst = await linkWithRoom(r0.externalId);
    // Short job locks, so the killed worker's job is recovered in about a second.
    const recovery = { WORKER_LOCK_MS: '1000', WORKER_STALLED_MS: '500' };
    child = await spawnWorkerProcess(host, recovery);
    await child.ready;
    await eventually(idle, 'linking work to settle');
    const before = (await readEvents(host, inst.id)).next;

    // The installation's sync lock held here: the worker applies the activation (no lock, no dedup
    // key) and then waits at the setpoint, mid-batch, where it is killed.
    const lock = await tryAcquire(host.services.redis, keyNames(host.services.keys).syncLock(inst.id), 60_000);
    if (!lock) throw new Error('could not take the sync lock');
    await host.services.webhooks.enqueue([callback(inst.id, activation()), callback(inst.id, setpoint(r0, 26.5))]);
    const [job] = await eventually(async () => {
      const active = await host.services.webhooks.queue.getJobs(['active']);
      return active.length === 1 ? active : undefined;
    }, 'the batch to be taken');
    if (!job) throw new Error('no active job');
    // The job is in the installation's partition's queue; its ledger names the partition.
    expect(job.queueQualifiedName).toBe(`${host.services.keys.partitionBullPrefix(host.services.keys.partitions.of(inst.id))}:webhook`);
    const doneKey = keyNames(host.services.keys).webhookBatchDone(batchJobKey(job));
    expect(doneKey).toContain(`:webhooks:batch:p${host.services.keys.partitions.of(inst.id)}:`);
    await eventually(async () => (await host.services.redis.smembers(doneKey)).includes('0'), 'the first callback to be applied');
    await child.kill();
    child = undefined;
    const activatedByFirstRun = await activatedAt(inst);
    expect(activatedByFirstRun).not.toBeNull();
    expect(await setpointOf(inst)).not.toBe(26.5);
    await lock.release();

    // The frozen clock lies behind the killed worker's real one: re-applying the activation would show.
    clock -= 60_000;
    workers = startWorkers(host.services, { concurrency: 2, lockDurationMs: 1000, stalledIntervalMs: 500 });
    await eventually(async () => (await setpointOf(inst)) === 26.5, 'the rest of the batch applied after the restart');
    await eventually(idle, 'the queue to drain');
    expect(await activatedAt(inst)).toBe(activatedByFirstRun);
    const changes = (await readEvents(host, inst.id, before)).events.filter(
      (e) => e.type === 'device.stateChanged' && (e.data['changed'] as Record<string, unknown> | undefined)?.['heatingSetpoint'] === 26.5,
    );
    expect(changes).toHaveLength(1);
    expect(await host.services.webhooks.queue.getJobCounts('failed')).toEqual({ failed: 0 });
  }, 60_000);
});
