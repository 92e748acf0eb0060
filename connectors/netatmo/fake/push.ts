import { createHmac, randomInt } from 'node:crypto';
import type { FakeUser } from './accounts';
import type { Clock } from './clock';
import type { FakeHome, FakeRoom, HomeMode } from './device-types';

/**
 * Webhook pushes of the fake Netatmo cloud (netatmo-api.md §3): the payloads (pure builders) and
 * their delivery: a JSON POST signed with X-Netatmo-secret, no retries, and the app-wide ban after
 * five failed deliveries in a row (§3.3).
 */

export interface FakeDelivery {
  url: string;
  body: string;
  /** The receiver's HTTP status; 0 when it could not be reached or did not answer in time. */
  status: number;
  at: number;
}

export interface DeliverOptions {
  /** Sign with this secret instead of the app's client secret. */
  secret?: string;
  /** Send this header value as is (e.g. a forged signature). */
  signature?: string;
}

/** §3.2: lower-case hex HMAC-SHA256 of the raw body, keyed with the app's client secret. */
export function signature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Payloads (§3.1, §3.4)

export function activationPush(user: FakeUser): Record<string, unknown> {
  return { user_id: user.id, user: { id: user.id, email: user.email }, push_type: 'webhook_activation' };
}

/** A random numeric correlation id, like the real capture's "3656857635745554143". */
const correlationId = (): string => `${randomInt(1, 2 ** 47)}${randomInt(10_000, 99_999)}`;

/**
 * A room setpoint change arrives twice (§3.4): the `display_change` message and its
 * `device_event` twin. For `home` and `off` both carry temperature 0, which is not a setpoint.
 */
export function setpointPushes(user: FakeUser, home: FakeHome, room: FakeRoom, relayId: string, nowMs: number): Record<string, unknown>[] {
  const mode = room.mode === 'schedule' || room.mode === 'away' || room.mode === 'hg' ? 'home' : room.mode;
  const temperature = mode === 'home' || mode === 'off' ? 0 : room.setpoint;
  const nowS = Math.floor(nowMs / 1000);
  const displayChange = {
    user_id: user.id,
    home: {
      id: home.id,
      rooms: [
        {
          id: room.id,
          therm_setpoint_start_time: room.setpointStartTime || nowS,
          therm_setpoint_mode: mode,
          therm_setpoint_end_time: room.setpointEndTime,
          therm_setpoint_temperature: temperature,
        },
      ],
    },
    type: 'setpoint_event',
    home_id: home.id,
    device_id: relayId,
    event_type: 'setpoint_event',
    room_id: room.id,
    mode,
    temperature,
    correlation_id: correlationId(),
    push_type: 'display_change',
  };
  const deviceEvent = {
    extra_params: {
      device_type: 'NAPlug',
      event_type: 'setpoint_event',
      mode,
      room_id: room.id,
      temperature,
      therm_measured_temperature: room.measuredTemperature,
      ts: nowS,
      ts_begin: room.setpointStartTime || nowS,
      ts_end: room.setpointEndTime,
    },
    push_type: 'device_event',
    device_id: relayId,
    home_id: home.id,
  };
  return [displayChange, deviceEvent];
}

/**
 * The smallest signed-able manual setpoint `display_change` (§3.4): what tests and benchmarks
 * send to a webhook endpoint when they play the cloud themselves.
 */
export function manualSetpointPush(input: { userId?: string; homeId: string; roomId: string; temperature: number }): string {
  const { homeId, roomId, temperature } = input;
  return JSON.stringify({
    ...(input.userId !== undefined ? { user_id: input.userId } : {}),
    home_id: homeId,
    room_id: roomId,
    event_type: 'setpoint_event',
    push_type: 'display_change',
    mode: 'manual',
    temperature,
    home: { id: homeId, rooms: [{ id: roomId, therm_setpoint_mode: 'manual', therm_setpoint_temperature: temperature }] },
  });
}

export function thermModePush(user: FakeUser, homeId: string, mode: HomeMode, previousMode: HomeMode): Record<string, unknown> {
  return {
    user_id: user.id,
    event_type: 'therm_mode',
    home: { id: homeId, therm_mode: mode },
    mode,
    previous_mode: previousMode,
    push_type: 'home_event_changed',
    home_id: homeId,
  };
}

// ---------------------------------------------------------------------------------------------
// Delivery

export interface DelivererOptions {
  clientSecret: string;
  now: Clock;
  /** §3.3: "answer quickly to our server (< 10sec)". */
  timeoutMs: number;
  /** §3.3: "returned another code more than five times in a row". */
  banAfterFailures: number;
  /** §3.3: "deactivated during 24 hours". */
  banMs: number;
  /** Aborted when the fake stops, so no delivery outlives it. */
  signal: AbortSignal;
}

export class WebhookDeliverer {
  readonly log: FakeDelivery[] = [];
  private consecutiveFailures = 0;
  private bannedUntil = 0;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly opts: DelivererOptions) {}

  /** The ban is per app: while it lasts no user's events are sent. */
  banned(): boolean {
    return this.bannedUntil > this.opts.now();
  }

  /** The developer portal's "unban" button. */
  unban(): void {
    this.bannedUntil = 0;
    this.consecutiveFailures = 0;
  }

  /** One POST; undefined when the app is banned and nothing was sent. */
  deliver(url: string, body: string, options: DeliverOptions = {}): Promise<FakeDelivery | undefined> {
    if (this.banned()) return Promise.resolve(undefined);
    const sent = this.post(url, body, options);
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
    return sent;
  }

  /** Waits for every delivery under way (started in the background after an API call). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async post(url: string, body: string, options: DeliverOptions): Promise<FakeDelivery> {
    const header = options.signature ?? signature(options.secret ?? this.opts.clientSecret, body);
    let status = 0;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-netatmo-secret': header, 'user-agent': 'NetatmoWebhook/fake' },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), this.opts.signal]),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch {
      status = 0; // unreachable, reset or too slow: a failed delivery all the same
    }
    const delivery: FakeDelivery = { url, body, status, at: this.opts.now() };
    this.log.push(delivery);
    this.count(status);
    return delivery;
  }

  private count(status: number): void {
    if (status === 200) {
      this.consecutiveFailures = 0;
      return;
    }
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.opts.banAfterFailures) {
      this.bannedUntil = this.opts.now() + this.opts.banMs;
      this.consecutiveFailures = 0;
    }
  }
}
