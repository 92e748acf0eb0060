import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual,
  constantTimeEqualBytes,
  hmacSha256,
  hmacSha256Bytes,
  hmacSha256Hex,
  sha256,
  sha256Base64url,
} from '../../src/runtime/secrets/hmac';

const ROOT = join(import.meta.dirname, '../..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('secrets/hmac', () => {
  it('hmacSha256Hex / hmacSha256 / hmacSha256Bytes => RFC 4231 test case 2, in hex, base64url and bytes', () => {
    const expected = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
    const data = 'what do ya want for nothing?';
    expect(hmacSha256Hex('Jefe', Buffer.from(data))).toBe(expected);
    expect(hmacSha256Hex('Jefe', data)).toBe(expected);
    expect(hmacSha256Bytes('Jefe', data).toString('hex')).toBe(expected);
    expect(hmacSha256(Buffer.from('Jefe'), data)).toBe(Buffer.from(expected, 'hex').toString('base64url'));
  });

  it('hmacSha256Hex with many secrets => each still right after its cached key was evicted', () => {
    const first = hmacSha256Hex('secret-0', 'body');
    for (let i = 1; i < 40; i++) hmacSha256Hex(`secret-${i}`, 'body');
    expect(hmacSha256Hex('secret-0', 'body')).toBe(first);
  });

  it('sha256 / sha256Base64url => the FIPS 180-2 "abc" vector', () => {
    const hex = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(sha256('abc').toString('hex')).toBe(hex);
    expect(sha256Base64url(Buffer.from('abc'))).toBe(Buffer.from(hex, 'hex').toString('base64url'));
  });

  it('constantTimeEqual => equal only for equal strings, any lengths, unicode included', () => {
    expect(constantTimeEqual('token', 'token')).toBe(true);
    expect(constantTimeEqual('token', 'tokeN')).toBe(false);
    expect(constantTimeEqual('token', 'token-longer')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('é', 'e\u0301')).toBe(false);
  });

  it('constantTimeEqualBytes => false (not a throw) for different lengths, true only for equal bytes', () => {
    expect(constantTimeEqualBytes(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(constantTimeEqualBytes(Buffer.from('abc'), Buffer.from('abd'))).toBe(false);
    expect(constantTimeEqualBytes(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false);
    expect(constantTimeEqualBytes(Buffer.alloc(0), Buffer.from('a'))).toBe(false);
  });

  it('the framework and the connectors compare secrets and compute HMACs only through src/runtime/secrets/hmac.ts', () => {
    // Fake clouds and tests stand for the other side: they keep their own, independent implementation.
    const files = [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'connectors'))]
      .map((f) => relative(ROOT, f))
      .filter((f) => f !== 'src/runtime/secrets/hmac.ts' && !/^connectors\/[^/]+\/(fake|test)\//.test(f));
    const offenders = files.filter((f) => /\b(timingSafeEqual|createHmac)\b/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
