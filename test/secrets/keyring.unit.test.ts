import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyringFromEnv, LEGACY_KEY_ID, SecretKeyring } from '../../src/runtime/secrets/keyring';
import { parseSecretKey } from '../../src/runtime/secret-key';
import { AppError } from '../../src/runtime/errors/index';

const LEGACY_HEX = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
/** Written by encrypt() as it was before key ids (commit eb0da9d), under LEGACY_HEX, bound to "inst-legacy". */
const V1_FIXTURE =
  'v1.6B9K7_yL34eyWArH.IPGhIBb40-JsslMMAGJ66w.opAgasMr-MHiIXEKrVEXOfRR2mj2OAOY1OMe36zbXohJIGgC-cFCM4rVc-Dw5_sPWAv-5Xu94tm96lHOhpUv_KCc9Wob0GX3DY2WLk66pNwA7uCowjA1B4c';
const V1_PLAIN = JSON.stringify({ accessToken: 'legacy-access', refreshToken: 'legacy-refresh', expiresAt: 1700000000000 });

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
  it('seal => v2 naming the first key; every configured key opens what it sealed', () => {
    const k1 = hex();
    const old = ring(`k1:${k1}`);
    const sealed = old.seal('token', 'inst-1');
    expect(sealed.startsWith('v2.k1.')).toBe(true);
    expect(sealed).not.toContain('token');
    const rotated = ring(`k2:${hex()},k1:${k1}`);
    expect(rotated.open(sealed, 'inst-1')).toBe('token');
    expect(rotated.seal('x', 'a').startsWith('v2.k2.')).toBe(true);
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

  it('reseal => undefined when already under the first key, else a v2 under it that opens to the same text', () => {
    const k1 = hex();
    const rotated = ring(`k2:${hex()},k1:${k1}`);
    const fromOld = ring(`k1:${k1}`).seal('x', 'a');
    const resealed = rotated.reseal(fromOld, 'a');
    expect(resealed?.startsWith('v2.k2.')).toBe(true);
    expect(rotated.open(resealed as string, 'a')).toBe('x');
    expect(rotated.reseal(resealed as string, 'a')).toBeUndefined();
    expect(ring(`k2:${hex()}`, LEGACY_HEX).reseal(V1_FIXTURE, 'inst-legacy')?.startsWith('v2.k2.')).toBe(true);
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
