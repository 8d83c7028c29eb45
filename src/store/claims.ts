/**
 * Delivery claims: set-if-absent on the store's own engine, so that of every process and instance
 * that receives one platform message (a retry landing elsewhere, Slack's app_mention + message
 * pair), exactly one handles it. Redis: `SET key NX PX ttl`. Postgres and SQLite: an
 * `INSERT … ON CONFLICT` that only replaces an expired claim, in a table of its own.
 */
import { storeKind } from './kind.js';
import { schemaFor, schemaName } from '../infra/postgres.js';

export interface DeliveryClaims {
  /** True for the first caller anywhere to claim `key` within `ttlMs`; false for every later one. */
  claim(key: string, ttlMs: number): Promise<boolean>;
}

export interface RedisLike {
  set(key: string, value: string, options: { condition: 'NX'; expiration: { type: 'PX'; value: number } }): Promise<string | null>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** Runs one SQL statement with positional parameters; resolves with the rows it returned. */
export type SqlRunner = (sql: string, params: unknown[]) => Promise<unknown[]>;

/** A table made on first use: `ensure()` runs its DDL once; a failure is tried again on the next call. */
export class TableOnFirstUse {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly run: SqlRunner,
    private readonly ddl: string,
  ) {}

  ensure(): Promise<void> {
    return (this.ready ??= this.run(this.ddl, []).then(
      () => undefined,
      (err: unknown) => {
        // Two processes creating the table at once: Postgres reports the loser as a duplicate (of the
        // table, of its row type: "type … already exists", or of the catalog's key).
        if (['23505', '42P07', '42710'].includes((err as { code?: string }).code ?? '')) return;
        this.ready = undefined;
        throw err;
      },
    ));
  }
}

export class RedisClaims implements DeliveryClaims {
  constructor(
    private readonly client: () => Promise<RedisLike>,
    private readonly prefix: string,
  ) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const client = await this.client();
    return (await client.set(`${this.prefix}${key}`, '1', { condition: 'NX', expiration: { type: 'PX', value: ttlMs } })) === 'OK';
  }
}

/** Claims in a table: `key` primary key, `expires_at` in ms since the epoch. */
export class SqlClaims implements DeliveryClaims {
  private readonly created: TableOnFirstUse;
  private claims = 0;

  constructor(
    private readonly run: SqlRunner,
    /** Ready for SQL (quoted where needed). */
    private readonly table: string,
    /** `$1` (Postgres) or `?` (SQLite). */
    private readonly placeholder: (n: number) => string,
  ) {
    this.created = new TableOnFirstUse(run, `CREATE TABLE IF NOT EXISTS ${table} (key VARCHAR(512) PRIMARY KEY, expires_at BIGINT NOT NULL)`);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    await this.created.ensure();
    const now = Date.now();
    const [p1, p2, p3] = [1, 2, 3].map(this.placeholder);
    const rows = await this.run(
      `INSERT INTO ${this.table} (key, expires_at) VALUES (${p1}, ${p2})
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE ${this.table}.expires_at < ${p3}
       RETURNING key`,
      [key, now + ttlMs, now],
    );
    // Expired claims are replaced in place; now and then the rest are swept.
    if (++this.claims % 500 === 0) void this.run(`DELETE FROM ${this.table} WHERE expires_at < ${this.placeholder(1)}`, [now]).catch(() => undefined);
    return rows.length === 1;
  }
}

/** Redis keys `<namespace>:claims:…`; in Postgres the table `claims` of the namespace's schema; in SQLite `<namespace>_claims`. */
export function claimsFor(url: string, raw: { redis?: () => Promise<RedisLike>; sql?: SqlRunner }, namespace: string): DeliveryClaims {
  switch (storeKind(url)) {
    case 'redis':
      return new RedisClaims(raw.redis!, `${namespace}:claims:`);
    case 'postgres':
      return new SqlClaims(raw.sql!, `${schemaFor(namespace)}.claims`, (n) => `$${n}`);
    case 'sqlite':
      return new SqlClaims(raw.sql!, `${schemaName(namespace)}_claims`, () => '?');
  }
}
