import { constantTimeEqual, hashToken } from '../runtime';

/** What the host remembers about one authorization request, between initialize and callback. */
export interface OAuthStateRecord {
  installationId: string;
  connector: string;
  /** sha256 of the nonce in the HttpOnly cookie of the browser that started the flow. */
  browserHash: string;
  /** PKCE verifier, when the provider uses PKCE. */
  codeVerifier: string | undefined;
  /** The installation token the flow was started with, so the success page can link back to setup. */
  setupToken: string | undefined;
  createdAt: number;
  expiresAt: number;
}

export type StateCheck =
  | { ok: true; record: OAuthStateRecord }
  | { ok: false; code: 'invalid_state' | 'state_expired' | 'state_mismatch' | 'browser_mismatch' };

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Cheap shape check, so garbage never reaches Redis. */
export function isWellFormedState(state: unknown): state is string {
  return typeof state === 'string' && UUID_V4.test(state);
}

/**
 * Pure decision on a consumed state record. The record was already removed atomically
 * (single use); this decides whether it may be honoured. Order matters only for which reason a
 * person sees; every failure is a failure.
 */
export function checkState(
  record: OAuthStateRecord | undefined,
  expected: { connector: string; browserNonce: string | undefined; now: number },
): StateCheck {
  if (!record) return { ok: false, code: 'invalid_state' };
  if (record.connector !== expected.connector) return { ok: false, code: 'state_mismatch' };
  if (expected.now >= record.expiresAt) return { ok: false, code: 'state_expired' };
  if (expected.browserNonce === undefined || !constantTimeEqual(hashToken(expected.browserNonce), record.browserHash)) {
    return { ok: false, code: 'browser_mismatch' };
  }
  return { ok: true, record };
}
