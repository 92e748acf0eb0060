import type { CallbackTokenRecord } from './callback-token';

/** What an installation's hash said about callbacks when we last read it. */
export interface CachedLookup {
  connector: string | null;
  record: CallbackTokenRecord;
  /**
   * The token this record was last seen to accept, so that a busy installation's next callbacks are
   * checked by one constant-time comparison instead of a SHA-256 each. Process memory only, for at
   * most the cache's ttl: never written anywhere, like the request that carried it.
   */
  accepted?: Buffer;
}

/**
 * A short-lived, bounded memory of callback-token lookups, so a busy installation's callbacks do
 * not each pay a Redis round trip. Used for acceptance only: a token the cached record refuses is
 * looked up again (a rotation just happened), so it never refuses a valid token. Revocation does
 * not wait for `ttlMs`: CallbackTokenCache drops entries when told a record changed, and the ttl
 * only bounds a missed message. Pure apart from the injected clock.
 */
export class TokenRecordCache {
  private readonly entries = new Map<string, { value: CachedLookup; until: number }>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = 2_000,
    private readonly maxEntries = 10_000,
  ) {}

  get(installationId: string): CachedLookup | undefined {
    const entry = this.entries.get(installationId);
    if (!entry) return undefined;
    if (this.now() >= entry.until) {
      this.entries.delete(installationId);
      return undefined;
    }
    return entry.value;
  }

  set(installationId: string, value: CachedLookup): void {
    // Map keeps insertion order: dropping the first key evicts the oldest entry.
    if (!this.entries.has(installationId) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.delete(installationId);
    this.entries.set(installationId, { value, until: this.now() + this.ttlMs });
  }

  delete(installationId: string): void {
    this.entries.delete(installationId);
  }

  clear(): void {
    this.entries.clear();
  }
}
