/**
 * Usage per person, channel and day (UTC), and each person's daily budgets, on the store's own
 * engine so every instance counts into the same numbers. Counting is one atomic step each: a
 * budget is taken only while it lasts (`INSERT … ON CONFLICT DO UPDATE … WHERE used < limit` in
 * SQL, a Lua script on Redis), so two instances can never both take the last turn of a day.
 */
import { storeKind } from './kind.js';
import { schemaFor, schemaName } from '../infra/postgres.js';
import { TableOnFirstUse, type RedisLike, type SqlRunner } from './claims.js';

export const USAGE_FIELDS = ['turns', 'toolRuns', 'inputTokens', 'outputTokens'] as const;
export type UsageField = (typeof USAGE_FIELDS)[number];
export type UsageCounts = Record<UsageField, number>;
/** What a daily budget limits. */
export type Budgeted = 'turns' | 'toolRuns';

export interface UsageRow extends UsageCounts {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  /** `platform:userId`. */
  actor: string;
  /** `platform:workspace:channel`. */
  channel: string;
}

export interface UsageStore {
  /** Adds `counts` to the person's numbers for that day and channel. */
  add(day: string, actor: string, channel: string, counts: Partial<UsageCounts>): Promise<void>;
  /** Takes one of the person's `limit` of `what` that day; `ok: false` (nothing taken) when none is left. */
  take(day: string, actor: string, what: Budgeted, limit: number): Promise<{ ok: boolean; used: number }>;
  /** Every row from `since` (a day) on, by one person if `actor` is given. */
  list(query: { since: string; actor?: string }): Promise<UsageRow[]>;
}

const COLUMNS: Record<UsageField, string> = { turns: 'turns', toolRuns: 'tool_runs', inputTokens: 'input_tokens', outputTokens: 'output_tokens' };

export class SqlUsageStore implements UsageStore {
  private readonly usage: TableOnFirstUse;
  private readonly budgets: TableOnFirstUse;

  constructor(
    private readonly run: SqlRunner,
    private readonly table: string,
    private readonly budgetTable: string,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {
    const counts = USAGE_FIELDS.map((f) => `${COLUMNS[f]} BIGINT NOT NULL DEFAULT 0`).join(', ');
    this.usage = new TableOnFirstUse(run, `CREATE TABLE IF NOT EXISTS ${table} (day VARCHAR(10) NOT NULL, actor VARCHAR(300) NOT NULL, channel VARCHAR(600) NOT NULL, ${counts}, PRIMARY KEY (day, actor, channel))`);
    this.budgets = new TableOnFirstUse(run, `CREATE TABLE IF NOT EXISTS ${budgetTable} (day VARCHAR(10) NOT NULL, actor VARCHAR(300) NOT NULL, what VARCHAR(20) NOT NULL, used BIGINT NOT NULL, PRIMARY KEY (day, actor, what))`);
  }

  private p(n: number): string {
    return this.dialect === 'postgres' ? `$${n}` : `?${n}`;
  }

  async add(day: string, actor: string, channel: string, counts: Partial<UsageCounts>): Promise<void> {
    await this.usage.ensure();
    const values = USAGE_FIELDS.map((f) => Math.max(0, Math.round(counts[f] ?? 0)));
    const cols = USAGE_FIELDS.map((f) => COLUMNS[f]);
    await this.run(
      `INSERT INTO ${this.table} (day, actor, channel, ${cols.join(', ')}) VALUES (${this.p(1)}, ${this.p(2)}, ${this.p(3)}, ${cols.map((_, i) => this.p(i + 4)).join(', ')})
       ON CONFLICT (day, actor, channel) DO UPDATE SET ${cols.map((c) => `${c} = ${this.table}.${c} + excluded.${c}`).join(', ')}`,
      [day, actor, channel, ...values],
    );
  }

  async take(day: string, actor: string, what: Budgeted, limit: number): Promise<{ ok: boolean; used: number }> {
    await this.budgets.ensure();
    const rows = (await this.run(
      `INSERT INTO ${this.budgetTable} (day, actor, what, used) VALUES (${this.p(1)}, ${this.p(2)}, ${this.p(3)}, 1)
       ON CONFLICT (day, actor, what) DO UPDATE SET used = ${this.budgetTable}.used + 1 WHERE ${this.budgetTable}.used < ${this.p(4)}
       RETURNING used`,
      [day, actor, what, limit],
    )) as Array<{ used: number | string }>;
    if (rows.length === 1) return { ok: true, used: Number(rows[0]!.used) };
    return { ok: false, used: limit };
  }

  async list(query: { since: string; actor?: string }): Promise<UsageRow[]> {
    await this.usage.ensure();
    const params: unknown[] = [query.since];
    let where = `day >= ${this.p(1)}`;
    if (query.actor) {
      params.push(query.actor);
      where += ` AND actor = ${this.p(2)}`;
    }
    const rows = (await this.run(
      `SELECT day, actor, channel, ${USAGE_FIELDS.map((f) => COLUMNS[f]).join(', ')} FROM ${this.table} WHERE ${where} ORDER BY day, actor, channel`,
      params,
    )) as Array<Record<string, string | number>>;
    return rows.map((r) => ({
      day: String(r.day),
      actor: String(r.actor),
      channel: String(r.channel),
      ...(Object.fromEntries(USAGE_FIELDS.map((f) => [f, Number(r[COLUMNS[f]])])) as UsageCounts),
    }));
  }
}

/** A day's usage stays this long in Redis (the SQL tables keep it until the operator removes it). */
const REDIS_USAGE_TTL_S = 400 * 86_400;
const REDIS_BUDGET_TTL_S = 2 * 86_400;

const TAKE = `
local used = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if used >= tonumber(ARGV[2]) then return {0, used} end
used = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ${REDIS_BUDGET_TTL_S})
return {1, used}
`;

const ADD = `
for i = 2, #ARGV, 2 do
  local n = tonumber(ARGV[i + 1])
  if n > 0 then redis.call('HINCRBY', KEYS[1], ARGV[1] .. '\\t' .. ARGV[i], n) end
end
redis.call('EXPIRE', KEYS[1], ${REDIS_USAGE_TTL_S})
return 1
`;

/** Redis: one hash per day (`<namespace>:usage:<day>`), fields `<actor>\t<channel>\t<field>`. */
export class RedisUsageStore implements UsageStore {
  constructor(
    private readonly client: () => Promise<RedisLike>,
    private readonly prefix: string,
  ) {}

  async add(day: string, actor: string, channel: string, counts: Partial<UsageCounts>): Promise<void> {
    const client = await this.client();
    const args = USAGE_FIELDS.flatMap((f) => [f, String(Math.max(0, Math.round(counts[f] ?? 0)))]);
    await client.eval(ADD, { keys: [`${this.prefix}usage:${day}`], arguments: [`${actor}\t${channel}`, ...args] });
  }

  async take(day: string, actor: string, what: Budgeted, limit: number): Promise<{ ok: boolean; used: number }> {
    const client = await this.client();
    const [ok, used] = (await client.eval(TAKE, { keys: [`${this.prefix}budget:${day}`], arguments: [`${actor}\t${what}`, String(limit)] })) as [number, number];
    return { ok: ok === 1, used: Number(used) };
  }

  async list(query: { since: string; actor?: string }): Promise<UsageRow[]> {
    const client = await this.client();
    const rows = new Map<string, UsageRow>();
    for (const day of daysFrom(query.since, utcDay(new Date()))) {
      const hash = (await client.eval(`return redis.call('HGETALL', KEYS[1])`, { keys: [`${this.prefix}usage:${day}`], arguments: [] })) as string[];
      for (let i = 0; i + 1 < hash.length; i += 2) {
        const [actor, channel, field] = hash[i]!.split('\t') as [string, string, UsageField];
        if (query.actor && actor !== query.actor) continue;
        if (!(USAGE_FIELDS as readonly string[]).includes(field)) continue;
        const key = `${day}\t${actor}\t${channel}`;
        const row = rows.get(key) ?? { day, actor, channel, turns: 0, toolRuns: 0, inputTokens: 0, outputTokens: 0 };
        row[field] += Number(hash[i + 1]);
        rows.set(key, row);
      }
    }
    return [...rows.values()].sort((a, b) => a.day.localeCompare(b.day) || a.actor.localeCompare(b.actor) || a.channel.localeCompare(b.channel));
  }
}

/** `YYYY-MM-DD` of `d` in UTC: the day usage is counted in (budgets reset at 00:00 UTC). */
export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Every day from `first` to `last` (inclusive): the last 400 at most (older ones have expired). */
function daysFrom(first: string, last: string): string[] {
  const end = Date.parse(`${last}T00:00:00Z`);
  const out: string[] = [];
  for (let t = Math.max(Date.parse(`${first}T00:00:00Z`), end - 399 * 86_400_000); t <= end; t += 86_400_000) out.push(utcDay(new Date(t)));
  return out;
}

/** Redis: `<namespace>:usage:<day>` and `<namespace>:budget:<day>`; SQL: the tables `usage` and `usage_budgets` (`<namespace>_usage…` in SQLite). */
export function usageStoreFor(url: string, raw: { redis?: () => Promise<RedisLike>; sql?: SqlRunner }, namespace: string): UsageStore {
  switch (storeKind(url)) {
    case 'redis':
      return new RedisUsageStore(raw.redis!, `${namespace}:`);
    case 'postgres':
      return new SqlUsageStore(raw.sql!, `${schemaFor(namespace)}.usage`, `${schemaFor(namespace)}.usage_budgets`, 'postgres');
    case 'sqlite':
      return new SqlUsageStore(raw.sql!, `${schemaName(namespace)}_usage`, `${schemaName(namespace)}_usage_budgets`, 'sqlite');
  }
}
