import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { keyringFromEnv, LEGACY_KEY_ID, MAX_INFLATED_BYTES, SecretKeyring } from '../../src/runtime/secrets/keyring';
import { encryptBytes } from '../../src/runtime/secrets/crypto';
import { parseSecretKey } from '../../src/runtime/secret-key';
import { AppError } from '../../src/runtime/errors/index';

const LEGACY_HEX = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
/** Written by encrypt() as it was before key ids (commit eb0da9d), under LEGACY_HEX, bound to "inst-legacy". */
const V1_FIXTURE =
  'v1.6B9K7_yL34eyWArH.IPGhIBb40-JsslMMAGJ66w.opAgasMr-MHiIXEKrVEXOfRR2mj2OAOY1OMe36zbXohJIGgC-cFCM4rVc-Dw5_sPWAv-5Xu94tm96lHOhpUv_KCc9Wob0GX3DY2WLk66pNwA7uCowjA1B4c';
const V1_PLAIN = JSON.stringify({ accessToken: 'legacy-access', refreshToken: 'legacy-refresh', expiresAt: 1700000000000 });
/** Written by seal() before v3 (commit 2dc4e13), under LEGACY_HEX as key "k1", bound to "inst-v2". */
const V2_FIXTURE =
  'v2.k1.2jaXhnWcTfZMQVdo.7LsyQAwFoKqYt85TiqjFDw.pHvKDHFiBcTOYye81AFzs63pitsonH8OnCBlfM9tiQmaQZj6f4SWr94JusaJmHgMcmD-0DbnstPx2Eak89m_gG4CxURAD7nv5LgwNcW2zVibVGdKUcD7P1EFpS5tYhPW1uhlg5SnYvxFehK7yG6-5NoQa4RUPPoV2KJ5gHV1ekWene_cpw';
const V2_PLAIN = JSON.stringify({ accessToken: 'v2-access', refreshToken: 'v2-refresh', expiresAt: 1800000000000, scope: 'smartRead,smartWrite', tokenType: 'Bearer' });
/** A token set shaped like ecobee's: a JWT (base64url JSON header and claims, 256-byte signature) and a refresh token. */
const jwtTokens = (): string => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const jwt = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss: 'https://auth.example/', sub: 'user-1', scope: 'smartRead,smartWrite', iat: 1_800_000_000, exp: 1_800_003_600 })}.${randomBytes(256).toString('base64url')}`;
  return JSON.stringify({ a: jwt, r: `v1.${randomBytes(32).toString('base64url')}`, e: 1_800_003_600_000, s: 'smartRead,smartWrite', t: 'Bearer' });
};
/** A v3 ciphertext sealed with `key` around a body of our choosing (flag byte + payload), as only a key holder could. */
const v3Around = (key: Buffer, keyId: string, body: Buffer, associatedData: string): string =>
  `v3.${keyId}.${encryptBytes(key, body, Buffer.from(`v3\0${associatedData}`, 'utf8')).toString('base64url')}`;

const hex = () => randomBytes(32).toString('hex');
const ring = (secretKeys: string | undefined, secretKey?: string): SecretKeyring => {
  const result = keyringFromEnv(secretKeys, secretKey, parseSecretKey);
  if (!result || 'problems' in result) throw new Error(`no ring: ${JSON.stringify(result)}`);
  return result.ring;
};
const problems = (secretKeys: string | undefined, secretKey?: string): string[] => {
  const result = keyringFromEnv(secretKeys, secretKey, parseSecretKey);
  return result && 'problems' in result ? result.problems : [];
};
const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (err) {
    return err instanceof AppError ? err.code : `not an AppError: ${String(err)}`;
  }
  return undefined;
};

describe('SecretKeyring', () => {
  it('seal => v3 naming the first key; every configured key opens what it sealed', () => {
    const k1 = hex();
    const old = ring(`k1:${k1}`);
    const sealed = old.seal('token', 'inst-1');
    expect(sealed.startsWith('v3.k1.')).toBe(true);
    expect(sealed.split('.')).toHaveLength(3);
    expect(sealed).not.toContain('token');
    const rotated = ring(`k2:${hex()},k1:${k1}`);
    expect(rotated.open(sealed, 'inst-1')).toBe('token');
    expect(rotated.seal('x', 'a').startsWith('v3.k2.')).toBe(true);
    expect(rotated.target).toBe('v3.k2');
  });

  it('v3 deflates what shrinks (a JWT token set: ~20% shorter than v2 sealed it) and stores the rest as it is; both open', () => {
    const r = ring(`k1:${LEGACY_HEX}`);
    const tokens = jwtTokens();
    const sealed = r.seal(tokens, 'inst-1');
    expect(r.open(sealed, 'inst-1')).toBe(tokens);
    // v2 was the plaintext's bytes in base64url plus ~48 characters of framing.
    const v2Length = 48 + Math.ceil((Buffer.byteLength(tokens) * 4) / 3);
    expect(sealed.length).toBeLessThan(v2Length * 0.85);
    // Random bytes do not deflate: kept as they are (one flag byte more than the plaintext).
    const secret = randomBytes(32).toString('base64url');
    const sealedSecret = r.seal(secret, 'sink:1');
    expect(r.open(sealedSecret, 'sink:1')).toBe(secret);
    expect(Buffer.from(sealedSecret.split('.')[2] ?? '', 'base64url').length).toBeLessThanOrEqual(12 + 16 + 1 + 43);
    // Unicode round-trips, and so does the empty string.
    expect(r.open(r.seal('températures ✓ 温度', 'a'), 'a')).toBe('températures ✓ 温度');
    expect(r.open(r.seal('', 'a'), 'a')).toBe('');
  });

  it('a ciphertext of the code before v3 (v2) => still opens with its key, under any position in the ring', () => {
    expect(ring(`k1:${LEGACY_HEX}`).open(V2_FIXTURE, 'inst-v2')).toBe(V2_PLAIN);
    expect(ring(`k2:${hex()},k1:${LEGACY_HEX}`).open(V2_FIXTURE, 'inst-v2')).toBe(V2_PLAIN);
    expect(codeOf(() => ring(`k1:${LEGACY_HEX}`).open(V2_FIXTURE, 'inst-other'))).toBe('secret_unreadable');
  });

  it('a v3 ciphertext tampered with (a body byte, the key id, the format name, the record id) => secret_unreadable', () => {
    const k1 = hex();
    const r = ring(`k1:${k1},k2:${k1.split('').reverse().join('')}`);
    const sealed = r.seal(jwtTokens(), 'inst-1');
    const [, , blob = ''] = sealed.split('.');
    const bytes = Buffer.from(blob, 'base64url');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(codeOf(() => r.open(`v3.k1.${bytes.toString('base64url')}`, 'inst-1'))).toBe('secret_unreadable');
    expect(codeOf(() => r.open(`v3.k2.${blob}`, 'inst-1'))).toBe('secret_unreadable');
    // The same bytes presented as v2 (split as v2 frames them) fail GCM: the format is authenticated.
    const iv = Buffer.from(blob, 'base64url').subarray(0, 12).toString('base64url');
    const tag = Buffer.from(blob, 'base64url').subarray(12, 28).toString('base64url');
    const body = Buffer.from(blob, 'base64url').subarray(28).toString('base64url');
    expect(codeOf(() => r.open(`v2.k1.${iv}.${tag}.${body}`, 'inst-1'))).toBe('secret_unreadable');
    expect(codeOf(() => r.open(sealed, 'inst-2'))).toBe('secret_unreadable');
    expect(codeOf(() => r.open('v3.k1.', 'inst-1'))).toBe('secret_unreadable');
    expect(codeOf(() => r.open('v3.k1.AAAA', 'inst-1'))).toBe('secret_unreadable');
  });

  it('a v3 body that inflates past the cap (a decompression bomb), a corrupt deflate stream or an unknown flag => secret_unreadable, nothing inflated', () => {
    const key = Buffer.from(LEGACY_HEX, 'hex');
    const r = ring(`k1:${LEGACY_HEX}`);
    const bomb = deflateRawSync(Buffer.alloc(64 * 1024 * 1024, 0x61));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const sealedBomb = v3Around(key, 'k1', Buffer.concat([Buffer.of(1), bomb]), 'inst-1');
    let error: unknown;
    try {
      r.open(sealedBomb, 'inst-1');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('secret_unreadable');
    expect((error as AppError).message).toContain(`more than ${MAX_INFLATED_BYTES} bytes`);
    // Right at the cap still opens.
    const atCap = 'b'.repeat(MAX_INFLATED_BYTES);
    expect(r.open(v3Around(key, 'k1', Buffer.concat([Buffer.of(1), deflateRawSync(Buffer.from(atCap))]), 'inst-1'), 'inst-1')).toBe(atCap);
    expect(codeOf(() => r.open(v3Around(key, 'k1', Buffer.of(1, 0xff, 0xff, 0xff), 'inst-1'), 'inst-1'))).toBe('secret_unreadable');
    expect(codeOf(() => r.open(v3Around(key, 'k1', Buffer.of(7, 0x61), 'inst-1'), 'inst-1'))).toBe('secret_unreadable');
    // What seal itself writes never trips the cap: above it, the plaintext is stored as it is.
    const big = 'c'.repeat(MAX_INFLATED_BYTES + 1);
    expect(r.open(r.seal(big, 'a'), 'a')).toBe(big);
  });

  it('a ciphertext of the code before key ids (v1) => opens with SECRET_KEY alone, and next to SECRET_KEYS', () => {
    expect(ring(undefined, LEGACY_HEX).open(V1_FIXTURE, 'inst-legacy')).toBe(V1_PLAIN);
    expect(ring(`k2:${hex()}`, LEGACY_HEX).open(V1_FIXTURE, 'inst-legacy')).toBe(V1_PLAIN);
    // The old key moved into SECRET_KEYS under any id still opens it: v1 names no key, GCM picks the right one.
    expect(ring(`k2:${hex()},old:${LEGACY_HEX}`).open(V1_FIXTURE, 'inst-legacy')).toBe(V1_PLAIN);
  });

  it('SECRET_KEY alone => its id is "legacy" and it both seals and opens', () => {
    const r = ring(undefined, LEGACY_HEX);
    expect(r.primaryId).toBe(LEGACY_KEY_ID);
    expect(r.primaryKey).toEqual(Buffer.from(LEGACY_HEX, 'hex'));
    expect(r.open(r.seal('x', 'a'), 'a')).toBe('x');
  });

  it('an unknown key id, a wrong key, a v1 no key opens, garbage, another record id => secret_unreadable', () => {
    const k1 = ring(`k1:${hex()}`);
    const sealed = k1.seal('x', 'a');
    expect(codeOf(() => ring(`k2:${hex()}`).open(sealed, 'a'))).toBe('secret_unreadable');
    expect(codeOf(() => ring(`k1:${hex()}`).open(sealed, 'a'))).toBe('secret_unreadable');
    expect(codeOf(() => ring(`k1:${hex()}`).open(V1_FIXTURE, 'inst-legacy'))).toBe('secret_unreadable');
    expect(codeOf(() => k1.open('not-a-ciphertext', 'a'))).toBe('secret_unreadable');
    expect(codeOf(() => k1.open('v2.k1', 'a'))).toBe('secret_unreadable');
    expect(codeOf(() => k1.open(sealed, 'b'))).toBe('secret_unreadable');
  });

  it('reseal => undefined when already v3 under the first key, else a v3 under it that opens to the same text', () => {
    const k1 = hex();
    const rotated = ring(`k2:${hex()},k1:${k1}`);
    const fromOld = ring(`k1:${k1}`).seal('x', 'a');
    const resealed = rotated.reseal(fromOld, 'a');
    expect(resealed?.startsWith('v3.k2.')).toBe(true);
    expect(rotated.open(resealed as string, 'a')).toBe('x');
    expect(rotated.reseal(resealed as string, 'a')).toBeUndefined();
    expect(ring(`k2:${hex()}`, LEGACY_HEX).reseal(V1_FIXTURE, 'inst-legacy')?.startsWith('v3.k2.')).toBe(true);
    // A v2 under the first key itself is not current: the format changes, the key stays.
    const sameKey = ring(`k1:${LEGACY_HEX}`);
    expect(sameKey.isCurrent(V2_FIXTURE)).toBe(false);
    const converted = sameKey.reseal(V2_FIXTURE, 'inst-v2', (plain) => plain.toUpperCase());
    expect(converted?.startsWith('v3.k1.')).toBe(true);
    expect(sameKey.open(converted as string, 'inst-v2')).toBe(V2_PLAIN.toUpperCase());
  });
});

describe('keyringFromEnv', () => {
  it('neither variable => undefined (the demo makes one up)', () => {
    expect(keyringFromEnv(undefined, undefined, parseSecretKey)).toBeUndefined();
  });

  it('base64 keys and spaces around entries are accepted; order is kept, SECRET_KEY last', () => {
    const r = ring(` a:${Buffer.alloc(32, 1).toString('base64')} , b:${hex()}`, LEGACY_HEX);
    expect(r.ids).toEqual(['a', 'b', LEGACY_KEY_ID]);
    expect(r.primaryKey).toEqual(Buffer.alloc(32, 1));
  });

  it.each([
    ['', 'at least one'],
    [',', 'at least one'],
    ['nocolon', 'entry 1 must be <id>:<key>'],
    [`:${'a'.repeat(64)}`, 'entry 1 must be <id>:<key>'],
    [`bad.id:${'a'.repeat(64)}`, 'entry 1 must be <id>:<key>'],
    [`k1:${'a'.repeat(64)},k2:abcd`, 'key "k2" must be 32 bytes'],
    [`k1:${'a'.repeat(64)},k1:${'b'.repeat(64)}`, 'key id "k1" appears twice'],
  ])('SECRET_KEYS=%j => a problem naming SECRET_KEYS (%s)', (value, expected) => {
    const found = problems(value);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toContain('SECRET_KEYS:');
    expect(found.join('\n')).toContain(expected);
    // Never the key material itself.
    expect(found.join('\n')).not.toContain('a'.repeat(64));
  });

  it('SECRET_KEYS naming "legacy" while SECRET_KEY is set => duplicate id problem; a bad SECRET_KEY => its own problem', () => {
    expect(problems(`legacy:${hex()}`, LEGACY_HEX).join('\n')).toContain('"legacy"');
    expect(problems(`k1:${hex()}`, 'short')).toEqual(['SECRET_KEY: must be 32 bytes, as 64 hex characters or base64']);
  });
});
