import type { Redis } from 'ioredis';
import type { PlatformEvent } from '../platform';
import { routeEvent, type RoutedDelivery } from './delivery-payloads';
import type { DrainState } from './drain-state';
import { sinkRoute } from './sink-fanout';
import type { Platform } from '../platform';
import type { Base } from '../runtime';
import type { WebServices } from './web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'connections' | 'log'> & Pick<Platform, 'events' | 'installations'> & { webServices: WebServices };

const BATCH = 100;
const BLOCK_MS = 1_000;

/**
 * One consumer of the event stream with its own cursor and ordered delivery chains: subscriptions
 * of external apps (per device), and event sinks (per installation).
 */
export interface FanoutRoute {
  name: string;
  drains: DrainState;
  /** The deliveries a batch of events makes, in stream order. */
  route(events: readonly PlatformEvent[]): Promise<RoutedDelivery[]>;
  /** Queues the job that works one chain (idempotent). */
  startDrain(owner: string, chain: string, generation: number): Promise<void>;
  /** After a batch was committed. */
  afterBatch?(events: readonly PlatformEvent[]): Promise<void>;
}

/**
 * Reads the platform-wide event stream (written in the same MULTI as each device change, so it is
 * an outbox: an event exists iff its change does) and queues each event for the targets of every
 * route that should get it. Any number of worker processes may run this: each route's cursor only
 * advances by compare-and-set, so exactly one of them routes each batch, in stream order.
 */
export class EventFanout {
  private stopped = false;
  private readonly blocker: Redis;
  private loop: Promise<void> | undefined;
  private readonly routes: readonly FanoutRoute[];

  constructor(
    private readonly services: Deps,
    routes?: readonly FanoutRoute[],
  ) {
    this.routes = routes ?? [subscriptionRoute(services), sinkRoute(services)];
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
    const log = this.services.log.child({ component: 'event-fanout' });
    let recovered = false;
    while (!this.stopped) {
      try {
        if (!recovered) {
          for (const route of this.routes) await this.recoverDrains(route);
          recovered = true;
        }
        const progressed = await this.step();
        if (!progressed && !this.stopped) {
          // Nothing progressed, so every route is at the end of the stream: any cursor will do.
          const cursor = (await this.routes[0]?.drains.cursor()) ?? '$';
          await this.services.events.waitForGlobal(this.blocker, cursor, BLOCK_MS);
        }
      } catch (err) {
        if (this.stopped) break;
        log.warn({ reason: (err as Error).message }, 'event fan-out failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** One batch per route: route, commit, start drains. False when no route had anything new. */
  async step(): Promise<boolean> {
    let progressed = false;
    for (const route of this.routes) progressed = (await this.stepRoute(route)) || progressed;
    return progressed;
  }

  private async stepRoute(route: FanoutRoute): Promise<boolean> {
    const cursor = await route.drains.cursor();
    if (cursor === undefined) {
      // First run: start from now; earlier events predate every subscription and sink.
      const last = await this.services.events.lastGlobalCursor();
      await route.drains.commit(undefined, last ?? '0-0', []);
      return true;
    }
    const events = await this.services.events.readGlobal(cursor, BATCH);
    const last = events.at(-1);
    if (!last) return false;
    const started = await route.drains.commit(cursor, last.cursor, await route.route(events));
    if (!started) return true; // another process committed this batch
    for (const s of started) await route.startDrain(s.subscriptionId, s.deviceId, s.generation);
    await route.afterBatch?.(events);
    return true;
  }

  /** A process that died between committing and enqueueing left drains without a job; re-add them (idempotent). */
  private async recoverDrains(route: FanoutRoute): Promise<void> {
    for (const pair of await route.drains.active()) {
      const generation = await route.drains.generation(pair.subscriptionId, pair.deviceId);
      if (generation !== undefined) await route.startDrain(pair.subscriptionId, pair.deviceId, generation);
    }
  }
}

/** Device events to the confirmed subscriptions of apps granted the device, one chain per (subscription, device). */
export function subscriptionRoute(services: Pick<Deps, 'webServices'>): FanoutRoute {
  const { apps, subscriptions, drains, deliveries } = services.webServices;
  return {
    name: 'subscriptions',
    drains,
    async route(events) {
      const items: RoutedDelivery[] = [];
      for (const event of events) {
        if (!event.deviceId || !event.type.startsWith('device.')) continue;
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
        items.push(...routeEvent(event, targets));
      }
      return items;
    },
    startDrain: (subscriptionId, deviceId, generation) => deliveries.drain(subscriptionId, deviceId, generation),
    // A child device its connector removed leaves every grant for good (its removal event was just routed).
    async afterBatch(events) {
      for (const event of events) {
        if (event.type !== 'device.removed' || !event.deviceId) continue;
        for (const appId of await apps.forDevice(event.deviceId)) await apps.forgetDevice(appId, event.deviceId);
      }
    },
  };
}
