import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { constantTimeEqual, sha256Base64url } from './hmac';

export { constantTimeEqual };

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with the record's own id as associated data, so a ciphertext copied under another
 * installation's key fails to decrypt instead of silently lending that installation its tokens.
 * Format: v1.<iv>.<tag>.<ciphertext>, each base64url.
 */
export function encrypt(key: Buffer, plaintext: string, associatedData: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function decrypt(key: Buffer, sealed: string, associatedData: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || iv === undefined || tag === undefined || body === undefined) {
    throw new Error('unrecognised ciphertext format');
  }
  // Without authTagLength Node accepts any tag of 4 to 16 bytes, and a GCM tag cut short is still
  // a valid prefix: a 4-byte tag would leave 2^32 guesses between a forger and acceptance.
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/**
 * AES-256-GCM over bytes, as one buffer `iv ‖ tag ‖ ciphertext` (the v3 sealed format encodes it
 * as one base64url segment instead of three).
 */
export function encryptBytes(key: Buffer, plaintext: Buffer, associatedData: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** The plaintext of encryptBytes' output; throws when the key, the associated data or any byte differs. */
export function decryptBytes(key: Buffer, sealed: Buffer, associatedData: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData);
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/** A bearer secret: 32 random bytes, URL-safe. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Tokens we issue are stored only as this digest; they carry 256 bits, so no slow hash is needed. */
export function hashToken(token: string): string {
  return sha256Base64url(token);
}

/** Does `presented` hash to `storedHash`? Constant time in the stored value. */
export function tokenMatchesHash(presented: string, storedHash: string): boolean {
  return constantTimeEqual(hashToken(presented), storedHash);
}
