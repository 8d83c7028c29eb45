/**
 * A token bucket per person, kept on the store's engine so it holds across instances: `perMinute`
 * tokens, refilled continuously; each prompt takes one. The read-refill-take is one atomic step:
 * a Lua script on Redis (on the server's clock), one `INSERT … ON CONFLICT DO UPDATE … WHERE` in
 * SQLite and Postgres.
 */
import { storeKind } from './kind.js';
import { schemaFor, schemaName } from '../infra/postgres.js';
import { TableOnFirstUse, type RedisLike, type SqlRunner } from './claims.js';

export interface Take {
  ok: boolean;
  /** When not `ok`: how long until one token is back. */
  retryAfterMs: number;
}

export interface RateLimiter {
  take(key: string, perMinute: number): Promise<Take>;
}

const MINUTE_MS = 60_000;

const REDIS_SCRIPT = `
local cap = tonumber(ARGV[1])
local rate = cap / ${MINUTE_MS}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or cap
local at = tonumber(b[2]) or now
tokens = math.min(cap, tokens + (now - at) * rate)
local ok = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ${MINUTE_MS * 2})
return {ok, tostring(math.ceil((1 - tokens) / rate))}
`;

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly client: () => Promise<RedisLike>,
    private readonly prefix: string,
  ) {}

  async take(key: string, perMinute: number): Promise<Take> {
    const client = await this.client();
    const [ok, wait] = (await client.eval(REDIS_SCRIPT, { keys: [`${this.prefix}${key}`], arguments: [String(perMinute)] })) as [number, string];
    return { ok: ok === 1, retryAfterMs: ok === 1 ? 0 : Number(wait) };
  }
}

export class SqlRateLimiter implements RateLimiter {
  private readonly created: TableOnFirstUse;

  constructor(
    private readonly run: SqlRunner,
    private readonly table: string,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {
    const real = dialect === 'postgres' ? 'DOUBLE PRECISION' : 'REAL';
    this.created = new TableOnFirstUse(run, `CREATE TABLE IF NOT EXISTS ${table} (key VARCHAR(512) PRIMARY KEY, tokens ${real} NOT NULL, at BIGINT NOT NULL)`);
  }

  async take(key: string, perMinute: number): Promise<Take> {
    await this.created.ensure();
    const now = Date.now();
    const rate = perMinute / MINUTE_MS;
    const p = (n: number) => (this.dialect === 'postgres' ? `$${n}` : `?${n}`);
    const least = this.dialect === 'postgres' ? 'LEAST' : 'MIN';
    // Postgres would take the rate for a bigint, like the column it multiplies.
    const real = (n: number) => (this.dialect === 'postgres' ? `${p(n)}::double precision` : p(n));
    const refilled = `${least}(${real(2)}, ${this.table}.tokens + (${p(3)} - ${this.table}.at) * ${real(4)})`;
    const rows = await this.run(
      `INSERT INTO ${this.table} (key, tokens, at) VALUES (${p(1)}, ${real(2)} - 1, ${p(3)})
       ON CONFLICT (key) DO UPDATE SET tokens = ${refilled} - 1, at = ${p(3)} WHERE ${refilled} >= 1
       RETURNING tokens`,
      [key, perMinute, now, rate],
    );
    if (rows.length === 1) return { ok: true, retryAfterMs: 0 };
    const [row] = (await this.run(`SELECT tokens, at FROM ${this.table} WHERE key = ${p(1)}`, [key])) as Array<{ tokens: number; at: number | string }>;
    const tokens = row ? Math.min(perMinute, Number(row.tokens) + (now - Number(row.at)) * rate) : 0;
    return { ok: false, retryAfterMs: Math.ceil((1 - tokens) / rate) };
  }
}

/** Redis keys `<namespace>:rate:…`; the table `rate_limits` of the namespace's schema (Postgres) or `<namespace>_rate_limits` (SQLite). */
export function rateLimiterFor(url: string, raw: { redis?: () => Promise<RedisLike>; sql?: SqlRunner }, namespace: string): RateLimiter {
  switch (storeKind(url)) {
    case 'redis':
      return new RedisRateLimiter(raw.redis!, `${namespace}:rate:`);
    case 'postgres':
      return new SqlRateLimiter(raw.sql!, `${schemaFor(namespace)}.rate_limits`, 'postgres');
    case 'sqlite':
      return new SqlRateLimiter(raw.sql!, `${schemaName(namespace)}_rate_limits`, 'sqlite');
  }
}
