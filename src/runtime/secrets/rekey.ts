import { AppError } from '../errors/index';
import type { SecretKeyring } from './keyring';

/**
 * One stored secret as a rekey sees it: `id` is the associated data it is bound to, `version` the
 * whole stored value (what a compare-and-set is fenced on; the ciphertext itself, or the record
 * holding it).
 */
export interface SealedRecord {
  id: string;
  sealed: string;
  version: string;
}

/** A repository whose records hold sealed secrets: it scans them and swaps one only if unchanged. */
export interface SealedFamily {
  scanSealed(cursor: string, count: number): Promise<{ cursor: string; records: SealedRecord[] }>;
  /** Per update, true when written; false when the record changed (or went) since it was read. */
  replaceSealed(updates: readonly { record: SealedRecord; sealed: string }[]): Promise<boolean[]>;
  /** The plaintext in the family's newest shape, when it has more than one (rekey writes that). */
  rewrite?(plaintext: string): string;
}

/**
 * Where an interrupted rekey picks up: per family, the SCAN cursor reached towards a given target
 * (sealed format and first key, SecretKeyring.target).
 */
export interface RekeyCheckpoints {
  load(family: string, target: string): Promise<string | undefined>;
  save(family: string, target: string, cursor: string): Promise<void>;
  clear(): Promise<void>;
}

export interface RekeyCounts {
  scanned: number;
  rekeyed: number;
  current: number;
  /** Rewritten by the running service between our read and our write: left as the service wrote it. */
  changed: number;
  unreadable: number;
}

export interface RekeyProgress extends RekeyCounts {
  family: string;
  done: boolean;
}

const DONE = 'done';

/**
 * Re-encrypts every secret of `families` under the ring's first key, in the newest sealed format
 * (and the family's newest plaintext shape), a SCAN batch at a time. Each
 * write is a compare-and-set on the value read, so a token refreshed meanwhile is never replaced
 * by the older one we re-encrypted. After each batch the cursor is saved: a run that was stopped
 * resumes there (SCAN cursors stay valid across connections), and whatever it re-reads is already
 * current and skipped without decrypting. Running it again finds nothing to do.
 */
export async function rekeyFamilies(
  ring: SecretKeyring,
  families: readonly { name: string; store: SealedFamily }[],
  checkpoints: RekeyCheckpoints,
  options: { batchSize: number; onProgress?: (progress: RekeyProgress) => void },
): Promise<RekeyCounts> {
  const total: RekeyCounts = { scanned: 0, rekeyed: 0, current: 0, changed: 0, unreadable: 0 };
  for (const { name, store } of families) {
    let cursor = (await checkpoints.load(name, ring.target)) ?? '0';
    if (cursor === DONE) continue;
    const counts: RekeyCounts = { scanned: 0, rekeyed: 0, current: 0, changed: 0, unreadable: 0 };
    do {
      const batch = await store.scanSealed(cursor, options.batchSize);
      const updates: { record: SealedRecord; sealed: string }[] = [];
      for (const record of batch.records) {
        counts.scanned++;
        try {
          const resealed = ring.reseal(record.sealed, record.id, store.rewrite?.bind(store));
          if (resealed === undefined) counts.current++;
          else updates.push({ record, sealed: resealed });
        } catch (err) {
          if (!(err instanceof AppError && err.code === 'secret_unreadable')) throw err;
          // Left as it is: at its next use the installation asks to be linked again.
          counts.unreadable++;
        }
      }
      const written = updates.length > 0 ? await store.replaceSealed(updates) : [];
      for (const ok of written) ok ? counts.rekeyed++ : counts.changed++;
      cursor = batch.cursor;
      await checkpoints.save(name, ring.target, cursor === '0' ? DONE : cursor);
      options.onProgress?.({ family: name, done: cursor === '0', ...counts });
    } while (cursor !== '0');
    for (const k of Object.keys(total) as (keyof RekeyCounts)[]) total[k] += counts[k];
  }
  await checkpoints.clear();
  return total;
}
