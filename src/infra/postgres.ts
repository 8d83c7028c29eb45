/**
 * PostgreSQL connections: one `pg` pool per user of the database (the store, the shared session
 * state), from the same `pg` copy @keyv/postgres uses. Every query is bounded, and a connection
 * that drops while idle never kills the process (a pool's 'error' with no listener would).
 */
import { requireFrom } from './require-from.js';

export interface PgResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number | null;
}

export interface PgClient {
  query(sql: string, values?: unknown[]): Promise<PgResult>;
  release(err?: Error | boolean): void;
}

export interface PgPool {
  query(sql: string, values?: unknown[]): Promise<PgResult>;
  connect(): Promise<PgClient>;
  on(event: 'error', listener: (err: Error) => void): void;
  end(): Promise<void>;
}

export function newPostgresPool(url: string, timeoutMs: number): PgPool {
  const { Pool } = requireFrom<{ Pool: new (options: object) => PgPool }>(['@keyv/postgres'], 'pg');
  const pool = new Pool({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  // A connection that drops while idle: the next query reconnects, or fails to its caller.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * The schema a deployment's tables live in, from STORE_NAMESPACE: lower case, `[a-z0-9_]`, so
 * `copilot-threads` is `copilot_threads` (the namespace starts with a letter).
 */
export function schemaName(namespace: string): string {
  return namespace.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** `schemaName`, quoted, ready for SQL. */
export function schemaFor(namespace: string): string {
  return `"${schemaName(namespace)}"`;
}

/**
 * Runs `setup` (CREATE … IF NOT EXISTS statements) in one transaction under an advisory lock, so
 * instances starting at once do not trip over each other's half-made schema.
 */
export async function setUpSchema(pool: PgPool, lockName: string, statements: readonly string[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockName]);
    for (const sql of statements) await client.query(sql);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Milliseconds since the epoch on the database's clock: every instance judges leases by one clock. */
export const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
