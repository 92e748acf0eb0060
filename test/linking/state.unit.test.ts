import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/runtime/secrets/crypto';
import { checkState, isWellFormedState, type OAuthStateRecord } from '../../src/linking/state';

const now = 1_700_000_000_000;
const record: OAuthStateRecord = {
  installationId: 'inst-1',
  connector: 'acme',
  browserHash: hashToken('nonce-a'),
  codeVerifier: undefined,
  setupToken: undefined,
  createdAt: now,
  expiresAt: now + 600_000,
};

describe('checkState', () => {
  it.each([
    ['missing record', undefined, { connector: 'acme', browserNonce: 'nonce-a', now }, 'invalid_state'],
    ['other connector', record, { connector: 'netatmo', browserNonce: 'nonce-a', now }, 'state_mismatch'],
    ['expired exactly at expiry', record, { connector: 'acme', browserNonce: 'nonce-a', now: now + 600_000 }, 'state_expired'],
    ['no browser cookie', record, { connector: 'acme', browserNonce: undefined, now }, 'browser_mismatch'],
    ['another browser', record, { connector: 'acme', browserNonce: 'nonce-b', now }, 'browser_mismatch'],
  ] as const)('checkState(%s) => %s', (_name, rec, expected, code) => {
    expect(checkState(rec, expected)).toEqual({ ok: false, code });
  });

  it('checkState(valid, just before expiry) => ok with the record', () => {
    expect(checkState(record, { connector: 'acme', browserNonce: 'nonce-a', now: now + 599_999 })).toEqual({
      ok: true,
      record,
    });
  });
});

describe('isWellFormedState', () => {
  it.each([
    ['0f8fad5b-d9cb-469f-a165-70867728950e', true],
    ['0F8FAD5B-D9CB-469F-A165-70867728950E', false],
    ['0f8fad5b-d9cb-169f-a165-70867728950e', false],
    ['', false],
    ['x'.repeat(5000), false],
    [undefined, false],
    [['0f8fad5b-d9cb-469f-a165-70867728950e'], false],
  ])('isWellFormedState(%j) => %s', (value, ok) => {
    expect(isWellFormedState(value)).toBe(ok);
  });
});
