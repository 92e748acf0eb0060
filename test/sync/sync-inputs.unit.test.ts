import { describe, expect, it } from 'vitest';
import { syncInputs } from '../../src/sync/sync-installation';
import { healthFromFields } from '../../src/platform';

const hash = {
  id: 'i1', connector: 'acme', locationId: 'home', status: 'linked',
  createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', tokenHash: 'h',
};

describe('syncInputs (pure)', () => {
  it('installation without its token hash, selection as a set, cursor', () => {
    const got = syncInputs([[null, hash], [null, ['a', 'b']], [null, 'rev-1']]);
    expect(got.installation).toMatchObject({ id: 'i1', status: 'linked' });
    expect(got.installation).not.toHaveProperty('tokenHash');
    expect([...got.selected]).toEqual(['a', 'b']);
    expect(got.cursor).toBe('rev-1');
  });

  it('a missing installation (empty hash) and no cursor => undefined, not a half record', () => {
    const got = syncInputs([[null, {}], [null, []], [null, null]]);
    expect(got).toEqual({ installation: undefined, selected: new Set(), cursor: undefined, health: healthFromFields(undefined) });
  });

  it('health from the fourth reply (HMGET of the health fields)', () => {
    const got = syncInputs([[null, hash], [null, []], [null, null], [null, ['2', '1', '2026-01-01T00:00:00.000Z', null, null]]]);
    expect(got.health).toMatchObject({ failures: 2, degraded: true, lastSuccessAt: '2026-01-01T00:00:00.000Z' });
  });

  it('any read that failed => that error, not a guess', () => {
    const err = new Error('WRONGTYPE');
    expect(() => syncInputs([[null, hash], [err, null], [null, 'rev']])).toThrow('WRONGTYPE');
  });
});
