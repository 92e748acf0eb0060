import { z } from 'zod';
import {
  constantTimeEqualBytes,
  hmacSha256Hex,
  WebhookParseError,
  type ParsedWebhook,
  type WebhookDefinition,
  type WebhookRequest,
} from '../../src/connectors/sdk';
import { addWebhook, dropWebhook, homesData } from './api';
import { roomExternalId } from './devices';

/** `X-Netatmo-secret` = lower-case hex HMAC-SHA256 of the raw body, keyed with the client secret (§3.2). */
export function verify(request: WebhookRequest): boolean {
  const presented = request.headers['x-netatmo-secret'];
  if (!presented || !request.clientSecret) return false;
  const expected = Buffer.from(hmacSha256Hex(request.clientSecret, request.rawBody), 'utf8');
  const given = Buffer.from(presented.toLowerCase(), 'utf8');
  return constantTimeEqualBytes(given, expected);
}

const envelope = z.object({
  push_type: z.string().optional(),
  event_type: z.string().optional(),
  home_id: z.string().optional(),
  room_id: z.string().optional(),
  mode: z.string().optional(),
  previous_mode: z.string().optional(),
  temperature: z.number().optional(),
  home: z
    .object({
      id: z.string().optional(),
      rooms: z.array(z.object({ id: z.string(), therm_setpoint_end_time: z.number().nullable().optional() }).passthrough()).optional(),
    })
    .passthrough()
    .optional(),
  extra_params: z
    .object({
      event_type: z.string().optional(),
      room_id: z.string().optional(),
      mode: z.string().optional(),
      temperature: z.number().optional(),
      therm_measured_temperature: z.number().optional(),
      ts_end: z.number().nullable().optional(),
    })
    .passthrough()
    .optional(),
});

const SETPOINT_EVENTS = new Set(['set_point', 'setpoint_event', 'cancel_set_point']);
const REFRESH_DEBOUNCE_MS = 5_000;

function setpoint(
  homeId: string,
  roomId: string,
  mode: string,
  temperature: number | undefined,
  eventType: string,
  endTime: number | null | undefined,
): ParsedWebhook {
  // The display_change message and its device_event twin describe one change: one key for both
  // (§3.4). The setpoint's end time (therm_setpoint_end_time = ts_end in the captures) tells a
  // later identical change apart, so 21 → 22 → 21 within the window is not taken for a duplicate.
  const end = endTime ? `:${endTime}` : '';
  const dedupKey = `setpoint:${homeId}:${roomId}:${eventType === 'cancel_set_point' ? 'cancel' : mode}:${temperature ?? ''}${end}`;
  const real = eventType !== 'cancel_set_point' && (mode === 'manual' || mode === 'max') && typeof temperature === 'number' && temperature > 0;
  if (!real) {
    // home/off/cancel carry 0 as "temperature": not a setpoint. Ask the cloud instead.
    return { dedupKey, effects: [{ kind: 'refresh', debounceMs: REFRESH_DEBOUNCE_MS }] };
  }
  return {
    dedupKey,
    effects: [{ kind: 'patch', devices: [{ externalId: roomExternalId(homeId, roomId), attributes: { heatingSetpoint: temperature, setpointMode: mode } }] }],
  };
}

/** Pure: one Netatmo push → effects. Unknown but well-formed pushes (security, weather) are ignored. */
export function parse(payload: unknown): ParsedWebhook {
  const result = envelope.safeParse(payload);
  if (!result.success || typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new WebhookParseError('not a Netatmo push message');
  }
  const p = result.data;
  if (p.push_type === undefined && p.event_type === undefined) throw new WebhookParseError('no push_type or event_type');
  if (p.push_type === 'webhook_activation') return { dedupKey: undefined, effects: [{ kind: 'activation' }] };
  const homeId = p.home_id ?? p.home?.id;

  if (p.push_type === 'device_event' && p.extra_params?.event_type === 'setpoint_event') {
    const x = p.extra_params;
    if (!homeId || !x.room_id || !x.mode) throw new WebhookParseError('setpoint device_event without home, room or mode');
    return setpoint(homeId, x.room_id, x.mode, x.temperature, 'setpoint_event', x.ts_end);
  }
  if (p.event_type && SETPOINT_EVENTS.has(p.event_type)) {
    if (!homeId || !p.room_id || (!p.mode && p.event_type !== 'cancel_set_point')) {
      throw new WebhookParseError(`${p.event_type} without home, room or mode`);
    }
    const room = p.home?.rooms?.find((r) => r.id === p.room_id);
    return setpoint(homeId, p.room_id, p.mode ?? '', p.temperature, p.event_type, room?.therm_setpoint_end_time);
  }
  if (p.event_type === 'therm_mode' || p.event_type === 'schedule') {
    if (!homeId) throw new WebhookParseError(`${p.event_type} without home`);
    // A home mode moves every room's setpoint; the payload does not say to what.
    return { dedupKey: `${p.event_type}:${homeId}:${p.mode ?? ''}:${p.previous_mode ?? ''}`, effects: [{ kind: 'refresh', debounceMs: REFRESH_DEBOUNCE_MS }] };
  }
  return { dedupKey: undefined, effects: [] };
}

export const webhook: WebhookDefinition = {
  // "your application must always return '200' … (< 10sec)" or the app's webhook is banned for 24 h (§3.3)
  ackStatus: 200,
  // A wrong secret answered with 401 five times bans every user's webhook: acknowledge, drop, count.
  onBadSignature: 'acknowledge',
  dedupWindowMs: 60_000,
  verify,
  async accountId(ctx) {
    const data = await homesData(ctx.http);
    const id = data.user?.id ?? data.homes.map((h) => h.id).sort().join(',');
    if (!id) throw new Error('Netatmo account has no user id and no homes');
    return id;
  },
  async subscribe(ctx, callbackUrl) {
    await addWebhook(ctx.http, callbackUrl);
  },
  async unsubscribe(ctx) {
    await dropWebhook(ctx.http);
  },
  parse,
};
