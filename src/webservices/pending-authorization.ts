import { hkdfSync } from 'node:crypto';
import { z } from 'zod';
import { constantTimeEqual, decrypt, encrypt, hashToken } from '../runtime';
import { SCOPES, type Scope } from './scopes';

/** A validated authorization request nobody has signed in to yet. */
export interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  scopes: Scope[];
  state: string | undefined;
  codeChallenge: string | undefined;
}

const sealedSchema = z.object({
  clientId: z.string(),
  redirectUri: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  state: z.string().optional(),
  codeChallenge: z.string().optional(),
  /** Hash of the nonce in the browser's cookie: the form is good only in the browser that opened it. */
  browser: z.string(),
  expiresAt: z.number(),
});

// Associated data: a ciphertext sealed for another purpose under a key derived alike fails here.
const PURPOSE = 'oauth-authorize-request v1';

export type OpenedAuthorization =
  | { ok: true; request: PendingAuthorization }
  | { ok: false; reason: 'invalid' | 'expired' | 'other_browser' };

/**
 * Carries the pending request in the sign-in form instead of Redis, so an unauthenticated visitor
 * costs no storage (issue 14, item 4): sealed with AES-256-GCM under a key derived from SECRET_KEY
 * (so nobody can forge or alter one), with an expiry inside, and bound to a random nonce held in
 * an HttpOnly cookie (so a form lifted from one browser cannot sign another in: login CSRF).
 */
export class AuthorizationSealer {
  private readonly key: Buffer;

  constructor(
    secretKey: Buffer,
    private readonly ttlS: number,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), PURPOSE, 32));
  }

  seal(request: PendingAuthorization, browserNonce: string, now: number): string {
    const { state, codeChallenge, ...rest } = request;
    const payload = {
      ...rest,
      ...(state !== undefined ? { state } : {}),
      ...(codeChallenge !== undefined ? { codeChallenge } : {}),
      browser: hashToken(browserNonce),
      expiresAt: now + this.ttlS * 1000,
    };
    return encrypt(this.key, JSON.stringify(payload), PURPOSE);
  }

  open(sealed: string, browserNonce: string | undefined, now: number): OpenedAuthorization {
    let payload: z.infer<typeof sealedSchema>;
    try {
      const parsed = sealedSchema.safeParse(JSON.parse(decrypt(this.key, sealed, PURPOSE)));
      if (!parsed.success) return { ok: false, reason: 'invalid' };
      payload = parsed.data;
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (now >= payload.expiresAt) return { ok: false, reason: 'expired' };
    if (browserNonce === undefined || !constantTimeEqual(hashToken(browserNonce), payload.browser)) return { ok: false, reason: 'other_browser' };
    const { browser: _b, expiresAt: _e, state, codeChallenge, ...rest } = payload;
    return { ok: true, request: { ...rest, state, codeChallenge } };
  }
}
