/**
 * Session state in PostgreSQL (SESSION_STATE_URL): every file the runtime keeps for a session
 * (`events.jsonl`, `workspace.yaml`, checkpoints) goes through the SDK's `sessionFs` into one
 * table, so an instance with an empty disk continues any thread.
 *
 * A file is the ordered concatenation of its chunks `(session_id, path, seq)`: an append is one
 * INSERT (never a rewrite of a growing log), a write replaces the chunks in one statement, and a
 * directory is a row with `seq = -1`. A session is only ever open in the one instance holding its
 * lease, so while it is open its files are read from memory: loaded in one query when the
 * session opens, every write sent through to the database in call order. Appends that queue up
 * behind a write in flight go together in one statement. Every write is fenced by the lease
 * token: a writer whose lease was taken over writes nothing and hears `LeaseLostError`.
 */
import path from 'node:path';
import type { CopilotClient, SessionFsConfig, SessionFsFileInfo, SessionFsProvider } from '@github/copilot-sdk';
import type { SessionId } from '../../domain.js';
import { SessionStateLostError, type SessionSummary } from '../agent.js';
import type { SessionStore } from './session-store.js';
import { ThreadFiles, type FolderOwner } from '../thread-files.js';
import type { PostgresLeases } from '../locks/postgres-leases.js';
import { NOW_MS, type PgPool } from '../../infra/postgres.js';
import type { StoreCalls } from '../../infra/store-calls.js';

/** Where the runtime sees each session's state, inside the session's own file system. */
export const SESSION_STATE_PATH = '/session-state';
const EVENTS = `${SESSION_STATE_PATH}/events.jsonl`;

/** This instance's lease on the session was taken over: it must not write, nor answer from its copy. */
export class LeaseLostError extends SessionStateLostError {
  override name = 'LeaseLostError';
  constructor(readonly sessionId: string) {
    super(`this instance no longer holds the lease on session ${sessionId}`);
  }
}

export interface PostgresSessionsOptions {
  pool: PgPool;
  calls: StoreCalls;
  /** Quoted schema name (STORE_NAMESPACE). */
  schema: string;
  leases: PostgresLeases;
  /** A write that failed: the session's copy in the runtime no longer matches the database. */
  onWriteFailed?: (id: SessionId, err: Error) => void;
}

interface Db {
  pool: PgPool;
  calls: StoreCalls;
  table: string;
  leases: string;
  /** Round trips made, and file operations the runtime asked for, for benchmarks. */
  queries: number;
  operations: number;
}

export class PostgresSessions implements SessionStore {
  private readonly db: Db;

  constructor(private readonly options: PostgresSessionsOptions) {
    this.db = { pool: options.pool, calls: options.calls, table: `${options.schema}.session_files`, leases: `${options.schema}.session_leases`, queries: 0, operations: 0 };
  }

  static schema(schema: string): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS ${schema}.session_files (session_id TEXT NOT NULL, path TEXT NOT NULL, seq BIGINT NOT NULL, content TEXT, mtime BIGINT NOT NULL, PRIMARY KEY (session_id, path, seq))`,
    ];
  }

  /** Database round trips made for session state so far (leases not included). */
  get queries(): number {
    return this.db.queries;
  }

  /** File operations the runtime asked the providers for so far. */
  get operations(): number {
    return this.db.operations;
  }

  fsConfig(workDir: string): SessionFsConfig {
    return { initialCwd: workDir, sessionStatePath: SESSION_STATE_PATH, conventions: 'posix' };
  }

  provider(id: SessionId, threadFolder: string, owner?: FolderOwner): SessionFsProvider {
    return new SessionFiles(id, this.db, () => this.options.leases.token(id), (err) => this.options.onWriteFailed?.(id, err), new ThreadFiles(threadFolder, owner));
  }

  async exists(_client: CopilotClient, id: SessionId): Promise<boolean> {
    const found = await this.query('read', `SELECT 1 FROM ${this.db.table} WHERE session_id = $1 AND path = $2 LIMIT 1`, [id, EVENTS]);
    return found.rows.length > 0;
  }

  async list(): Promise<SessionSummary[]> {
    const rows = await this.query(
      'list',
      `SELECT session_id, min(mtime)::text AS created, max(mtime)::text AS modified FROM ${this.db.table}
       WHERE seq >= 0 GROUP BY session_id HAVING bool_or(path = $1)`,
      [EVENTS],
    );
    return rows.rows.map((r) => ({
      id: r.session_id as SessionId,
      createdAt: new Date(Number(r.created)),
      modifiedAt: new Date(Number(r.modified)),
      summary: undefined,
    }));
  }

  async delete(_client: CopilotClient, id: SessionId): Promise<boolean> {
    const token = this.options.leases.token(id);
    if (!token) throw new LeaseLostError(id);
    const result = await this.query(
      'delete',
      `WITH lease AS (SELECT 1 FROM ${this.db.leases} WHERE session_id = $1 AND token = $2 FOR SHARE),
            gone AS (DELETE FROM ${this.db.table} WHERE session_id = $1 AND EXISTS (SELECT 1 FROM lease) RETURNING path)
       SELECT (SELECT count(*) FROM lease)::int AS held, (SELECT count(*) FROM gone WHERE path = $3)::int AS deleted`,
      [id, token, EVENTS],
    );
    if (result.rows[0]?.held !== 1) throw new LeaseLostError(id);
    return Number(result.rows[0]?.deleted) > 0;
  }

  async ping(): Promise<void> {
    await this.query('ping', 'SELECT 1', []);
  }

  private query(what: string, sql: string, params: unknown[]) {
    this.db.queries++;
    return this.db.calls.run(what, () => this.db.pool.query(sql, params));
  }
}

interface FileEntry {
  content: string;
  /** The next chunk's seq (one past the highest in the database). */
  next: number;
  mtime: number;
  birth: number;
}

/** One database statement, fenced by the lease: `$1` session, `$2` token, then `params`. */
interface Write {
  kind: 'append' | 'other';
  /** The statement's operation, given the number of its first parameter; reads the CTE `lease`. */
  sql: (first: number) => string;
  params: unknown[];
  done: { resolve: () => void; reject: (err: Error) => void };
}

function normalize(p: string): string {
  return path.posix.normalize(p).replace(/(.)\/+$/, '$1');
}

/** Outside the session state: the thread's folder (see `ThreadFiles`). */
function isLocal(p: string): boolean {
  const normal = normalize(p);
  return normal !== SESSION_STATE_PATH && !normal.startsWith(`${SESSION_STATE_PATH}/`);
}

function enoent(p: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT' });
}

/** One session's files, for the runtime; see the module comment. */
class SessionFiles implements SessionFsProvider {
  private files = new Map<string, FileEntry>();
  /** Directories made explicitly; parents of files exist implicitly. */
  private dirs = new Set<string>([SESSION_STATE_PATH]);
  private loaded: Promise<void> | undefined;
  private queue: Write[] = [];
  private flushing = false;
  /** Set once a write failed: the copy in memory no longer matches the database. */
  private broken: Error | undefined;

  constructor(
    private readonly id: SessionId,
    private readonly db: Db,
    private readonly token: () => string | undefined,
    private readonly onWriteFailed: (err: Error) => void,
    /** Paths outside the session state: the thread's folder on this instance's disk, and nothing else. */
    private readonly workspace: SessionFsProvider,
  ) {}

  async readFile(p: string): Promise<string> {
    if (isLocal(p)) return this.workspace.readFile(p);
    const at = await this.resolve(p);
    const file = this.files.get(at.path);
    if (!file) throw enoent(p);
    return file.content;
  }

  async writeFile(p: string, content: string): Promise<void> {
    if (isLocal(p)) return this.workspace.writeFile(p, content);
    const at = await this.writable(p);
    const now = Date.now();
    const seq = this.files.get(at)?.next ?? 0;
    this.files.set(at, { content, next: seq + 1, mtime: now, birth: this.files.get(at)?.birth ?? now });
    return this.write('other', (n) => `ins AS (INSERT INTO ${this.db.table} (session_id, path, seq, content, mtime) SELECT $1, $${n}, $${n + 1}, $${n + 2}, ${NOW_MS} FROM lease),
      del AS (DELETE FROM ${this.db.table} WHERE session_id = $1 AND path = $${n} AND seq >= 0 AND seq < $${n + 1} AND EXISTS (SELECT 1 FROM lease))`, [at, seq, content]);
  }

  async appendFile(p: string, content: string): Promise<void> {
    if (isLocal(p)) return this.workspace.appendFile(p, content);
    const at = await this.writable(p);
    const now = Date.now();
    const file = this.files.get(at) ?? { content: '', next: 0, mtime: now, birth: now };
    const seq = file.next;
    this.files.set(at, { ...file, content: file.content + content, next: seq + 1, mtime: now });
    return this.write('append', (n) => `($${n}::text, $${n + 1}::bigint, $${n + 2}::text)`, [at, seq, content]);
  }

  async exists(p: string): Promise<boolean> {
    if (isLocal(p)) return this.workspace.exists(p);
    const at = await this.resolve(p);
    return this.files.has(at.path) || this.isDir(at.path);
  }

  async stat(p: string): Promise<SessionFsFileInfo> {
    if (isLocal(p)) return this.workspace.stat(p);
    const at = await this.resolve(p);
    const file = this.files.get(at.path);
    if (file) return { isFile: true, isDirectory: false, size: Buffer.byteLength(file.content), mtime: new Date(file.mtime).toISOString(), birthtime: new Date(file.birth).toISOString() };
    if (this.isDir(at.path)) {
      const now = new Date().toISOString();
      return { isFile: false, isDirectory: true, size: 0, mtime: now, birthtime: now };
    }
    throw enoent(p);
  }

  async mkdir(p: string, recursive: boolean): Promise<void> {
    if (isLocal(p)) return this.workspace.mkdir(p, recursive);
    const at = await this.writable(p);
    if (this.isDir(at)) return;
    const made: string[] = [];
    for (let dir = at; dir !== SESSION_STATE_PATH && !this.isDir(dir); dir = path.posix.dirname(dir)) {
      made.push(dir);
      if (!recursive) break;
    }
    for (const dir of made) this.dirs.add(dir);
    return this.write('other', (n) => `ins AS (INSERT INTO ${this.db.table} (session_id, path, seq, content, mtime) SELECT $1, d, -1, NULL, ${NOW_MS} FROM lease, unnest($${n}::text[]) AS d ON CONFLICT DO NOTHING)`, [made]);
  }

  async readdir(p: string): Promise<string[]> {
    return (await this.readdirWithTypes(p)).map((e) => e.name);
  }

  async readdirWithTypes(p: string): Promise<Array<{ name: string; type: 'file' | 'directory' }>> {
    if (isLocal(p)) return this.workspace.readdirWithTypes(p);
    const at = await this.resolve(p);
    if (!this.isDir(at.path)) throw enoent(p);
    const prefix = `${at.path}/`;
    const out = new Map<string, 'file' | 'directory'>();
    for (const name of [...this.files.keys(), ...this.dirs]) {
      if (!name.startsWith(prefix)) continue;
      const [first, ...rest] = name.slice(prefix.length).split('/');
      if (first) out.set(first, rest.length > 0 || this.dirs.has(name) ? 'directory' : out.get(first) ?? 'file');
    }
    return [...out].map(([name, type]) => ({ name, type }));
  }

  async rm(p: string, _recursive: boolean, force: boolean): Promise<void> {
    if (isLocal(p)) return this.workspace.rm(p, _recursive, force);
    const at = await this.writable(p);
    if (!this.files.has(at) && !this.isDir(at)) {
      if (force) return;
      throw enoent(p);
    }
    const prefix = `${at}/`;
    for (const name of [...this.files.keys()]) if (name === at || name.startsWith(prefix)) this.files.delete(name);
    for (const name of [...this.dirs]) if (name === at || name.startsWith(prefix)) this.dirs.delete(name);
    return this.write('other', (n) => `del AS (DELETE FROM ${this.db.table} WHERE session_id = $1 AND (path = $${n} OR starts_with(path, $${n + 1})) AND EXISTS (SELECT 1 FROM lease))`, [at, prefix]);
  }

  async rename(src: string, dest: string): Promise<void> {
    if (isLocal(src) || isLocal(dest)) {
      if (!(isLocal(src) && isLocal(dest))) throw Object.assign(new Error(`EXDEV: '${src}' -> '${dest}'`), { code: 'EXDEV' });
      return this.workspace.rename(src, dest);
    }
    const from = await this.writable(src);
    const to = await this.writable(dest);
    const file = this.files.get(from);
    if (file) {
      // The moved chunks are numbered past the destination's, so replacing it is one statement.
      const shift = this.files.get(to)?.next ?? 0;
      this.files.delete(from);
      this.files.set(to, { ...file, next: file.next + shift });
      return this.write('other', (n) => `del AS (DELETE FROM ${this.db.table} WHERE session_id = $1 AND path = $${n + 1} AND EXISTS (SELECT 1 FROM lease)),
        mv AS (UPDATE ${this.db.table} SET path = $${n + 1}, seq = seq + $${n + 2} WHERE session_id = $1 AND path = $${n} AND EXISTS (SELECT 1 FROM lease))`, [from, to, shift]);
    }
    if (!this.isDir(from)) throw enoent(src);
    if (this.files.has(to) || this.isDir(to)) throw Object.assign(new Error(`EEXIST: '${dest}'`), { code: 'EEXIST' });
    const move = (name: string) => (name === from ? to : name.startsWith(`${from}/`) ? to + name.slice(from.length) : name);
    this.files = new Map([...this.files].map(([name, f]) => [move(name), f]));
    this.dirs = new Set([...this.dirs].map(move));
    return this.write('other', (n) => `mv AS (UPDATE ${this.db.table} SET path = $${n + 1} || substr(path, length($${n}) + 1) WHERE session_id = $1 AND (path = $${n} OR starts_with(path, $${n} || '/')) AND EXISTS (SELECT 1 FROM lease))`, [from, to]);
  }

  private isDir(p: string): boolean {
    if (this.dirs.has(p)) return true;
    const prefix = `${p}/`;
    for (const name of this.files.keys()) if (name.startsWith(prefix)) return true;
    return false;
  }

  /** A path of the session state (callers send every other path to the workspace first). */
  private async resolve(p: string): Promise<{ path: string }> {
    this.db.operations++;
    if (this.broken) throw this.broken;
    await (this.loaded ??= this.load());
    return { path: normalize(p) };
  }

  private async writable(p: string): Promise<string> {
    return (await this.resolve(p)).path;
  }

  private async load(): Promise<void> {
    this.db.queries++;
    const result = await this.db.calls.run('read', () => this.db.pool.query(`SELECT path, seq::int AS seq, content, mtime::text AS mtime FROM ${this.db.table} WHERE session_id = $1 ORDER BY path, seq`, [this.id]));
    for (const row of result.rows) {
      const name = row.path as string;
      const seq = row.seq as number;
      const mtime = Number(row.mtime);
      if (seq < 0) {
        this.dirs.add(name);
        continue;
      }
      const file = this.files.get(name);
      if (file) this.files.set(name, { content: file.content + (row.content as string), next: seq + 1, mtime: Math.max(file.mtime, mtime), birth: file.birth });
      else this.files.set(name, { content: row.content as string, next: seq + 1, mtime, birth: mtime });
    }
  }

  private write(kind: Write['kind'], sql: Write['sql'], params: unknown[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind, sql, params, done: { resolve, reject } });
      if (!this.flushing) void this.flush();
    });
  }

  /** Sends queued writes in order; a run of appends goes as one statement. */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const first = this.queue[0]!;
        let batch = [first];
        if (first.kind === 'append') {
          const end = this.queue.findIndex((w) => w.kind !== 'append');
          batch = this.queue.slice(0, end === -1 ? this.queue.length : end);
        }
        this.queue = this.queue.slice(batch.length);
        try {
          if (this.broken) throw this.broken;
          await this.send(batch);
          for (const w of batch) w.done.resolve();
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          if (!this.broken) {
            this.broken = error;
            this.onWriteFailed(error);
          }
          for (const w of batch) w.done.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async send(batch: Write[]): Promise<void> {
    const token = this.token();
    if (!token) throw new LeaseLostError(this.id);
    const params: unknown[] = [this.id, token];
    const parts = batch.map((w) => {
      const part = w.sql(params.length + 1);
      params.push(...w.params);
      return part;
    });
    const op =
      batch[0]!.kind === 'append'
        ? `ins AS (INSERT INTO ${this.db.table} (session_id, path, seq, content, mtime) SELECT $1, v.path, v.seq, v.content, ${NOW_MS} FROM lease, (VALUES ${parts.join(', ')}) AS v(path, seq, content))`
        : parts[0]!;
    this.db.queries++;
    const result = await this.db.calls.run('write', () =>
      this.db.pool.query(`WITH lease AS (SELECT 1 FROM ${this.db.leases} WHERE session_id = $1 AND token = $2 FOR SHARE), ${op} SELECT count(*)::int AS held FROM lease`, params),
    );
    if (result.rows[0]?.held !== 1) throw new LeaseLostError(this.id);
  }
}
