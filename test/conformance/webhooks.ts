import { expect, it } from 'vitest';
import { eventually } from '../helpers/link';
import type { Rule } from './kit';
import { api, settlesTo } from './helpers';

/** A change made in the cloud arrives as a signed push and updates the device without a poll; a duplicate applies once. */
const webhooks: Rule = ({ host, link, kit }) => {
  it('push from the cloud => device updated without a poll; the same push again => applied once', async () => {
    const push = kit.push;
    if (!push) throw new Error('quality.yaml marks webhooks done but the kit has no push');
    const inst = await link();
    const a = api(host(), inst);
    await a.select(kit.devices.slice(0, 1));
    await eventually(async () => {
      const state = (await (await a.call('/webhooks')).json()) as { state: string };
      return state.state === 'subscribed';
    }, 'the subscription');
    const idle = async (queue: { getJobCounts(...s: string[]): Promise<Record<string, number>> }) => {
      const c = await queue.getJobCounts('waiting', 'active');
      return (c['waiting'] ?? 0) + (c['active'] ?? 0) === 0;
    };
    // Let the catch-up poll queued at linking finish, so any later poll would be the push's doing.
    await eventually(() => idle(host().services.scheduler.queue), 'the poll queue to drain');
    const polls = host().services.metrics.polls;
    const pollsBefore = (await polls.get()).values.reduce((n, v) => n + v.value, 0);
    await push.act(host().fake, kit.devices[0] ?? '');
    const [attr, value] = push.attribute;
    await settlesTo(async () => (await a.devices())[0]?.attributes[attr], value, `${attr} by push`);
    const changes = (await a.events()).filter((e) => e.type === 'device.stateChanged').length;
    await push.redeliverLast(host().fake);
    await eventually(() => idle(host().services.webhooks.queue), 'the webhook queue to drain');
    expect((await a.events()).filter((e) => e.type === 'device.stateChanged').length).toBe(changes);
    expect((await polls.get()).values.reduce((n, v) => n + v.value, 0)).toBe(pollsBefore);
  });
};
export default webhooks;
