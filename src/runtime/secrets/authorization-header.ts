import { constantTimeEqual } from './crypto';

/** The user and password of `Authorization: Basic …`, split at the first colon, not decoded further. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec((header ?? '').trim());
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Is this `Authorization` header `Bearer <token>` (ADMIN_TOKEN, METRICS_TOKEN)? Compared in constant time. */
export function isBearer(header: string | undefined, token: string): boolean {
  const match = /^Bearer (\S+)$/i.exec(header ?? '');
  return match?.[1] !== undefined && constantTimeEqual(match[1], token);
}
