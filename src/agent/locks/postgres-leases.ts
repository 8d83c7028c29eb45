/**
 * One writer per session across instances on any number of hosts: a lease per session in
 * PostgreSQL. It is the token lock of Redis's `SET NX PX` + compare-and-delete, done in SQL:
 *
 * - taking a lease is one `INSERT … ON CONFLICT DO UPDATE … WHERE expired`, so of all instances
 *   asking at once exactly one gets it, with a fresh token from a sequence (never reused);
 * - the holder renews it every third of its time to live, during long turns too; an instance
 *   that dies (kill -9, a lost machine) stops renewing and its lease expires, judged on the
 *   database's clock so hosts' clocks do not matter;
 * - every write to a session's state names the holder's token and locks the lease row for
 *   share (`postgres-sessions.ts`), so a writer whose lease was taken over writes nothing
 *   (fencing), and a takeover waits for a write already under way;
 * - releasing deletes the row only if the token is still ours.
 *
 * A process that wants a session another instance holds waits, polling, for up to `waitMs`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionBusyError } from '../agent.js';
import type { AcquireOptions, SessionLock } from './lock.js';
import { NOW_MS, type PgPool } from '../../infra/postgres.js';
import type { StoreCalls } from '../../infra/store-calls.js';

export interface PostgresLeasesOptions {
  pool: PgPool;
  calls: StoreCalls;
  /** Quoted schema name (STORE_NAMESPACE). */
  schema: string;
  /** Names this instance in the lease (host, pid, role), for operators and "busy" replies. */
  owner: string;
  ttlMs: number;
}

interface Held {
  token: string;
  renewedAt: number;
  timer: NodeJS.Timeout;
}

const POLL_MIN_MS = 25;
const POLL_MAX_MS = 250;

export class PostgresLeases implements SessionLock {
  private readonly held = new Map<string, Held>();
  private readonly lostListeners: Array<(id: string) => void> = [];
  private readonly table: string;
  /** Round trips made (take, renew, release), for benchmarks. */
  queries = 0;

  constructor(private readonly options: PostgresLeasesOptions) {
    this.table = `${options.schema}.session_leases`;
  }

  /** Tables and the token sequence (idempotent). */
  static schema(schema: string): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS ${schema}.session_leases (session_id TEXT PRIMARY KEY, owner TEXT NOT NULL, token BIGINT NOT NULL, expires_at BIGINT NOT NULL)`,
      `CREATE SEQUENCE IF NOT EXISTS ${schema}.session_lease_tokens`,
    ];
  }

  /** The token of the lease this instance holds on `id`, for fencing its writes. */
  token(id: string): string | undefined {
    return this.held.get(id)?.token;
  }

  async acquire(id: string, options: AcquireOptions): Promise<void> {
    if (this.held.has(id)) return;
    const deadline = Date.now() + options.waitMs;
    let delay = POLL_MIN_MS;
    for (;;) {
      const taken = await this.tryTake(id);
      if (taken.token) {
        this.hold(id, taken.token);
        return;
      }
      const cancelled = options.cancelled?.();
      if (cancelled) throw cancelled;
      const left = deadline - Date.now();
      if (left <= 0) throw new SessionBusyError(taken.holder ?? 'another instance');
      await sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
  }

  async release(id: string): Promise<void> {
    const held = this.held.get(id);
    if (!held) return;
    this.held.delete(id);
    clearInterval(held.timer);
    // Not ours any more (taken over): nothing to delete. Unreachable: it expires by itself.
    this.queries++;
    await this.options.calls.run('lease release', () => this.options.pool.query(`DELETE FROM ${this.table} WHERE session_id = $1 AND token = $2`, [id, held.token]));
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.held.keys()].map((id) => this.release(id).catch(() => undefined)));
  }

  /** Instances do not signal each other: a shared session is closed as soon as no turn runs in it. */
  wanted(): string[] {
    return [];
  }

  onLost(listener: (id: string) => void): void {
    this.lostListeners.push(listener);
  }

  private async tryTake(id: string): Promise<{ token?: string; holder?: string }> {
    const { pool, calls, owner, ttlMs } = this.options;
    this.queries++;
    const taken = await calls.run('lease', () =>
      pool.query(
        `INSERT INTO ${this.table} AS l (session_id, owner, token, expires_at)
         VALUES ($1, $2, nextval('${this.options.schema}.session_lease_tokens'), ${NOW_MS} + $3)
         ON CONFLICT (session_id) DO UPDATE SET owner = excluded.owner, token = excluded.token, expires_at = excluded.expires_at
         WHERE l.expires_at <= ${NOW_MS}
         RETURNING token::text AS token`,
        [id, owner, ttlMs],
      ),
    );
    const token = taken.rows[0]?.token as string | undefined;
    if (token) return { token };
    this.queries++;
    const holder = await calls.run('lease', () => pool.query(`SELECT owner FROM ${this.table} WHERE session_id = $1`, [id]));
    return { holder: holder.rows[0]?.owner as string | undefined };
  }

  private hold(id: string, token: string): void {
    const held: Held = { token, renewedAt: Date.now(), timer: setInterval(() => void this.renew(id, held), Math.max(this.options.ttlMs / 3, 50)) };
    held.timer.unref();
    this.held.set(id, held);
  }

  private async renew(id: string, held: Held): Promise<void> {
    const started = Date.now();
    this.queries++;
    try {
      const renewed = await this.options.calls.run('lease renew', () =>
        this.options.pool.query(`UPDATE ${this.table} SET expires_at = ${NOW_MS} + $3 WHERE session_id = $1 AND token = $2 RETURNING token`, [id, held.token, this.options.ttlMs]),
      );
      if (this.held.get(id) !== held) return;
      if (renewed.rowCount === 1) held.renewedAt = started;
      else this.lose(id, held);
    } catch {
      // The database did not answer: once the lease may have expired, another instance may hold it.
      if (this.held.get(id) === held && Date.now() - held.renewedAt >= this.options.ttlMs) this.lose(id, held);
    }
  }

  private lose(id: string, held: Held): void {
    clearInterval(held.timer);
    this.held.delete(id);
    for (const listener of this.lostListeners) listener(id);
  }
}
