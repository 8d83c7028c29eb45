/**
 * Linked GitHub accounts on each store (SQLite, Redis, PostgreSQL): a link is its plain record and
 * its sealed token together; a web sign-in's state works once.
 */
import { describe, expect, it } from 'vitest';
import { keyring, newKey, parseKey } from '../../src/infra/keyring.js';
import { openStore } from '../../src/store/store.js';
import { testNamespace } from '../../testkit/services.js';
import { EVERY_BACKEND, dropSchemasAfterAll } from '../../testkit/store-backends.js';

const schemas = dropSchemasAfterAll();
const key = parseKey(newKey());

describe.each(EVERY_BACKEND)('linked accounts on %s', (_kind, urlFor) => {
  it('are kept with their tokens sealed, listed without the key, and unlinked whole', async () => {
    const url = await urlFor();
    if (!url) return;
    const namespace = testNamespace();
    schemas.push(namespace);
    const store = await openStore(url, 5000, namespace, keyring(key));
    const keyless = await openStore(url, 5000, namespace);
    try {
      const account = { person: 'slack:U1', login: 'alice', githubId: 7, host: 'github.com', linkedAt: '2026-12-07T00:00:00.000Z', expiresAt: '2026-12-07T08:00:00.000Z' };
      const grant = { accessToken: 'ghu_secret_access', refreshToken: 'ghr_secret_refresh', expiresAt: 1 };
      await store.identities.put(account, grant);
      expect(await store.identities.get('slack:U1')).toEqual({ account, grant });
      expect(await store.identities.get('slack:U2')).toBeUndefined();
      // Who is linked can be read by an operator without the key; their tokens cannot.
      expect(await keyless.identities.list()).toEqual([account]);
      await expect(keyless.identities.get('slack:U1')).rejects.toThrow(/TOKEN_ENCRYPTION_KEY is not set/);
      await store.identities.expect('state-1', { person: 'slack:U1', createdAt: account.linkedAt }, 60_000);
      expect(await store.identities.list()).toEqual([account]);
      expect(await store.identities.take('state-1')).toEqual({ person: 'slack:U1', createdAt: account.linkedAt });
      expect(await store.identities.take('state-1')).toBeUndefined();
      expect(await store.identities.delete('slack:U1')).toBe(true);
      expect(await store.identities.get('slack:U1')).toBeUndefined();
      expect(await store.identities.list()).toEqual([]);
      expect(await store.identities.delete('slack:U1')).toBe(false);
    } finally {
      await Promise.all([store.close(), keyless.close()]);
    }
  });
});
