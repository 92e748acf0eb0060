import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, decrypt, encrypt, hashToken, tokenMatchesHash } from '../../src/runtime/secrets/crypto';
import { RUNS } from './runs';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 2_000 }));
describe('encrypt/decrypt — property', () => {
  it('decrypt(key, encrypt(key, text, aad), aad) => text, for any unicode text and associated data', () => {
    fc.assert(
      fc.property(key, text, fc.string(), (k, plain, aad) => {
        expect(decrypt(k, encrypt(k, plain, aad), aad)).toBe(plain);
      }),
      { numRuns: RUNS },
    );
  });

  it('encrypt(same input twice) => two different ciphertexts (fresh IV)', () => {
    fc.assert(
      fc.property(key, text, fc.string(), (k, plain, aad) => {
        expect(encrypt(k, plain, aad)).not.toBe(encrypt(k, plain, aad));
      }),
      { numRuns: RUNS },
    );
  });

  it('decrypt(other associated data, other key) => throws', () => {
    fc.assert(
      fc.property(key, key, text, fc.string(), fc.string(), (k, k2, plain, aad, aad2) => {
        fc.pre(aad !== aad2 && !k.equals(k2));
        const sealed = encrypt(k, plain, aad);
        expect(() => decrypt(k, sealed, aad2)).toThrow();
        expect(() => decrypt(k2, sealed, aad)).toThrow();
      }),
      { numRuns: RUNS },
    );
  });

  it('decrypt(ciphertext with any one character changed) => throws, never returns other plaintext', () => {
    fc.assert(
      fc.property(key, text, fc.string(), fc.nat(), fc.constantFrom(...'ABCabc019-_.x'), (k, plain, aad, at, ch) => {
        const sealed = encrypt(k, plain, aad);
        const i = at % sealed.length;
        fc.pre(sealed[i] !== ch);
        const tampered = sealed.slice(0, i) + ch + sealed.slice(i + 1);
        let opened: string | undefined;
        try {
          opened = decrypt(k, tampered, aad);
        } catch {
          return;
        }
        // A changed last character of a base64url field can decode to the same bytes (unused
        // trailing bits); then the plaintext is the original, which is no forgery.
        expect(opened).toBe(plain);
      }),
      { numRuns: RUNS },
    );
  });

  it('decrypt(auth tag cut to 1..15 bytes) => throws (a short GCM tag is a valid prefix, so it must be refused by length)', () => {
    fc.assert(
      fc.property(key, text, fc.string(), fc.integer({ min: 1, max: 15 }), (k, plain, aad, length) => {
        const [version, iv, tag, body] = encrypt(k, plain, aad).split('.');
        const short = Buffer.from(tag ?? '', 'base64url').subarray(0, length).toString('base64url');
        expect(() => decrypt(k, [version, iv, short, body].join('.'), aad)).toThrow();
      }),
      { numRuns: RUNS },
    );
  });

  it('decrypt(garbage) => throws an Error, never crashes differently', () => {
    const k = randomBytes(32);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 6 }).map((p) => ['v1', ...p].join('.'))), (garbage) => {
        expect(() => decrypt(k, garbage, 'aad')).toThrow(Error);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('constantTimeEqual / tokenMatchesHash — property', () => {
  it('constantTimeEqual(a, b) => a === b, for strings of any lengths', () => {
    fc.assert(
      fc.property(text, text, fc.boolean(), (a, b, same) => {
        const other = same ? a : b;
        expect(constantTimeEqual(a, other)).toBe(a === other);
      }),
      { numRuns: RUNS },
    );
  });

  it('tokenMatchesHash(t, hashToken(u)) => t === u', () => {
    fc.assert(
      fc.property(text, text, fc.boolean(), (t, u, same) => {
        const stored = hashToken(same ? t : u);
        expect(tokenMatchesHash(t, stored)).toBe(same || t === u);
      }),
      { numRuns: RUNS },
    );
  });
});
