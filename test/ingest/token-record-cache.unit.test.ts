import { describe, expect, it } from 'vitest';
import { acceptsCallbackToken } from '../../src/ingest/callback-token';
import { TokenRecordCache } from '../../src/ingest/token-record-cache';
import { hashToken } from '../../src/runtime/secrets/crypto';

const record = (token: string) => ({ connector: 'netatmo', record: { currentHash: hashToken(token), previousHash: undefined, previousUntil: undefined } });

describe('TokenRecordCache', () => {
  it('entry read within its ttl => returned; after => gone', () => {
    let now = 1_000;
    const cache = new TokenRecordCache(() => now, 2_000);
    cache.set('a', record('t'.repeat(43)));
    now += 1_999;
    expect(cache.get('a')?.connector).toBe('netatmo');
    now += 1;
    expect(cache.get('a')).toBeUndefined();
  });

  it('more entries than the bound => the oldest is evicted first', () => {
    const cache = new TokenRecordCache(() => 0, 10_000, 2);
    cache.set('a', record('a'.repeat(43)));
    cache.set('b', record('b'.repeat(43)));
    cache.set('c', record('c'.repeat(43)));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });

  it('delete => gone at once', () => {
    const cache = new TokenRecordCache(() => 0);
    cache.set('a', record('a'.repeat(43)));
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
  });
});

describe('acceptsCallbackToken', () => {
  const token = 'k'.repeat(43);
  const other = 'z'.repeat(43);

  it('current token => accepted; another token => refused', () => {
    const r = record(token).record;
    expect(acceptsCallbackToken(r, token, 0)).toBe(true);
    expect(acceptsCallbackToken(r, other, 0)).toBe(false);
  });

  it('previous token => accepted only before the overlap ends', () => {
    const r = { currentHash: hashToken(other), previousHash: hashToken(token), previousUntil: 100 };
    expect(acceptsCallbackToken(r, token, 99)).toBe(true);
    expect(acceptsCallbackToken(r, token, 100)).toBe(false);
  });

  it('no stored hash, or a corrupt one of another length => refused', () => {
    expect(acceptsCallbackToken({ currentHash: undefined, previousHash: undefined, previousUntil: undefined }, token, 0)).toBe(false);
    expect(acceptsCallbackToken({ currentHash: 'short', previousHash: undefined, previousUntil: undefined }, token, 0)).toBe(false);
    expect(acceptsCallbackToken({ currentHash: `${hashToken(token)}x`, previousHash: undefined, previousUntil: undefined }, token, 0)).toBe(false);
  });
});
