import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { AppError } from '../errors/index';
import { decrypt, decryptBytes, encryptBytes } from './crypto';

/** The id SECRET_KEY gets when it is part of the ring (alone, or next to SECRET_KEYS during a rotation). */
export const LEGACY_KEY_ID = 'legacy';

/**
 * The most a compressed secret may inflate to. Secrets are token sets and signing keys of a few
 * KiB; only a key holder can seal, but a body that inflates without bound would still take the
 * process's memory with it, so open refuses it (and seal never compresses anything larger).
 */
export const MAX_INFLATED_BYTES = 64 * 1024;

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const V2 = 'v2';
const V3 = 'v3';
/** The first byte of a v3 plaintext: how the rest is encoded. */
const STORED = 0;
const DEFLATED = 1;

/**
 * The secret keys in use: the first encrypts, every one decrypts. Sealed formats, newest first:
 * - v3 `v3.<keyId>.<iv ‖ tag ‖ body>` (one base64url segment): the body is a flag byte and the
 *   plaintext, deflated when that is smaller (a JWT is base64url text: deflate takes back most of
 *   what base64 added, ~20% of a token set). The format name is bound as associated data too.
 * - v2 `v2.<keyId>.<iv>.<tag>.<body>`: names its key, plaintext as it is.
 * - v1 `v1.<iv>.<tag>.<body>` (written before key ids existed) names none: it is tried with
 *   SECRET_KEY first, then with the others, since GCM's tag rejects a wrong key.
 * Naming the key means decryption tries exactly one and a rotation can tell what is left to do.
 * Compressing before encrypting lets the length tell something about the plaintext; nothing sealed
 * here mixes a secret with text an attacker chooses, which is what such a leak needs.
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

  /**
   * What a secret sealed now starts with (format and key): a rekey's checkpoints are valid only
   * for the target they were made towards.
   */
  get target(): string {
    return `${V3}.${this.primaryId}`;
  }

  seal(plaintext: string, associatedData: string): string {
    const utf8 = Buffer.from(plaintext, 'utf8');
    const deflated = utf8.length <= MAX_INFLATED_BYTES ? deflateRawSync(utf8) : undefined;
    const body =
      deflated !== undefined && deflated.length < utf8.length
        ? Buffer.concat([Buffer.of(DEFLATED), deflated])
        : Buffer.concat([Buffer.of(STORED), utf8]);
    return `${this.target}.${encryptBytes(this.primaryKey, body, v3Aad(associatedData)).toString('base64url')}`;
  }

  /** The plaintext, or AppError `secret_unreadable` when no configured key opens it (or it is malformed). */
  open(sealed: string, associatedData: string): string {
    const named = keyIdOf(sealed);
    if (named !== undefined) {
      const { version, keyId, rest } = named;
      const key = this.byId.get(keyId);
      if (!key) throw unreadable(`sealed with key "${keyId}", which is not configured`);
      if (version === V2) {
        try {
          return decrypt(key, `v1.${rest}`, associatedData);
        } catch {
          throw unreadable(`key "${keyId}" does not open it`);
        }
      }
      let body: Buffer;
      try {
        body = decryptBytes(key, Buffer.from(rest, 'base64url'), v3Aad(associatedData));
      } catch {
        throw unreadable(`key "${keyId}" does not open it`);
      }
      return decodeBody(body);
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

  /** True when `sealed` is already in the newest format under the first key: rekey leaves it alone. */
  isCurrent(sealed: string): boolean {
    return sealed.startsWith(`${this.target}.`);
  }

  /**
   * Re-encrypts in the newest format under the first key; undefined when it already is. `rewrite`
   * turns the plaintext into its family's newest shape on the way. Throws `secret_unreadable` like open.
   */
  reseal(sealed: string, associatedData: string, rewrite?: (plaintext: string) => string): string | undefined {
    if (this.isCurrent(sealed)) return undefined;
    const plaintext = this.open(sealed, associatedData);
    return this.seal(rewrite ? rewrite(plaintext) : plaintext, associatedData);
  }
}

// The format is authenticated with the record's id, so a v3 body cannot be passed off as another format's.
const v3Aad = (associatedData: string): Buffer => Buffer.from(`${V3}\0${associatedData}`, 'utf8');

function decodeBody(body: Buffer): string {
  const flag = body[0];
  const payload = body.subarray(1);
  if (flag === STORED) return payload.toString('utf8');
  if (flag !== DEFLATED) throw unreadable('unknown body encoding');
  try {
    return inflateRawSync(payload, { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw unreadable(`it inflates to more than ${MAX_INFLATED_BYTES} bytes`);
    throw unreadable('its compressed body is corrupt');
  }
}

function keyIdOf(sealed: string): { version: string; keyId: string; rest: string } | undefined {
  const version = sealed.slice(0, 2);
  if ((version !== V2 && version !== V3) || sealed[2] !== '.') return undefined;
  const end = sealed.indexOf('.', 3);
  return end < 0 ? undefined : { version, keyId: sealed.slice(3, end), rest: sealed.slice(end + 1) };
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
