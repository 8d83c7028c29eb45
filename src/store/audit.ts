/**
 * The audit trail: an append-only record of who made the bot do what (tool requests and
 * decisions, forgets, access refusals, administrators' actions), kept AUDIT_RETENTION_DAYS and
 * shared by every instance on the store. Nothing here updates or deletes one record: records are
 * only added, and only those past the retention go, oldest first. Redis: a stream
 * (`XADD`, trimmed by `MINID`); Postgres and SQLite: a table ordered by time and insertion.
 */
import { storeKind } from './kind.js';
import { schemaFor, schemaName } from '../infra/postgres.js';
import { TableOnFirstUse, type RedisLike, type SqlRunner } from './claims.js';

export interface AuditRecord {
  /** ISO time it happened. */
  at: string;
  /** What happened: `tool.request`, `tool.decision`, `forget`, `access.refused`, `admin` … (core/audit.ts). */
  kind: string;
  /** Who: `platform:userId` of a person, `cli:<os user>` at the admin CLI, or `system`. */
  actor: string;
  /** The thread's session, when it concerns one. */
  session?: string;
  detail?: Record<string, string | number | boolean>;
}

export interface AuditQuery {
  since?: Date;
  actor?: string;
  /** At most this many, the newest (default 10,000). */
  limit?: number;
}

export interface AuditLog {
  append(record: AuditRecord): Promise<void>;
  /** Oldest first. */
  list(query?: AuditQuery): Promise<AuditRecord[]>;
  /** Removes records older than `before` (SQL: one batch of at most PRUNE_BATCH); resolves with how many went. */
  prune(before: Date): Promise<number>;
}

export const DEFAULT_AUDIT_LIMIT = 10_000;
/** Records removed per prune call at most (SQL). */
export const PRUNE_BATCH = 5000;

export class SqlAuditLog implements AuditLog {
  private readonly created: TableOnFirstUse;
  private readonly indexed: TableOnFirstUse;

  constructor(
    private readonly run: SqlRunner,
    private readonly table: string,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {
    const id = dialect === 'postgres' ? 'id BIGSERIAL PRIMARY KEY' : 'id INTEGER PRIMARY KEY AUTOINCREMENT';
    this.created = new TableOnFirstUse(run, `CREATE TABLE IF NOT EXISTS ${table} (${id}, at BIGINT NOT NULL, actor VARCHAR(300) NOT NULL, record TEXT NOT NULL)`);
    const index = `${table.replace(/"/g, '').replace(/\W/g, '_')}_at`;
    this.indexed = new TableOnFirstUse(run, `CREATE INDEX IF NOT EXISTS ${index} ON ${table} (at)`);
  }

  private async ready(): Promise<void> {
    await this.created.ensure();
    await this.indexed.ensure();
  }

  private p(n: number): string {
    return this.dialect === 'postgres' ? `$${n}` : '?';
  }

  async append(record: AuditRecord): Promise<void> {
    await this.ready();
    await this.run(`INSERT INTO ${this.table} (at, actor, record) VALUES (${this.p(1)}, ${this.p(2)}, ${this.p(3)})`, [Date.parse(record.at), record.actor, JSON.stringify(record)]);
  }

  async list(query: AuditQuery = {}): Promise<AuditRecord[]> {
    await this.ready();
    const params: unknown[] = [query.since?.getTime() ?? 0];
    let where = `at >= ${this.p(1)}`;
    if (query.actor) {
      params.push(query.actor);
      where += ` AND actor = ${this.p(2)}`;
    }
    const limit = Math.max(1, Math.floor(query.limit ?? DEFAULT_AUDIT_LIMIT));
    const rows = (await this.run(`SELECT record FROM ${this.table} WHERE ${where} ORDER BY at DESC, id DESC LIMIT ${limit}`, params)) as Array<{ record: string }>;
    return rows.map((r) => JSON.parse(r.record) as AuditRecord).reverse();
  }

  /** One batch of the oldest (a large backlog goes over several calls, each well within the store's deadline). */
  async prune(before: Date): Promise<number> {
    await this.ready();
    const rows = await this.run(
      `DELETE FROM ${this.table} WHERE id IN (SELECT id FROM ${this.table} WHERE at < ${this.p(1)} ORDER BY at LIMIT ${PRUNE_BATCH}) RETURNING id`,
      [before.getTime()],
    );
    return rows.length;
  }
}

/**
 * The entry's id is its time (`<ms>-*`), so listing from a time and trimming by one follow the
 * records' own times; a record older than the stream's newest (clocks of two instances apart by a
 * few ms) takes the next id instead (`*`: Redis 7).
 */
const XADD = `
local ok = redis.pcall('XADD', KEYS[1], ARGV[2] .. '-*', 'r', ARGV[1])
if type(ok) == 'table' and ok.err then return redis.call('XADD', KEYS[1], '*', 'r', ARGV[1]) end
return ok
`;
const XRANGE = `return redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[2], 'COUNT', ARGV[3])`;
const XTRIM = `return redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])`;
/** Stream entries read per round trip while listing. */
const PAGE = 1000;

export class RedisAuditLog implements AuditLog {
  constructor(
    private readonly client: () => Promise<RedisLike>,
    private readonly key: string,
  ) {}

  async append(record: AuditRecord): Promise<void> {
    const client = await this.client();
    await client.eval(XADD, { keys: [this.key], arguments: [JSON.stringify(record), String(Date.parse(record.at))] });
  }

  async list(query: AuditQuery = {}): Promise<AuditRecord[]> {
    const client = await this.client();
    const limit = Math.max(1, Math.floor(query.limit ?? DEFAULT_AUDIT_LIMIT));
    const out: AuditRecord[] = [];
    // Stream ids begin with the server's time in ms: `since` is where to start.
    let from = String(query.since?.getTime() ?? 0);
    for (;;) {
      const page = (await client.eval(XRANGE, { keys: [this.key], arguments: [from, '+', String(PAGE)] })) as Array<[string, string[]]>;
      for (const [, fields] of page) {
        const record = JSON.parse(fields[1] ?? '{}') as AuditRecord;
        if (query.actor && record.actor !== query.actor) continue;
        if (query.since && Date.parse(record.at) < query.since.getTime()) continue;
        out.push(record);
      }
      if (out.length > 2 * limit) out.splice(0, out.length - limit);
      if (page.length < PAGE) return out.slice(-limit);
      from = `(${page.at(-1)![0]}`;
    }
  }

  async prune(before: Date): Promise<number> {
    const client = await this.client();
    return Number(await client.eval(XTRIM, { keys: [this.key], arguments: [String(before.getTime())] }));
  }
}

/** Redis: the stream `<namespace>:audit`; Postgres: the table `audit` of the namespace's schema; SQLite: `<namespace>_audit`. */
export function auditLogFor(url: string, raw: { redis?: () => Promise<RedisLike>; sql?: SqlRunner }, namespace: string): AuditLog {
  switch (storeKind(url)) {
    case 'redis':
      return new RedisAuditLog(raw.redis!, `${namespace}:audit`);
    case 'postgres':
      return new SqlAuditLog(raw.sql!, `${schemaFor(namespace)}.audit`, 'postgres');
    case 'sqlite':
      return new SqlAuditLog(raw.sql!, `${schemaName(namespace)}_audit`, 'sqlite');
  }
}
