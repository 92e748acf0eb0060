import { constantTimeEqualBytes, hashToken } from '../runtime';

/** The callback-token fields kept in the installation's hash (so uninstall removes them with it). */
export interface CallbackTokenRecord {
  currentHash: string | undefined;
  previousHash: string | undefined;
  /** Epoch ms until which the previous token is still accepted (rotation overlap). */
  previousUntil: number | undefined;
}

export const CALLBACK_FIELDS = ['callbackTokenHash', 'prevCallbackTokenHash', 'prevCallbackTokenUntil'] as const;

/** How long a rotated-out token keeps working, so deliveries in flight at rotation are not lost. */
export const ROTATION_OVERLAP_MS = 10 * 60 * 1000;

export function recordFromFields(values: readonly (string | null)[]): CallbackTokenRecord {
  const [current, previous, until] = values;
  return {
    currentHash: current ?? undefined,
    previousHash: previous ?? undefined,
    previousUntil: until ? Number(until) : undefined,
  };
}

/**
 * Both sides are SHA-256 digests in base64url (43 characters), so they can be compared directly
 * in constant time: no second hashing to equalise lengths, and a length mismatch (a corrupt or
 * missing stored value) reveals nothing about the secret.
 */
function digestsEqual(presented: Buffer, stored: string | undefined): boolean {
  return constantTimeEqualBytes(presented, Buffer.from(stored ?? '', 'latin1'));
}

/**
 * Pure: which of this installation's tokens the presented one is, if it opens the webhook: the
 * current token always does; the previous one only during the overlap. Both comparisons always
 * run (constant time overall).
 */
export function matchCallbackToken(record: CallbackTokenRecord, presented: string, now: number): 'current' | 'previous' | undefined {
  const presentedHash = Buffer.from(hashToken(presented), 'latin1');
  const current = digestsEqual(presentedHash, record.currentHash);
  const previous = digestsEqual(presentedHash, record.previousHash);
  const overlapOpen = record.previousUntil !== undefined && now < record.previousUntil;
  if (record.currentHash !== undefined && current) return 'current';
  if (record.previousHash !== undefined && previous && overlapOpen) return 'previous';
  return undefined;
}

/** Pure: does the presented token open this installation's webhook? */
export function acceptsCallbackToken(record: CallbackTokenRecord, presented: string, now: number): boolean {
  return matchCallbackToken(record, presented, now) !== undefined;
}
