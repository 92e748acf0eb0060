import { z } from 'zod';
import type { TokenSet } from './provider-token-store';

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.coerce.number().positive().optional(),
  // Netatmo returns scope as an array; RFC 6749 as a space-separated string.
  scope: z.union([z.string(), z.array(z.string())]).optional(),
  token_type: z.string().optional(),
});

export class InvalidTokenResponseError extends Error {
  constructor() {
    super('the token endpoint answered without a usable access_token');
    this.name = 'InvalidTokenResponseError';
  }
}

/**
 * A token endpoint's answer → our TokenSet. When a refresh response carries no refresh token the
 * previous one stays valid and is kept: simple-oauth2 v5 would drop it.
 */
export function parseTokenResponse(raw: unknown, now: number, previous?: TokenSet): TokenSet {
  const parsed = tokenResponseSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidTokenResponseError();
  const t = parsed.data;
  return {
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? previous?.refreshToken,
    expiresAt: t.expires_in === undefined ? undefined : now + Math.round(t.expires_in * 1000),
    scope: Array.isArray(t.scope) ? t.scope.join(' ') : (t.scope ?? previous?.scope),
    tokenType: t.token_type ?? previous?.tokenType,
  };
}
