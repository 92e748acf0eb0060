import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkState, isWellFormedState, type OAuthStateRecord } from '../../src/linking/state';
import { hashToken } from '../../src/runtime/secrets/crypto';
import { RUNS } from './runs';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const record = fc.record({
  installationId: fc.uuid({ version: 4 }),
  connector: fc.constantFrom('acme', 'netatmo', 'other'),
  nonce: fc.string({ minLength: 1, maxLength: 64 }),
  codeVerifier: fc.option(fc.string(), { nil: undefined }),
  setupToken: fc.option(fc.string(), { nil: undefined }),
  createdAt: fc.integer({ min: 0, max: 2 ** 42 }),
  ttl: fc.integer({ min: 1, max: 3_600_000 }),
});

describe('isWellFormedState — property', () => {
  it('isWellFormedState(any v4 UUID, ours or generated) => true', () => {
    fc.assert(fc.property(fc.uuid({ version: 4 }), (s) => isWellFormedState(s)), { numRuns: RUNS });
    for (let i = 0; i < 50; i++) expect(isWellFormedState(randomUUID())).toBe(true);
  });

  it('isWellFormedState(any string) => true exactly when it is a lower-case v4 UUID', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.uuid().map((u) => u.toUpperCase()), fc.uuid()), (s) => {
        expect(isWellFormedState(s)).toBe(UUID_V4.test(s));
      }),
      { numRuns: RUNS },
    );
  });

  it('isWellFormedState(anything that is not a string) => false', () => {
    fc.assert(fc.property(fc.anything().filter((v) => typeof v !== 'string'), (v) => !isWellFormedState(v)), { numRuns: RUNS });
  });
});

describe('checkState — property', () => {
  it('checkState(record, expected) => ok exactly when connector, expiry and browser all match; the first failing check names the code', () => {
    fc.assert(
      fc.property(
        record,
        fc.constantFrom('acme', 'netatmo', 'other'),
        fc.option(fc.string({ maxLength: 64 }), { nil: undefined }),
        fc.integer({ min: -3_700_000, max: 3_700_000 }),
        fc.boolean(),
        (r, connector, otherNonce, offset, sameBrowser) => {
          const rec: OAuthStateRecord = {
            installationId: r.installationId,
            connector: r.connector,
            browserHash: hashToken(r.nonce),
            codeVerifier: r.codeVerifier,
            setupToken: r.setupToken,
            createdAt: r.createdAt,
            expiresAt: r.createdAt + r.ttl,
          };
          const now = r.createdAt + r.ttl + offset;
          const browserNonce = sameBrowser ? r.nonce : otherNonce;
          const result = checkState(rec, { connector, browserNonce, now });
          const expected =
            connector !== r.connector ? 'state_mismatch'
            : now >= rec.expiresAt ? 'state_expired'
            : browserNonce !== r.nonce ? 'browser_mismatch'
            : 'ok';
          if (expected === 'ok') expect(result).toEqual({ ok: true, record: rec });
          else expect(result).toEqual({ ok: false, code: expected });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('checkState(no record, anything) => invalid_state', () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), fc.integer(), (connector, browserNonce, now) => {
        expect(checkState(undefined, { connector, browserNonce, now })).toEqual({ ok: false, code: 'invalid_state' });
      }),
      { numRuns: RUNS },
    );
  });
});
