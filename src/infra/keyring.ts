/**
 * Secrets sealed at rest: AES-256-GCM under TOKEN_ENCRYPTION_KEY, each sealed value naming the
 * key that sealed it (the first 8 hex digits of the key's SHA-256), so the key can be rotated:
 * the new key seals, the previous ones (TOKEN_ENCRYPTION_PREVIOUS_KEYS) still open what they
 * sealed until `copilot-threads keys rotate` has sealed everything again under the new one.
 * Sealed: `ct1.<key id>.<iv>.<tag>.<ciphertext>` (base64url). The format, the key id and the name
 * of what is sealed (its deployment's namespace included) go in as associated data, so a sealed
 * value moved to another record, or another deployment sharing the key, does not open there. The
 * tag is the full 16 bytes: a shortened one is refused, not checked on fewer bits.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface Keyring {
  /** The key that seals. */
  readonly current: string;
  /** Every key that opens, by id (the current one included). */
  readonly keys: ReadonlyMap<string, Buffer>;
}

export class KeyError extends Error {
  override name = 'KeyError';
}

const PREFIX = 'ct1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

function associated(id: string, name: string): Buffer {
  return Buffer.from(`${PREFIX}|${id}|${name}`, 'utf8');
}

/** `text` as a key: 32 bytes, base64 (or base64url). */
export function parseKey(text: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text.trim())) throw new KeyError('must be 32 bytes in base64 (copilot-threads keys new prints one)');
  return key;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function keyring(current: Buffer, previous: readonly Buffer[] = []): Keyring {
  const keys = new Map<string, Buffer>();
  for (const k of [current, ...previous]) keys.set(keyId(k), k);
  return { current: keyId(current), keys };
}

/** A fresh key, as TOKEN_ENCRYPTION_KEY takes it. */
export function newKey(): string {
  return randomBytes(32).toString('base64');
}

export function seal(ring: Keyring, name: string, plaintext: string): string {
  const key = ring.keys.get(ring.current)!;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associated(ring.current, name));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [PREFIX, ring.current, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** The key id a sealed value was sealed with (undefined: not a sealed value). */
export function sealedWith(sealed: string): string | undefined {
  const parts = sealed.split('.');
  return parts.length === 5 && parts[0] === PREFIX ? parts[1] : undefined;
}

/** Opens what `seal` sealed under `name`; `KeyError` when its key is not in the ring or it was altered. */
export function unseal(ring: Keyring, name: string, sealed: string): string {
  const [prefix, id, iv, tag, body] = sealed.split('.');
  if (prefix !== PREFIX || !id || iv === undefined || tag === undefined || body === undefined) throw new KeyError('not a sealed value');
  const key = ring.keys.get(id);
  if (!key) throw new KeyError(`sealed with key ${id}, which is neither TOKEN_ENCRYPTION_KEY nor one of TOKEN_ENCRYPTION_PREVIOUS_KEYS`);
  const [ivBytes, tagBytes] = [Buffer.from(iv, 'base64url'), Buffer.from(tag, 'base64url')];
  if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new KeyError(`the sealed value of ${name} is malformed`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
    decipher.setAAD(associated(id, name));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new KeyError(`the sealed value of ${name} does not open: altered, or moved from another record`);
  }
}
