/**
 * vitest globalSetup: builds `dist/` once before any test runs, so the process tests start the
 * same `node dist/...` entry points users run, compiled from the code under test. It also removes
 * what earlier runs left on the shared servers (Postgres schemas and Redis keys of test namespaces
 * more than an hour old). Not at the end: the test projects (sqlite, redis, postgres) end at
 * different times, and one project's teardown must never delete another's live records.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import KeyvRedis from '@keyv/redis';
import { newPostgresPool, schemaName } from '../src/infra/postgres.js';
import { namespaceAgeMs, POSTGRES_URL, REDIS_URL, TEST_NAMESPACE_PREFIX } from './services.js';

const STALE_MS = 60 * 60 * 1000;

export default async function build(): Promise<void> {
  // Called once per test project, in one process: build once.
  if (process.env.COPILOT_THREADS_TEST_BUILT) return;
  process.env.COPILOT_THREADS_TEST_BUILT = '1';
  execFileSync(process.execPath, [path.resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  await removeStaleNamespaces();
}

const stale = (namespace: string) => (namespaceAgeMs(namespace) ?? Infinity) > STALE_MS;

async function removeStaleNamespaces(): Promise<void> {
  // Best effort: a server that is not running has nothing of ours.
  const pool = newPostgresPool(POSTGRES_URL, 3000);
  try {
    const schemas = await pool.query(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [schemaName(TEST_NAMESPACE_PREFIX)]);
    for (const row of schemas.rows) if (stale(String(row.nspname))) await pool.query(`DROP SCHEMA IF EXISTS "${String(row.nspname)}" CASCADE`);
  } catch {
    // not reachable
  } finally {
    await pool.end().catch(() => undefined);
  }
  try {
    const redis = new KeyvRedis({ url: REDIS_URL, socket: { connectTimeout: 2000, reconnectStrategy: false } } as never);
    const client = await redis.getClient();
    const keys = (await client.keys(`${TEST_NAMESPACE_PREFIX}*`)).filter((k) => stale(k.split(':')[0]!));
    if (keys.length) await client.del(keys);
    await client.close();
  } catch {
    // not reachable
  }
}
