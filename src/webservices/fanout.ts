import type { Redis } from 'ioredis';
import type { PlatformEvent } from '../platform';
import { routeEvent, type RoutedDelivery } from './delivery-payloads';
import type { Platform } from '../platform';
import type { Base } from '../runtime';
import type { WebServices } from './web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'connections' | 'log'> & Pick<Platform, 'events'> & { webServices: WebServices };

const BATCH = 100;
const BLOCK_MS = 1_000;

/**
 * Reads the platform-wide event stream (written in the same MULTI as each device change, so it is
 * an outbox: an event exists iff its change does) and queues each device event for the
 * subscriptions that should get it. Any number of worker processes may run this: the cursor only
 * advances by compare-and-set, so exactly one of them routes each batch, in stream order.
 */
export class EventFanout {
  private stopped = false;
  private readonly blocker: Redis;
  private loop: Promise<void> | undefined;

  constructor(private readonly services: Deps) {
    // Blocks on purpose: without the request path's command timeout, which would cut XREAD BLOCK
    // short, but with ioredis's own bound for blocking commands, so that an XREAD queued while Redis
    // is unreachable (or sent to a hung one) gives up, and stop() is not left waiting on it.
    this.blocker = services.connections.create('blocking', { blockingTimeout: BLOCK_MS * 2 });
    this.blocker.on('error', () => undefined);
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.blocker.disconnect(); // wakes a blocked XREAD at once
    await this.loop;
  }

  private async run(): Promise<void> {
    const log = this.services.log.child({ component: 'smartapp-fanout' });
    let recovered = false;
    while (!this.stopped) {
      try {
        if (!recovered) {
          await this.recoverDrains();
          recovered = true;
        }
        const progressed = await this.step();
        if (!progressed && !this.stopped) {
          const cursor = (await this.services.webServices.drains.cursor()) ?? '$';
          await this.services.events.waitForGlobal(this.blocker, cursor, BLOCK_MS);
        }
      } catch (err) {
        if (this.stopped) break;
        log.warn({ reason: (err as Error).message }, 'event fan-out failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** One batch: route, commit, start drains. False when there was nothing new. */
  async step(): Promise<boolean> {
    const { drains, deliveries } = this.services.webServices;
    const cursor = await drains.cursor();
    if (cursor === undefined) {
      // First run: start from now; earlier events predate every subscription.
      const last = await this.services.events.lastGlobalCursor();
      await drains.commit(undefined, last ?? '0-0', []);
      return true;
    }
    const events = await this.services.events.readGlobal(cursor, BATCH);
    const last = events.at(-1);
    if (!last) return false;
    const items: RoutedDelivery[] = [];
    for (const event of events) items.push(...(await this.route(event)));
    const started = await drains.commit(cursor, last.cursor, items);
    if (!started) return true; // another process committed this batch
    for (const s of started) await deliveries.drain(s.subscriptionId, s.deviceId, s.generation);
    await this.forgetRemoved(events);
    return true;
  }

  private async route(event: PlatformEvent): Promise<RoutedDelivery[]> {
    if (!event.deviceId || !event.type.startsWith('device.')) return [];
    const { apps, subscriptions } = this.services.webServices;
    const targets = [];
    for (const appId of await apps.forDevice(event.deviceId)) {
      const app = await apps.get(appId);
      if (!app) continue;
      targets.push({
        id: app.id,
        locationId: app.location.id,
        grantedDeviceIds: app.devices.filter((d) => d.installationId === event.installationId).map((d) => d.deviceId),
        subscriptions: await subscriptions.listForApp(app.id),
      });
    }
    return routeEvent(event, targets);
  }

  /** A child device its connector removed leaves every grant for good (its removal event was just routed). */
  private async forgetRemoved(events: readonly PlatformEvent[]): Promise<void> {
    const { apps } = this.services.webServices;
    for (const event of events) {
      if (event.type !== 'device.removed' || !event.deviceId) continue;
      for (const appId of await apps.forDevice(event.deviceId)) await apps.forgetDevice(appId, event.deviceId);
    }
  }

  /** A process that died between committing and enqueueing left drains without a job; re-add them (idempotent). */
  private async recoverDrains(): Promise<void> {
    const { drains, deliveries } = this.services.webServices;
    for (const pair of await drains.active()) {
      const generation = await drains.generation(pair.subscriptionId, pair.deviceId);
      if (generation !== undefined) await deliveries.drain(pair.subscriptionId, pair.deviceId, generation);
    }
  }
}
