import { AppError } from '../errors/index';
import { decrypt, encrypt } from './crypto';

/** The id SECRET_KEY gets when it is part of the ring (alone, or next to SECRET_KEYS during a rotation). */
export const LEGACY_KEY_ID = 'legacy';

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const V2 = 'v2';

/**
 * The secret keys in use: the first encrypts, every one decrypts. A v2 ciphertext names its key
 * (`v2.<keyId>.<iv>.<tag>.<body>`), so decryption tries exactly one key and a rotation can tell
 * what is left to re-encrypt. v1 ciphertexts (written before key ids existed) name none: they are
 * tried with SECRET_KEY first, then with the others, since GCM's tag rejects a wrong key.
 */
export class SecretKeyring {
  readonly primaryId: string;
  private readonly byId: ReadonlyMap<string, Buffer>;

  constructor(keys: readonly { id: string; key: Buffer }[]) {
    const first = keys[0];
    if (!first) throw new Error('a keyring needs at least one key');
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id)) throw new Error(`invalid key id "${id}"`);
      if (key.length !== 32) throw new Error(`key "${id}" is not 32 bytes`);
    }
    this.primaryId = first.id;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
    if (this.byId.size !== keys.length) throw new Error('duplicate key id');
  }

  /** A ring of one key: SECRET_KEY alone, or a test's key. */
  static single(key: Buffer, id = LEGACY_KEY_ID): SecretKeyring {
    return new SecretKeyring([{ id, key }]);
  }

  /** The encrypting key's bytes, for what is derived rather than sealed (HMAC keys of cookies and tokens). */
  get primaryKey(): Buffer {
    return this.byId.get(this.primaryId) as Buffer;
  }

  get ids(): readonly string[] {
    return [...this.byId.keys()];
  }

  seal(plaintext: string, associatedData: string): string {
    return `${V2}.${this.primaryId}.${encrypt(this.primaryKey, plaintext, associatedData).slice('v1.'.length)}`;
  }

  /** The plaintext, or AppError `secret_unreadable` when no configured key opens it. */
  open(sealed: string, associatedData: string): string {
    const keyId = keyIdOf(sealed);
    if (keyId !== undefined) {
      const key = this.byId.get(keyId);
      if (!key) throw unreadable(`sealed with key "${keyId}", which is not configured`);
      try {
        return decrypt(key, `v1.${sealed.slice(V2.length + keyId.length + 2)}`, associatedData);
      } catch {
        throw unreadable(`key "${keyId}" does not open it`);
      }
    }
    if (!sealed.startsWith('v1.')) throw unreadable('unrecognised ciphertext format');
    const legacyFirst = [...this.byId.entries()].sort(([a], [b]) => Number(b === LEGACY_KEY_ID) - Number(a === LEGACY_KEY_ID));
    for (const [, key] of legacyFirst) {
      try {
        return decrypt(key, sealed, associatedData);
      } catch {
        // Not this key; GCM's tag said so.
      }
    }
    throw unreadable('no configured key opens this key-less (v1) ciphertext');
  }

  /** True when `sealed` is already under the first key: rekey leaves it alone. */
  isCurrent(sealed: string): boolean {
    return keyIdOf(sealed) === this.primaryId;
  }

  /** Re-encrypts under the first key; undefined when it already is. Throws `secret_unreadable` like open. */
  reseal(sealed: string, associatedData: string): string | undefined {
    if (this.isCurrent(sealed)) return undefined;
    return this.seal(this.open(sealed, associatedData), associatedData);
  }
}

function keyIdOf(sealed: string): string | undefined {
  if (!sealed.startsWith(`${V2}.`)) return undefined;
  const end = sealed.indexOf('.', V2.length + 1);
  return end < 0 ? undefined : sealed.slice(V2.length + 1, end);
}

function unreadable(why: string): AppError {
  return new AppError('secret_unreadable', { message: `A stored secret cannot be decrypted: ${why}.` });
}

/**
 * SECRET_KEYS (`<id>:<key>,<id>:<key>`, each key 32 bytes as 64 hex characters or base64) and
 * SECRET_KEY → the ring, or the problems, each naming its variable. SECRET_KEY joins as the last
 * key under the id `legacy`, so ciphertexts of the days before SECRET_KEYS still open.
 */
export function keyringFromEnv(
  secretKeys: string | undefined,
  secretKey: string | undefined,
  parseKey: (raw: string) => Buffer | undefined,
): { ring: SecretKeyring } | { problems: string[] } | undefined {
  const problems: string[] = [];
  const entries: { id: string; key: Buffer }[] = [];
  if (secretKeys !== undefined) {
    const items = secretKeys.split(',').map((s) => s.trim());
    if (items.every((s) => s === '')) problems.push('SECRET_KEYS: must list at least one <id>:<key>');
    items.forEach((item, index) => {
      if (item === '') return;
      const colon = item.indexOf(':');
      const id = colon < 0 ? '' : item.slice(0, colon);
      const key = colon < 0 ? undefined : parseKey(item.slice(colon + 1));
      if (!KEY_ID.test(id)) problems.push(`SECRET_KEYS: entry ${index + 1} must be <id>:<key> with an id of 1-32 letters, digits, _ or -`);
      else if (!key) problems.push(`SECRET_KEYS: key "${id}" must be 32 bytes, as 64 hex characters or base64`);
      else if (entries.some((e) => e.id === id)) problems.push(`SECRET_KEYS: key id "${id}" appears twice`);
      else entries.push({ id, key });
    });
  }
  if (secretKey !== undefined) {
    const key = parseKey(secretKey);
    if (!key) problems.push('SECRET_KEY: must be 32 bytes, as 64 hex characters or base64');
    else if (entries.some((e) => e.id === LEGACY_KEY_ID)) problems.push(`SECRET_KEYS: the id "${LEGACY_KEY_ID}" is SECRET_KEY's; use another id or drop SECRET_KEY`);
    else entries.push({ id: LEGACY_KEY_ID, key });
  }
  if (problems.length > 0) return { problems };
  return entries.length === 0 ? undefined : { ring: new SecretKeyring(entries) };
}
