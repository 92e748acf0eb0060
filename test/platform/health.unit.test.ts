import { describe, expect, it } from 'vitest';
import { afterFailure, afterSuccess, healthFromFields, healthView, healthViewSchema, redactMessage } from '../../src/platform';
import type { HealthRecord } from '../../src/platform';

const policy = { degradedAfter: 3, successResolutionMs: 60_000 };
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const healthy: HealthRecord = { failures: 0, degraded: false, lastSuccessAt: new Date(T0).toISOString(), lastError: undefined, reauthReason: undefined };
const error = { code: 'cloud_unavailable', message: 'no answer' };

describe('health transitions (pure)', () => {
  it('an unchanged successful poll within the resolution writes nothing', () => {
    expect(afterSuccess(healthy, T0 + 59_999, policy)).toEqual({ fields: {}, transition: undefined });
  });

  it('a success older than the resolution rewrites lastSuccessAt only; a never-polled installation writes it', () => {
    expect(afterSuccess(healthy, T0 + 60_000, policy)).toEqual({ fields: { lastSuccessAt: '2026-01-01T00:01:00.000Z' }, transition: undefined });
    expect(afterSuccess(healthFromFields(undefined), T0, policy).fields).toEqual({ lastSuccessAt: '2026-01-01T00:00:00.000Z' });
  });

  it('failures count up with lastError; the Nth makes it degraded, once', () => {
    let record = healthy;
    const transitions: (string | undefined)[] = [];
    for (let i = 1; i <= 5; i++) {
      const change = afterFailure(record, error, T0 + i, policy);
      transitions.push(change.transition);
      record = healthFromFields([change.fields['failures'], change.fields['degraded'] ?? (record.degraded ? '1' : '0'), record.lastSuccessAt, change.fields['lastError'], undefined]);
      expect(record.failures).toBe(i);
      expect(record.lastError).toEqual({ ...error, at: new Date(T0 + i).toISOString() });
    }
    expect(transitions).toEqual([undefined, undefined, 'degraded', undefined, undefined]);
    expect(record.degraded).toBe(true);
  });

  it('a success after degraded recovers (once), resets the count and writes lastSuccessAt exactly', () => {
    const degraded: HealthRecord = { ...healthy, failures: 4, degraded: true };
    expect(afterSuccess(degraded, T0 + 1_000, policy)).toEqual({
      fields: { failures: '0', degraded: '0', lastSuccessAt: '2026-01-01T00:00:01.000Z' },
      transition: 'recovered',
    });
    // A success after failures that never reached the threshold: reset, no event.
    expect(afterSuccess({ ...healthy, failures: 2 }, T0 + 1, policy).transition).toBeUndefined();
  });

  it('a threshold of 1 degrades on the first failure', () => {
    expect(afterFailure(healthy, error, T0, { ...policy, degradedAfter: 1 }).transition).toBe('degraded');
  });

  it('reads what it wrote, and treats junk as absent', () => {
    expect(healthFromFields(['x', 'yes', '', '{not json', ''])).toEqual(healthFromFields(undefined));
    expect(healthFromFields(['-3', null, null, JSON.stringify({ code: 1 }), null]).failures).toBe(0);
  });

  it('view: state from status and the degraded flag; reason only when reauth; pending has none', () => {
    expect(healthView('pending', healthy, undefined)).toBeNull();
    expect(healthView('linked', healthy, '2026-01-01T00:05:00.000Z')).toEqual({
      state: 'linked', lastSuccessAt: healthy.lastSuccessAt, nextPollAt: '2026-01-01T00:05:00.000Z',
    });
    const lastError = { ...error, at: 'x' };
    expect(healthView('linked', { ...healthy, degraded: true, lastError }, undefined)).toEqual({
      state: 'degraded', lastSuccessAt: healthy.lastSuccessAt, lastError, nextPollAt: null,
    });
    expect(healthView('reauth_required', { ...healthy, reauthReason: 'refresh_refused' }, 'later')).toEqual({
      state: 'reauth_required', reason: 'refresh_refused', lastSuccessAt: healthy.lastSuccessAt, nextPollAt: null,
    });
  });

  it('every view matches the exported schema (the OpenAPI document is generated from it)', () => {
    const lastError = { ...error, at: 'x' };
    for (const status of ['pending', 'linked', 'reauth_required'] as const) {
      for (const record of [healthy, { ...healthy, degraded: true, lastError, reauthReason: 'r' }]) {
        expect(healthViewSchema.safeParse(healthView(status, record, undefined)).success).toBe(true);
      }
    }
  });

  it('messages lose anything shaped like a credential and stay bounded', () => {
    const m = redactMessage('GET https://u:pw@x/a?access_token=abc&b=1 failed; Authorization: Bearer eyJhbGc.x.y');
    expect(m).not.toMatch(/abc|eyJhbGc|pw@/);
    expect(m).toContain('b=1');
    expect(redactMessage('x'.repeat(1000)).length).toBe(300);
  });
});
