import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { singleQueryParam } from '../../src/ingest/query-param';

/** What the route read before: Koa's ctx.query[name] when it is a single string. */
function viaKoaQuery(query: string, name: string): string | undefined {
  const all = new URLSearchParams(query).getAll(name);
  return all.length === 1 ? all[0] : undefined;
}

describe('singleQueryParam', () => {
  it('single, absent, repeated, empty and escaped values', () => {
    expect(singleQueryParam('access_token=abc', 'access_token')).toBe('abc');
    expect(singleQueryParam('x=1&access_token=abc&y', 'access_token')).toBe('abc');
    expect(singleQueryParam('access_tokens=abc', 'access_token')).toBeUndefined();
    expect(singleQueryParam('', 'access_token')).toBeUndefined();
    expect(singleQueryParam('access_token=a&access_token=b', 'access_token')).toBeUndefined();
    expect(singleQueryParam('access_token', 'access_token')).toBe('');
    expect(singleQueryParam('access_token=a=b', 'access_token')).toBe('a=b');
    expect(singleQueryParam('access%5Ftoken=a%2Bb+c', 'access_token')).toBe('a+b c');
    expect(singleQueryParam('access_token=%zz', 'access_token')).toBe('%zz');
    expect(singleQueryParam('?access_token=abc', 'access_token')).toBe('abc');
  });

  it('agrees with URLSearchParams on any query string', () => {
    const piece = fc.constantFrom('access_token', 'access_token=', 'a', '=', '&', '%', '%5F', '+', 'tok', '%zz', 'é', '_', '?');
    const query = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(query, fc.string()), (q) => {
        expect(singleQueryParam(q, 'access_token')).toBe(viaKoaQuery(q, 'access_token'));
      }),
      { numRuns: 2000 },
    );
  });
});
