import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { issueSession, sessionKey, verifySession } from '../../src/operator/session';

const secret = randomBytes(32);
const key = sessionKey(secret, 'admin-token-aaaaaaaaaaaa');
const now = 1_700_000_000_000;

it('session cookie => valid until it expires, and only under the key that signed it', () => {
  const cookie = issueSession(key, now, 60_000);
  expect(verifySession(key, cookie, now)).toBe(true);
  expect(verifySession(key, cookie, now + 59_999)).toBe(true);
  expect(verifySession(key, cookie, now + 60_000)).toBe(false);
  // Rotating ADMIN_TOKEN (or SECRET_KEY) signs everyone out.
  expect(verifySession(sessionKey(secret, 'admin-token-bbbbbbbbbbbb'), cookie, now)).toBe(false);
  expect(verifySession(sessionKey(randomBytes(32), 'admin-token-aaaaaaaaaaaa'), cookie, now)).toBe(false);
});

it('session cookie => any edit to its expiry, nonce or signature is refused', () => {
  const cookie = issueSession(key, now, 60_000);
  const [v, expires, nonce, sig] = cookie.split('.') as [string, string, string, string];
  const forged = [
    [v, String(Number(expires) + 3_600_000), nonce, sig].join('.'),
    [v, expires, `${nonce}x`, sig].join('.'),
    [v, expires, nonce, sig.slice(0, -1)].join('.'),
    ['v2', expires, nonce, sig].join('.'),
    `${cookie}.extra`,
    '',
    'garbage',
  ];
  for (const c of forged) expect(verifySession(key, c, now)).toBe(false);
  expect(verifySession(key, undefined, now)).toBe(false);
});
