import { z } from 'zod';
import type { InstallationStatus } from './installation-store';

/**
 * An installation's health, kept beside its sync cursor. Pure: the transitions are decided here
 * from the record read under the sync lock, and the store writes what they return.
 */
export interface HealthError {
  code: string;
  message: string;
  at: string;
}

export interface HealthRecord {
  /** Consecutive failed polls since the last success. */
  failures: number;
  degraded: boolean;
  lastSuccessAt: string | undefined;
  lastError: HealthError | undefined;
  /** Why the installation needs re-authorization (set when it entered `reauth_required`). */
  reauthReason: string | undefined;
}

export type HealthTransition = 'degraded' | 'recovered';

/** Fields to write (none: nothing changed worth a write) and the transition to announce, if any. */
export interface HealthChange {
  fields: Record<string, string>;
  transition: HealthTransition | undefined;
}

export interface HealthPolicy {
  /** Consecutive failed polls that make a linked installation `degraded`. */
  degradedAfter: number;
  /** `lastSuccessAt` is rewritten only when older than this, so an unchanged poll usually writes nothing. */
  successResolutionMs: number;
}

/** The hash fields, in the order `healthFromFields` reads them (HMGET). */
export const HEALTH_FIELDS = ['failures', 'degraded', 'lastSuccessAt', 'lastError', 'reauthReason'] as const;

export const EMPTY_HEALTH: HealthRecord = {
  failures: 0,
  degraded: false,
  lastSuccessAt: undefined,
  lastError: undefined,
  reauthReason: undefined,
};

function parseError(raw: string | null | undefined): HealthError | undefined {
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<HealthError>;
    return typeof v.code === 'string' && typeof v.message === 'string' && typeof v.at === 'string'
      ? { code: v.code, message: v.message, at: v.at }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The record from an HMGET of HEALTH_FIELDS (missing fields: a healthy installation never polled). */
export function healthFromFields(values: readonly (string | null | undefined)[] | undefined): HealthRecord {
  if (!values) return EMPTY_HEALTH;
  const [failures, degraded, lastSuccessAt, lastError, reauthReason] = values;
  const n = Number(failures ?? 0);
  return {
    failures: Number.isInteger(n) && n > 0 ? n : 0,
    degraded: degraded === '1',
    lastSuccessAt: lastSuccessAt || undefined,
    lastError: parseError(lastError),
    reauthReason: reauthReason || undefined,
  };
}

export function afterSuccess(record: HealthRecord, now: number, policy: HealthPolicy): HealthChange {
  const fields: Record<string, string> = {};
  if (record.failures !== 0) fields['failures'] = '0';
  if (record.degraded) fields['degraded'] = '0';
  const last = record.lastSuccessAt === undefined ? Number.NaN : Date.parse(record.lastSuccessAt);
  const stale = !(now - last < policy.successResolutionMs);
  // A write that happens anyway carries an exact lastSuccessAt for free.
  if (stale || Object.keys(fields).length > 0) fields['lastSuccessAt'] = new Date(now).toISOString();
  return { fields, transition: record.degraded ? 'recovered' : undefined };
}

export function afterFailure(
  record: HealthRecord,
  error: { code: string; message: string },
  now: number,
  policy: HealthPolicy,
): HealthChange {
  const failures = record.failures + 1;
  const at = new Date(now).toISOString();
  const fields: Record<string, string> = {
    failures: String(failures),
    lastError: JSON.stringify({ code: error.code, message: error.message, at }),
  };
  const degrade = !record.degraded && failures >= policy.degradedAfter;
  if (degrade) fields['degraded'] = '1';
  return { fields, transition: degrade ? 'degraded' : undefined };
}

/** What entering `reauth_required` leaves behind: a clean slate for the re-link, and the reason. */
export function onReauthRequired(reason: string): Record<string, string> {
  return { failures: '0', degraded: '0', reauthReason: reason };
}

const AUTH_SCHEME = /\b(Bearer|Basic)\s+\S+/gi;
const SECRET_PARAM = /([?&](?:access_token|refresh_token|token|code|client_secret|secret|key)=)[^&\s]+/gi;
const URL_CREDENTIALS = /(https?:\/\/)[^\s/@]*@/gi;

/** A message fit to show an operator: bounded, with anything shaped like a credential cut out. */
export function redactMessage(message: string): string {
  const out = message
    .replace(AUTH_SCHEME, '$1 [redacted]')
    .replace(SECRET_PARAM, '$1[redacted]')
    .replace(URL_CREDENTIALS, '$1[redacted]@');
  return out.length > 300 ? `${out.slice(0, 297)}...` : out;
}

/** The `health` object of `GET /api/installations/:id` (null while pending), for the OpenAPI document. */
export const healthViewSchema = z
  .object({
    state: z.enum(['linked', 'degraded', 'reauth_required']),
    reason: z.string().optional(),
    lastSuccessAt: z.string().nullable(),
    lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).optional(),
    nextPollAt: z.string().nullable(),
  })
  .nullable();

export type HealthState = 'linked' | 'degraded' | 'reauth_required';
export type HealthView = NonNullable<z.infer<typeof healthViewSchema>>;

/** The `health` object of `GET /api/installations/:id`; null while the installation was never linked. */
export function healthView(status: InstallationStatus, record: HealthRecord, nextPollAt: string | undefined): HealthView | null {
  if (status === 'pending') return null;
  const state: HealthState = status === 'reauth_required' ? 'reauth_required' : record.degraded ? 'degraded' : 'linked';
  return {
    state,
    ...(state === 'reauth_required' && record.reauthReason ? { reason: record.reauthReason } : {}),
    lastSuccessAt: record.lastSuccessAt ?? null,
    ...(record.lastError ? { lastError: record.lastError } : {}),
    nextPollAt: state === 'reauth_required' ? null : (nextPollAt ?? null),
  };
}
