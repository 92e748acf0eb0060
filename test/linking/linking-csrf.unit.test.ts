import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueLinkingCsrf, linkingCsrfKey, linkingCsrfMatches, type CsrfBinding } from '../../src/linking/linking-csrf';

const key = linkingCsrfKey(randomBytes(32));
const now = 1_700_000_000_000;
const binding: CsrfBinding = { connector: 'acme', installationId: 'inst-1', browserNonce: 'n'.repeat(43) };
const token = issueLinkingCsrf(key, binding, now + 600_000);

describe('linking CSRF token', () => {
  it('linkingCsrfMatches(its own token, same browser, before expiry) => true', () => {
    expect(linkingCsrfMatches(key, binding, token, now + 599_999)).toBe(true);
  });

  it.each([
    ['another browser', { ...binding, browserNonce: 'm'.repeat(43) }, token, now],
    ['another installation', { ...binding, installationId: 'inst-2' }, token, now],
    ['another connector', { ...binding, connector: 'netatmo' }, token, now],
    ['at expiry', binding, token, now + 600_000],
    ['an expiry moved later', binding, token.replace(String(now + 600_000), String(now + 6_000_000)), now + 700_000],
    ['a changed signature', binding, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, now],
    ['no token', binding, undefined, now],
    ['an empty token', binding, '', now],
    ['a token with no dot', binding, 'abc', now],
    ['a non-numeric expiry', binding, `x.${token.split('.')[1] ?? ''}`, now],
    ['an array', binding, [token], now],
    ['a very long token', binding, `${token}${'a'.repeat(500)}`, now],
  ] as const)('linkingCsrfMatches(%s) => false', (_name, b, presented, at) => {
    expect(linkingCsrfMatches(key, b, presented, at)).toBe(false);
  });

  it('linkingCsrfMatches(a token signed under another SECRET_KEY) => false', () => {
    const other = issueLinkingCsrf(linkingCsrfKey(randomBytes(32)), binding, now + 600_000);
    expect(linkingCsrfMatches(key, binding, other, now)).toBe(false);
  });
});
