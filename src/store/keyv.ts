/**
 * Opens a keyv store from STORE_URL: an SQLite file by default (nothing to run), Redis or
 * Postgres when several bot processes share state. Every call is bounded by a deadline, and every
 * failure (an error, a timeout, an error an adapter only emits) becomes `StoreUnavailableError`,
 * so a broken store is never mistaken for an empty one and never hangs a caller.
 */
import { makeFolder } from '../infra/folders.js';
import path from 'node:path';
import Keyv from 'keyv';
import { describeCause } from '../infra/store-calls.js';
import { newPostgresPool, schemaName, setUpSchema, type PgPool } from '../infra/postgres.js';
import type { RedisLike, SqlRunner } from './claims.js';
import { storeKind } from './kind.js';


/** A connection error that waiting will not fix: nothing listens there, or the name does not resolve. */
function isRefusal(err: unknown): boolean {
  return ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH'].includes((err as { code?: string } | undefined)?.code ?? '');
}

/** One store's connection to its engine: a keyv per namespace, and raw access for what keyv cannot do. */
export interface Backend {
  keyv<V>(name: string): Promise<Keyv<V>>;
  /**
   * The same records in the layout of releases before STORE_NAMESPACE (Redis `threads::threads:…`,
   * Postgres `public.keyv`), for a one-time migration; undefined where the layout did not change
   * (SQLite) or nothing was ever stored there. The caller disconnects it.
   */
  legacyKeyv<V>(name: string): Promise<Keyv<V> | undefined>;
  /** SQL on the same database (SQLite, Postgres) or the Redis client, for atomic claims. */
  raw: { sql?: SqlRunner; redis?: () => Promise<RedisLike> };
  close(): Promise<void>;
}

/**
 * Where a deployment's records live (STORE_NAMESPACE): Redis keys `<namespace>:<name>:<key>`;
 * Postgres tables in the schema named after it; an SQLite file is a deployment's own.
 */
export async function openBackend(url: string, timeoutMs: number, namespace: string): Promise<Backend> {
  const opened: Keyv[] = [];
  const kind = storeKind(url);
  const pool = kind === 'postgres' ? newPostgresPool(url, timeoutMs) : undefined;
  const schema = schemaName(namespace);
  if (pool) {
    await setUpSchema(pool, `copilot-threads:${schema}`, [`CREATE SCHEMA IF NOT EXISTS "${schema}"`, `CREATE TABLE IF NOT EXISTS "${schema}".keyv (key VARCHAR(255) PRIMARY KEY, value TEXT)`]).catch(async (err: unknown) => {
      await pool.end().catch(() => undefined);
      throw err;
    });
  }
  const first = await openAdapter(url, timeoutMs, pool, schema);
  const raw: Backend['raw'] = {};
  if (pool) raw.sql = async (sql, params) => (await pool.query(sql, params)).rows;
  else if ('query' in first) raw.sql = (sql, params) => (first as { query(sql: string, ...p: unknown[]): Promise<unknown[]> }).query(sql, ...params);
  if ('getClient' in first) raw.redis = () => (first as unknown as { getClient(): Promise<RedisLike> }).getClient();
  let unused: typeof first | undefined = first;
  const track = <V>(keyv: Keyv<V>) => {
    keyv.on('error', () => undefined); // thrown to the caller instead (throwOnErrors), or caught by `entries`
    opened.push(keyv as Keyv);
    return keyv;
  };
  return {
    raw,
    async keyv<V>(name: string) {
      const adapter = unused ?? (await openAdapter(url, timeoutMs, pool, schema));
      unused = undefined;
      // Redis: the adapter alone prefixes keys (keyv's own prefix doubled them before).
      const redis = kind === 'redis';
      return track(new Keyv<V>({ store: adapter, namespace: redis ? `${namespace}:${name}` : name, useKeyPrefix: !redis, throwOnErrors: true }));
    },
    async legacyKeyv<V>(name: string) {
      if (kind === 'sqlite') return undefined;
      if (pool && (await pool.query(`SELECT to_regclass('public.keyv') AS t`)).rows[0]?.t == null) return undefined;
      const adapter = await openAdapter(url, timeoutMs, pool, 'public', { legacy: true });
      const keyv = new Keyv<V>({ store: adapter, namespace: name, throwOnErrors: true });
      keyv.on('error', () => undefined);
      return keyv;
    },
    async close() {
      for (const keyv of opened) await keyv.disconnect();
      await pool?.end();
    },
  };
}

/**
 * Every entry of a namespace. Some adapters end an iteration that failed as if it were complete
 * and only emit the error (a wrong Postgres database lists as empty): any error emitted while
 * iterating fails the whole listing.
 */
export async function entries<V>(keyv: Keyv<V>): Promise<Array<[string, V]>> {
  if (!keyv.iterator) throw new Error('this store cannot list keys');
  let failure: unknown;
  const onError = (err: unknown) => {
    failure ??= err ?? new Error('the store reported an error while listing');
  };
  keyv.on('error', onError);
  try {
    const out: Array<[string, V]> = [];
    for await (const [key, value] of keyv.iterator(undefined)) out.push([key as string, value as V]);
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error(describeCause(failure));
    return out;
  } finally {
    keyv.off('error', onError);
  }
}

async function openAdapter(url: string, timeoutMs: number, pool: PgPool | undefined, schema: string, how: { legacy?: boolean } = {}) {
  switch (storeKind(url)) {
    case 'sqlite': {
      const file = url.slice('sqlite://'.length);
      if (file !== ':memory:') makeFolder(path.dirname(file));
      const { KeyvSqlite } = await import('@keyv/sqlite');
      // Two processes (the bot and the admin CLI) may share the file: wait for locks, don't fail.
      const sqlite = new KeyvSqlite({ uri: url, busyTimeout: Math.max(timeoutMs - 500, 1000) });
      // Its connection fails in a promise nobody awaits yet (an unhandled rejection that kills the
      // process): query at once, so a file that cannot be opened is this call's error instead.
      await sqlite.query('SELECT 1');
      if (file !== ':memory:') {
        // WAL: a write is one append, not a rollback journal written, synced and deleted; NORMAL
        // syncs at checkpoints, so a crash of the process loses nothing (a power cut may lose the
        // last writes, which de-duplication, the registry and the journal all tolerate).
        // Switching to WAL needs the file to itself for a moment, and SQLite does not wait for that
        // (no busy handler): two processes opening it at once (the bot and the CLI) try again.
        for (let attempt = 1; ; attempt++) {
          try {
            await sqlite.query('PRAGMA journal_mode = WAL');
            break;
          } catch (err) {
            if (attempt >= 40 || !/SQLITE_BUSY|locked/.test(String(err))) throw err;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        await sqlite.query('PRAGMA synchronous = NORMAL');
      }
      return sqlite;
    }
    case 'redis': {
      const { default: KeyvRedis } = await import('@keyv/redis');
      let connected = false;
      let refusal: unknown;
      const redis = new KeyvRedis(
        // Reconnects keep trying in the background after an outage; meanwhile calls fail at once
        // (no offline queue) instead of each waiting out its deadline. The first connection is
        // different: a server that refuses it, or a host that does not resolve, will not come
        // round in the next seconds, so the start fails at once with that cause (not a timeout).
        {
          url,
          disableOfflineQueue: true,
          socket: {
            connectTimeout: timeoutMs,
            reconnectStrategy: (retries: number, cause: unknown) => {
              if (!connected && isRefusal(cause)) return (refusal = cause as Error);
              return Math.min(100 * 2 ** retries, 2000);
            },
          },
        },
        { throwOnConnectError: true, throwOnErrors: true, connectionTimeout: timeoutMs, ...(how.legacy ? {} : { keyPrefixSeparator: ':' }) },
      );
      // Connected before first use: without an offline queue, calls made while it still connects fail.
      try {
        await redis.getClient();
      } catch (err) {
        throw refusal ?? err;
      }
      connected = true;
      return redis;
    }
    case 'postgres': {
      const { KeyvPostgres } = await import('@keyv/postgres');
      const queries = pool!;
      /**
       * @keyv/postgres makes its own pg pool and never listens for its errors: when the database
       * goes away, the pool's 'error' event has no listener and kills the process. Its queries
       * run on a pool of ours instead, whose errors reach callers as failed calls.
       */
      class GuardedPostgres extends KeyvPostgres {
        override async connect() {
          return async (sql: string, values?: unknown[]) => (await queries.query(sql, values)).rows;
        }
        override async disconnect() {
          // The backend ends the pool once, after every namespace is closed.
        }
      }
      // Listings (retention, `sessions list`) page through the table; 10 rows a query is the default.
      return new GuardedPostgres({ uri: url, iterationLimit: 500, schema });
    }
  }
}

