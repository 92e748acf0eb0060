import { randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { constantTimeEqualBytes } from '../runtime';

// OWASP's scrypt minimum (N=2^17, r=8, p=1) needs 128 MiB per hash; N=2^15 keeps a login at
// ~32 MiB and tens of milliseconds on a shared box while staying far from brute-forceable.
const PARAMS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } satisfies ScryptOptions;
const KEY_LEN = 32;

function derive(password: string, salt: Buffer, params: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LEN, params, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$hash`, so parameters can be raised later without breaking stored hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const N = Number(n);
  const params = { N, r: Number(r), p: Number(p), maxmem: Math.max(PARAMS.maxmem, 256 * N * Number(r)) };
  const key = await derive(password, Buffer.from(salt, 'base64url'), params);
  return constantTimeEqualBytes(key, expected);
}

/** Verifies against a fixed hash when the user does not exist, so timing does not reveal usernames. */
let dummy: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword('not-a-real-password');
  await verifyPassword(password, await dummy);
}
