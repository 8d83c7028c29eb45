/** Sealing secrets: AES-256-GCM under a named key; bound to the record's name; rotation by key id. */
import { describe, expect, it } from 'vitest';
import { KeyError, keyId, keyring, newKey, parseKey, seal, sealedWith, unseal } from '../../../src/infra/keyring.js';

const k1 = parseKey(newKey());
const k2 = parseKey(newKey());

describe('the keyring', () => {
  it('seals so that only the name it was sealed under opens it, never twice the same', () => {
    const ring = keyring(k1);
    const a = seal(ring, 'user:slack:U1', 'ghu_secret_token');
    expect(a).toMatch(/^ct1\.[0-9a-f]{8}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(a).not.toContain('ghu_secret_token');
    expect(seal(ring, 'user:slack:U1', 'ghu_secret_token')).not.toBe(a);
    expect(unseal(ring, 'user:slack:U1', a)).toBe('ghu_secret_token');
    expect(sealedWith(a)).toBe(keyId(k1));
    // Moved to another record, or altered: it does not open.
    expect(() => unseal(ring, 'user:slack:U2', a)).toThrow(KeyError);
    const parts = a.split('.');
    parts[4] = Buffer.from('x'.repeat(16)).toString('base64url');
    expect(() => unseal(ring, 'user:slack:U1', parts.join('.'))).toThrow(/does not open/);
    expect(() => unseal(ring, 'user:slack:U1', 'plain text')).toThrow(/not a sealed value/);
    // A shortened tag is refused outright (not checked on fewer bits).
    const short = a.split('.');
    short[3] = Buffer.from(short[3]!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => unseal(ring, 'user:slack:U1', short.join('.'))).toThrow(/malformed/);
  });

  it('opens with a previous key and seals with the current one; a key it does not hold is named', () => {
    const old = seal(keyring(k1), 'n', 'v');
    const rotated = keyring(k2, [k1]);
    expect(rotated.current).toBe(keyId(k2));
    expect(unseal(rotated, 'n', old)).toBe('v');
    expect(sealedWith(seal(rotated, 'n', 'v'))).toBe(keyId(k2));
    expect(() => unseal(keyring(k2), 'n', old)).toThrow(new RegExp(`sealed with key ${keyId(k1)}, which is neither TOKEN_ENCRYPTION_KEY nor one of TOKEN_ENCRYPTION_PREVIOUS_KEYS`));
  });

  it('takes 32-byte base64 keys only', () => {
    expect(parseKey(newKey())).toHaveLength(32);
    expect(() => parseKey('c2hvcnQ=')).toThrow(/32 bytes in base64/);
    expect(() => parseKey('not base64 at all!!')).toThrow(KeyError);
  });
});
