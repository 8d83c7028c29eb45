/**
 * STORE_NAMESPACE: two deployments (or test runs) on one Redis or Postgres server never see each
 * other's records; Redis keys carry one prefix (`<namespace>:threads:<id>`, not the doubled
 * `threads::threads:<id>` of before); Postgres tables live in the namespace's schema; and records
 * in the layout of earlier releases are moved into the namespace once, on open.
 */
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';
import { KeyvPostgres } from '@keyv/postgres';
import { describe, expect, it } from 'vitest';
import type { SessionId } from '../../src/domain.js';
import { openStore } from '../../src/store/store.js';
import { openBackend } from '../../src/store/keyv.js';
import { adoptLegacyRecords } from '../../src/store/migrate.js';
import { newPostgresPool, schemaFor, schemaName } from '../../src/infra/postgres.js';
import { service, testNamespace } from '../../testkit/services.js';
import { dropSchemasAfterAll } from '../../testkit/store-backends.js';

const run = `${process.pid}x${Date.now().toString(36)}`;
const ns = (_tag: string) => testNamespace();
const ref = { platform: 'local', workspace: run, channel: 'c', thread: 'c', user: 'ana' };
const schemas = dropSchemasAfterAll();

describe.each([
  ['redis', () => service('Redis')],
  ['postgres', () => service('Postgres')],
] as const)('namespaces on %s', (kind, urlFor) => {
  it('two namespaces on one server keep separate registries and claims', async () => {
    const url = await urlFor();
    if (!url) return;
    const [one, two] = [ns('a'), ns('b')];
    schemas.push(one, two);
    const [a, b] = [await openStore(url, 5000, one), await openStore(url, 5000, two)];
    try {
      const id = `local-${run}-c` as SessionId;
      await a.registry.recordTurn(id, ref, new Date());
      expect(await a.registry.get(id)).toMatchObject({ sessionId: id });
      expect(await b.registry.get(id)).toBeUndefined();
      expect((await b.registry.list()).map((r) => r.sessionId)).not.toContain(id);
      // The same delivery in two deployments is each one's own.
      expect(await a.dedupe.claim(`slack:${run}:1`)).toBe(true);
      expect(await b.dedupe.claim(`slack:${run}:1`)).toBe(true);
      expect(await a.dedupe.claim(`slack:${run}:1`)).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it(`keeps records where an operator expects them (${kind === 'redis' ? 'one key prefix' : 'the namespace schema'})`, async () => {
    const url = await urlFor();
    if (!url) return;
    const name = ns('c');
    schemas.push(name);
    const store = await openStore(url, 5000, name);
    const id = `local-${run}-layout` as SessionId;
    try {
      await store.registry.recordTurn(id, ref, new Date());
      await store.dedupe.claim(`slack:${run}:layout`);
      if (kind === 'redis') {
        const client = await new KeyvRedis(url).getClient();
        expect(await client.keys(`*${run}*`)).toEqual(expect.arrayContaining([`${name}:threads:${id}`, `${name}:claims:slack:${run}:layout`]));
        expect(await client.keys(`*threads::*${run}*`)).toEqual([]);
        await client.close();
      } else {
        const pool = newPostgresPool(url, 5000);
        const tables = await pool.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schemaName(name)]);
        expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['claims', 'keyv']));
        const rows = await pool.query(`SELECT key FROM ${schemaFor(name)}.keyv WHERE key LIKE $1`, [`%${id}`]);
        expect(rows.rows).toHaveLength(1);
        await pool.end();
      }
    } finally {
      await store.registry.delete(id);
      await store.close();
    }
  });

  it('moves the records of the old layout into the namespace once, and leaves none behind', async () => {
    const url = await urlFor();
    if (!url) return;
    const name = ns('m');
    schemas.push(name);
    // What an earlier release wrote: keyv's own namespace on the default adapter.
    const legacyStore = () => (kind === 'redis' ? new KeyvRedis(url) : new KeyvPostgres({ uri: url }));
    const legacy = new Keyv({ store: legacyStore(), namespace: 'threads' });
    const id = `local-${run}-old` as SessionId;
    await legacy.set(id, { sessionId: id, platform: 'local', workspace: run, channel: 'c', thread: 'c', startedBy: 'ana', createdAt: '2026-01-01T00:00:00.000Z', lastActiveAt: '2026-01-01T00:00:00.000Z', turns: 3 });
    await legacy.disconnect();

    const backend = await openBackend(url, 5000, name);
    const current = { threads: await backend.keyv<unknown>('threads'), turns: await backend.keyv<unknown>('turns') };
    const meta = await backend.keyv<number>('meta');
    try {
      expect(await adoptLegacyRecords(backend, current, meta)).toBeGreaterThanOrEqual(1);
      expect(await current.threads.get(id)).toMatchObject({ sessionId: id, turns: 3 });
      const check = new Keyv({ store: legacyStore(), namespace: 'threads' });
      expect(await check.get(id)).toBeUndefined();
      await check.disconnect();
      // Done once: a later start does not look again, even at records written the old way since.
      const late = new Keyv({ store: legacyStore(), namespace: 'threads' });
      await late.set(`${id}-late`, { sessionId: `${id}-late` });
      expect(await adoptLegacyRecords(backend, current, meta)).toBe(0);
      expect(await late.get(`${id}-late`)).toBeDefined();
      await late.delete(`${id}-late`);
      await late.disconnect();
    } finally {
      await current.threads.delete(id);
      await backend.close();
    }
  });
});
