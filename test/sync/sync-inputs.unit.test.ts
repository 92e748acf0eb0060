import { describe, expect, it } from 'vitest';
import { syncInputs } from '../../src/sync/sync-installation';
import { deflateRawSync } from 'node:zlib';
import { healthFromFields } from '../../src/platform';

const hash = {
  id: 'i1', connector: 'acme', locationId: 'home', status: 'linked',
  createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', tokenHash: 'h',
};

describe('syncInputs (pure)', () => {
  it('installation without its token hash, selection as a set, cursor', () => {
    const got = syncInputs([[null, hash], [null, ['a', 'b']], [null, null], [null, ['rev-1', null]]], 'i1');
    expect(got.installation).toMatchObject({ id: 'i1', status: 'linked' });
    expect(got.installation).not.toHaveProperty('tokenHash');
    expect([...got.selected]).toEqual(['a', 'b']);
    expect(got.cursor).toBe('rev-1');
  });

  it('a missing installation (empty hash) and no cursor => undefined, not a half record', () => {
    const got = syncInputs([[null, {}], [null, []], [null, null], [null, [null, null]]], 'i1');
    expect(got).toEqual({ installation: undefined, selected: new Set(), cursor: undefined, health: healthFromFields(undefined) });
  });

  it('health from the fifth reply (HMGET of the health fields)', () => {
    const got = syncInputs([[null, hash], [null, []], [null, null], [null, [null, null]], [null, ['2', '1', '2026-01-01T00:00:00.000Z', null, null]]], 'i1');
    expect(got.health).toMatchObject({ failures: 2, degraded: true, lastSuccessAt: '2026-01-01T00:00:00.000Z' });
  });

  it('any read that failed => that error, not a guess', () => {
    const err = new Error('WRONGTYPE');
    expect(() => syncInputs([[null, hash], [err, null], [null, null], [null, ['rev', null]]], 'i1')).toThrow('WRONGTYPE');
  });

  it("a long cursor's own key (plain or deflated) wins over the hash field an earlier version wrote", () => {
    const long = 'x'.repeat(300);
    const plain = Buffer.concat([Buffer.of(0), Buffer.from(long)]);
    const deflated = Buffer.concat([Buffer.of(1), deflateRawSync(Buffer.from(long))]);
    expect(syncInputs([[null, hash], [null, []], [null, plain], [null, ['old', null]]], 'i1').cursor).toBe(long);
    expect(syncInputs([[null, hash], [null, []], [null, deflated], [null, ['old', null]]], 'i1').cursor).toBe(long);
  });

  it('a short selection from the sync-state hash field (JSON array), the set when it has members', () => {
    const inline = syncInputs([[null, hash], [null, []], [null, null], [null, ['rev', '["311","312"]']]], 'i1');
    expect([...inline.selected].sort()).toEqual(['311', '312']);
    expect(inline.cursor).toBe('rev');
    // Only a process of an earlier version writes the set beside the field: its (newer) selection wins.
    expect([...syncInputs([[null, hash], [null, ['9']], [null, null], [null, [null, '["311"]']]], 'i1').selected]).toEqual(['9']);
  });

  it('a selection field that does not decode => record_unreadable naming the installation, not an empty selection', () => {
    for (const raw of ['not json', '{"a":1}', '[1,2]']) {
      expect(() => syncInputs([[null, hash], [null, []], [null, null], [null, [null, raw]]], 'i1')).toThrow(expect.objectContaining({ code: 'record_unreadable', message: expect.stringContaining('i1') }));
    }
  });

  it('a cursor key that does not decode => record_unreadable naming the installation', () => {
    for (const raw of [Buffer.of(1, 0xde, 0xad), Buffer.from('zz')]) {
      expect(() => syncInputs([[null, hash], [null, []], [null, raw], [null, [null, null]]], 'i1')).toThrow(expect.objectContaining({ code: 'record_unreadable', message: expect.stringContaining('i1') }));
    }
  });
});
