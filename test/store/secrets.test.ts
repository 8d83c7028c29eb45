/**
 * Kept secrets on each store (SQLite, Redis, PostgreSQL): what reaches the store is sealed; a key
 * rotation seals everything again under the new key, after which the old key can go.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keyring, newKey, parseKey } from '../../src/infra/keyring.js';
import { openStore, type Store } from '../../src/store/store.js';
import { testNamespace } from '../../testkit/services.js';
import { EVERY_BACKEND, dropSchemasAfterAll } from '../../testkit/store-backends.js';

const schemas = dropSchemasAfterAll();
const [k1, k2] = [parseKey(newKey()), parseKey(newKey())];

describe.each(EVERY_BACKEND)('kept secrets on %s', (kind, urlFor) => {
  it('are sealed in the store, open with the key, and are sealed again by a rotation', async () => {
    const url = await urlFor();
    if (!url) return;
    const namespace = testNamespace();
    schemas.push(namespace);
    const open = (...keys: Buffer[]) => openStore(url, 5000, namespace, keys.length ? keyring(keys[0]!, keys.slice(1)) : undefined);
    const stores: Store[] = [];
    try {
      const before = await open(k1);
      stores.push(before);
      await before.secrets.put('user:slack:U1', 'ghu_alpha_token_value');
      await before.secrets.put('install:T1', 'xoxb-workspace-token');
      expect(await before.secrets.get('user:slack:U1')).toBe('ghu_alpha_token_value');
      expect(await before.secrets.get('user:slack:U9')).toBeUndefined();
      if (kind === 'sqlite') expect(fs.readFileSync(url.slice('sqlite://'.length)).toString('latin1')).not.toContain('ghu_alpha_token_value');
      // Without the key nothing opens, and nothing can be kept.
      const keyless = await open();
      stores.push(keyless);
      await expect(keyless.secrets.get('user:slack:U1')).rejects.toThrow(/TOKEN_ENCRYPTION_KEY is not set/);
      await expect(keyless.secrets.put('x', 'y')).rejects.toThrow(/TOKEN_ENCRYPTION_KEY is not set/);

      const rotating = await open(k2, k1);
      stores.push(rotating);
      expect(await rotating.secrets.get('install:T1')).toBe('xoxb-workspace-token');
      expect(await rotating.secrets.rotate()).toEqual({ resealed: 2, current: 0, changed: 0, unreadable: [] });
      expect(await rotating.secrets.rotate()).toEqual({ resealed: 0, current: 2, changed: 0, unreadable: [] });
      const after = await open(k2);
      stores.push(after);
      expect(await after.secrets.get('user:slack:U1')).toBe('ghu_alpha_token_value');
      await expect(before.secrets.get('user:slack:U1')).rejects.toThrow(/sealed with key/);
      expect(await after.secrets.delete('install:T1')).toBe(true);
      expect(await after.secrets.get('install:T1')).toBeUndefined();
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
