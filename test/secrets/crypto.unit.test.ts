import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, decrypt, encrypt, hashToken, randomToken, tokenMatchesHash } from '../../src/runtime/secrets/crypto';

const key = randomBytes(32);

describe('encrypt/decrypt', () => {
  it('decrypt(encrypt(x)) => x, and the ciphertext does not contain x', () => {
    const sealed = encrypt(key, 'secret-access-token', 'inst-1');
    expect(sealed).not.toContain('secret-access-token');
    expect(decrypt(key, sealed, 'inst-1')).toBe('secret-access-token');
  });
  it('encrypt twice => different ciphertexts (fresh IV)', () => {
    expect(encrypt(key, 'x', 'a')).not.toBe(encrypt(key, 'x', 'a'));
  });
  it('decrypt under another installation id => throws', () => {
    expect(() => decrypt(key, encrypt(key, 'x', 'inst-1'), 'inst-2')).toThrow();
  });
  it('decrypt with another key => throws', () => {
    expect(() => decrypt(randomBytes(32), encrypt(key, 'x', 'a'), 'a')).toThrow();
  });
  it('decrypt of a tampered ciphertext => throws', () => {
    const sealed = encrypt(key, 'hello world', 'a');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => decrypt(key, parts.join('.'), 'a')).toThrow();
  });
  it('decrypt of garbage => throws', () => {
    expect(() => decrypt(key, 'garbage', 'a')).toThrow();
  });
});

describe('tokens', () => {
  it('randomToken => 43 url-safe characters, never repeating', () => {
    const a = randomToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(a);
  });
  it('tokenMatchesHash => true only for the right token', () => {
    const t = randomToken();
    expect(tokenMatchesHash(t, hashToken(t))).toBe(true);
    expect(tokenMatchesHash(`${t}x`, hashToken(t))).toBe(false);
    expect(tokenMatchesHash('', hashToken(t))).toBe(false);
  });
  it('constantTimeEqual => handles different lengths', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
