import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHostCore, type HostCore } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { callbacksOf } from '../../src/ingest/webhook-queue';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import { signature } from '../../connectors/netatmo/fake/push';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';

type Host = HostCore & { fake: FakeNetatmo };
let host: Host;

beforeEach(async () => {
  const fake = await startNetatmoKitFake();
  host = { ...(await startHostCore({ fakes: { netatmo: fake } })), fake };
});
afterEach(async () => {
  await host.close();
  await host.fake.stop();
});

const sign = (body: string) => signature(host.fake.clientSecret, body);
const post = (url: string, body: string) =>
  fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-netatmo-secret': sign(body) } });
const waiting = () => host.services.webhooks.queue.getWaitingCount();
/** Callbacks held by the waiting jobs (a job holds the callbacks acknowledged together). */
const waitingCallbacks = async () => (await host.services.webhooks.queue.getJobs(['waiting'], 0, 10_000)).flatMap((j) => callbacksOf(j.data));

describe('webhook ingest under concurrency (batched auth lookups and enqueues)', () => {
  it('200 concurrent callbacks => 200 acknowledged, each in Redis once with its own body, in fewer jobs', async () => {
    const inst = await link(host, undefined, 'netatmo');
    const callback = await eventually(async () => host.fake.webhookUrl(), 'addwebhook');
    const [jobsBefore, before] = [await waiting(), (await waitingCallbacks()).length];
    const bodies = Array.from({ length: 200 }, (_, i) => JSON.stringify({ push_type: 'weather', seq: i }));
    const answers = await Promise.all(bodies.map((b) => post(callback, b)));
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 200));
    const queued = await waitingCallbacks();
    expect(queued.length).toBe(before + 200);
    const mine = queued.filter((c) => c.installationId === inst.id).map((c) => c.body);
    expect(mine.filter((b) => bodies.includes(b)).sort()).toEqual([...bodies].sort());
    // Concurrent requests share jobs; how many depends on how the requests' bytes arrive.
    expect(await waiting()).toBeLessThan(jobsBefore + 200);
  });

  it('concurrent callbacks mixing the right token and wrong ones => only the right ones queued', async () => {
    await link(host, undefined, 'netatmo');
    const callback = await eventually(async () => host.fake.webhookUrl(), 'addwebhook');
    const wrong = callback.replace(/access_token=[^&]+/, `access_token=${'w'.repeat(43)}`);
    const before = (await waitingCallbacks()).length;
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => post(i % 2 ? wrong : callback, JSON.stringify({ push_type: 'weather', seq: i }))),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map((_, i) => (i % 2 ? 401 : 200)));
    expect((await waitingCallbacks()).length).toBe(before + 30);
  });
});
