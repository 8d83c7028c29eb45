/**
 * Store tests on every backend: the three engines a store can run on (SQLite here, the local Redis
 * and Postgres when present; in CI a missing one fails), stores opened per test and closed after
 * it, and the Postgres schemas a test file made dropped when it ends.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { openStore, type Store } from '../src/store/store.js';
import { newPostgresPool, schemaFor } from '../src/infra/postgres.js';
import { service, testNamespace } from './services.js';

export const EVERY_BACKEND = [
  ['sqlite', async () => `sqlite://${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ct-store-')), 'store.sqlite')}`],
  ['redis', () => service('Redis')],
  ['postgres', () => service('Postgres')],
] as const;

/** Postgres schemas named here are dropped after the test file. */
export function dropSchemasAfterAll(): string[] {
  const schemas: string[] = [];
  afterAll(async () => {
    const pg = await service('Postgres');
    if (!pg || schemas.length === 0) return;
    const pool = newPostgresPool(pg, 5000);
    for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${schemaFor(s)} CASCADE`);
    await pool.end();
  });
  return schemas;
}

/** Opens stores (as instances sharing one namespace would) that are closed after each test. */
export function useStores(): { open(url: string, count: number): Promise<Store[]> } {
  let stores: Store[] = [];
  const schemas = dropSchemasAfterAll();
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
  });
  return {
    async open(url, count) {
      const namespace = testNamespace();
      schemas.push(namespace);
      const opened = await Promise.all(Array.from({ length: count }, () => openStore(url, 5000, namespace)));
      stores.push(...opened);
      return opened;
    },
  };
}
