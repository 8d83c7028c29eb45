/**
 * The sessions held open in the runtime: at most one live `CopilotSession` per thread (resuming a
 * live session twice doubles its events), each under its session lock for as long as it is open,
 * lent out to turns and readers and disconnected when idle, when past the limit of live sessions,
 * or when another process waits for it. Every use is counted, so a runtime restart can wait until
 * nothing runs.
 */
import type { CopilotSession } from '@github/copilot-sdk';
import type { SessionId, SessionProfile } from '../../domain.js';
import { DeadlineError, withDeadline } from '../../infra/deadline.js';
import type { Logger } from '../../infra/log.js';
import { AgentStoppedError, TurnFailedError, type TurnCredentials } from '../agent.js';
import type { SessionLock } from '../locks/lock.js';

export interface Opened {
  session: CopilotSession;
  /** The session did not exist before: it was created now. */
  created: boolean;
}

export interface SessionPoolOptions {
  locks: SessionLock;
  /** Resumes or creates the session in the current runtime (its lock is held); `as`: the turn's own account (per-user); `profile`: the thread's model, agent, instructions and tools. */
  open(id: SessionId, reading: boolean, as: TurnCredentials | undefined, profile: SessionProfile | undefined): Promise<Opened>;
  /** A session was disconnected (the SDK's client may forget it). */
  disconnected(session: CopilotSession): void;
  /** Waits until the runtime may be used (no restart under way); throws once it is stopped. */
  ready(): Promise<void>;
  /** Shutdown has begun: nobody waits for a lock any more. */
  stopping(): boolean;
  /** An idle session is disconnected after this long. */
  idleMs: number;
  /** At most this many sessions open (0: no limit); see `evictIdle`. */
  maxLive: number;
  /** Shared mode: a session stays open only while it is used, so other instances never wait on an idle one. */
  closeWhenIdle: boolean;
  /** How long to wait for another process to let go of a session (then "busy"). */
  lockWaitMs: number;
  /** How long the runtime may take to open a session (OPEN_TIMEOUT_MS unless a test says). */
  openTimeoutMs?: number;
  logger: Logger;
}

/** A session lent out: give it back with `release()`; `stale()` has it reopened from its stored state next time. */
export interface Lease extends Opened {
  stale(): void;
  release(): void;
}

interface Live {
  session: Promise<Opened>;
  leases: number;
  idleTimer: NodeJS.Timeout | undefined;
  /** Set after an aborted turn: the session is reopened from disk on next use. */
  stale: boolean;
  /** The session was just created and no caller has heard that yet. */
  fresh: boolean;
  /** When its last lease ended (performance.now()). */
  idleSince: number;
  /** What it was opened with (see `Acquire.shape`). */
  shape: string | undefined;
  /** Told when its last lease ends (a turn waiting to reopen it with another shape). */
  idleWaiters: Array<() => void>;
}

/** How a session is wanted. */
export interface Acquire {
  /** Only to read its history: any open session will do. */
  reading?: boolean;
  as?: TurnCredentials;
  profile?: SessionProfile;
  /** `profile` (and what else the session is opened with) as one string: an open session of another shape is reopened. */
  shape?: string;
}

/**
 * Past MAX_LIVE_SESSIONS, a session idle this long goes. Not sooner: a thread's next queued turn
 * takes its session back within moments, and closing it in between would resume it every turn.
 */
const EVICT_IDLE_MS = 1000;
/** How often this process looks for sessions another process is waiting for. */
const YIELD_POLL_MS = 200;
/** A dead or wedged runtime may never answer a disconnect or an abort. */
export const DISCONNECT_TIMEOUT_MS = 3000;
/**
 * Opening (creating or resuming) takes the runtime well under a second, a long history a few. One
 * that never answers would hold the thread's queue for good: it fails the message instead (the
 * thread's next one tries again), and the session, should it open after all, is closed.
 */
export const OPEN_TIMEOUT_MS = 30_000;

export class SessionPool {
  /** Least recently used first. */
  private readonly live = new Map<SessionId, Live>();
  /** Disconnects under way: a session is reopened only once its old handle is gone. */
  private readonly closing = new Map<SessionId, Promise<void>>();
  private uses = 0;
  private usesDrained: Array<() => void> = [];
  /** Sessions another process waits for: disconnected as soon as nobody uses them. */
  private wanted = new Set<string>();
  private readonly yieldTimer: NodeJS.Timeout;
  /** Looks again at sessions past the limit that were busy or only just idle. */
  private trimTimer: NodeJS.Timeout | undefined;
  /** Sessions opened since the runtime last started (RUNTIME_RECYCLE_SESSIONS counts them; the agent resets it). */
  opened = 0;

  constructor(private readonly options: SessionPoolOptions) {
    this.yieldTimer = setInterval(() => this.yieldWanted(), YIELD_POLL_MS);
    this.yieldTimer.unref();
  }

  get size(): number {
    return this.live.size;
  }

  get ids(): SessionId[] {
    return [...this.live.keys()];
  }

  has(id: SessionId): boolean {
    return this.live.has(id);
  }

  /** Lends out `id`'s session, opening it (under its lock) unless it is open already. */
  async acquire(id: SessionId, how: Acquire = {}): Promise<Lease> {
    await this.options.ready();
    let live = this.live.get(id);
    // Looked at again after every wait: another caller may have closed or opened it meanwhile.
    for (;;) {
      live = this.live.get(id);
      // Opened with another model, agent or tools than the thread now wants (by a history read,
      // or before a reload): never used for this turn, which would run with what the thread's
      // channel does not allow. Reopened once whoever uses it lets go.
      if (live && !how.reading && how.shape !== live.shape) live.stale = true;
      if (!live?.stale) break;
      if (live.leases === 0) await this.close(id);
      // A reader (or, after a timeout, the turn that marked it) holds it: wait for them.
      else if (!how.reading) await new Promise<void>((resolve) => live!.idleWaiters.push(resolve));
      else break;
    }
    if (live) {
      // Most recently used last: the limit of live sessions lets go of the front first.
      this.live.delete(id);
      this.live.set(id, live);
    } else {
      live = { session: this.open(id, how.reading === true, how.as, how.profile), leases: 0, idleTimer: undefined, stale: false, fresh: true, idleSince: 0, shape: how.shape, idleWaiters: [] };
      this.live.set(id, live);
      this.opened++;
    }
    const entry = live;
    entry.leases++;
    this.uses++;
    clearTimeout(entry.idleTimer);
    // Past the limit, another (idle) session goes; this one is taken now, so never itself.
    this.evictIdle();
    try {
      const { session, created } = await entry.session;
      // Only the first caller on a new session hears that it was created.
      const first = created && entry.fresh;
      entry.fresh = false;
      return { session, created: first, stale: () => (entry.stale = true), release: () => this.release(id, entry) };
    } catch (err) {
      // Unmap first, so releasing this failed entry never schedules a close of a newer one.
      if (this.live.get(id) === entry) this.live.delete(id);
      this.release(id, entry);
      throw err;
    }
  }

  /** Runs `fn` counted as a use of the runtime (a restart waits for it) without opening a session. */
  async use<T>(fn: () => Promise<T>): Promise<T> {
    await this.options.ready();
    this.uses++;
    try {
      return await fn();
    } finally {
      this.endUse();
    }
  }

  /** Runs `fn` holding `id`'s lock, once every process has let go of the session (close it here first). */
  async exclusive<T>(id: SessionId, fn: () => Promise<T>): Promise<T> {
    await this.options.locks.acquire(id, this.lockWait());
    try {
      return await fn();
    } finally {
      await this.options.locks.release(id);
    }
  }

  /** The session's state can no longer be trusted here: it is reopened on next use. */
  markStale(id: SessionId): void {
    const live = this.live.get(id);
    if (live) live.stale = true;
  }

  /** Stops the turn running in `id`'s session, if it is open (bounded: a wedged runtime may not answer). */
  async abort(id: SessionId): Promise<void> {
    const opened = await this.live.get(id)?.session.catch(() => undefined);
    if (opened) await withDeadline(opened.session.abort(), DISCONNECT_TIMEOUT_MS, 'turn abort').catch(() => undefined);
  }

  /** Resolves once nothing uses the runtime. */
  idle(): Promise<void> {
    if (this.uses === 0) return Promise.resolve();
    return new Promise((resolve) => this.usesDrained.push(resolve));
  }

  /** Disconnects every session (data stays stored); `abort` first stops the turns running in them. */
  async closeAll(abort: boolean): Promise<void> {
    await Promise.all(
      [...this.live.keys()].map(async (id) => {
        if (abort && (this.live.get(id)?.leases ?? 0) > 0) await this.abort(id);
        await this.close(id);
      }),
    );
  }

  /** Stops looking for sessions to close (shutdown begins). */
  stopTimers(): void {
    clearInterval(this.yieldTimer);
    clearTimeout(this.trimTimer);
  }

  /** Lets go of every lock still held (bounded): only once the runtime is stopped, so nothing of a session is written after. */
  async releaseLocks(): Promise<void> {
    await withDeadline(this.options.locks.releaseAll(), DISCONNECT_TIMEOUT_MS, 'lock release').catch(() => undefined);
  }

  private release(id: SessionId, live: Live): void {
    live.leases--;
    this.endUse();
    if (live.leases === 0) {
      live.idleSince = performance.now();
      for (const wake of live.idleWaiters.splice(0)) wake();
    }
    if (live.leases === 0 && this.live.get(id) === live) {
      live.idleTimer = setTimeout(
        () => {
          if (this.live.get(id) === live && live.leases === 0) void this.close(id);
        },
        live.stale || this.options.closeWhenIdle || this.wanted.has(id) ? 0 : this.options.idleMs,
      );
      live.idleTimer.unref();
    }
  }

  private endUse(): void {
    this.uses--;
    if (this.uses === 0) {
      const waiters = this.usesDrained;
      this.usesDrained = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Past `maxLive`, the least recently used sessions idle for EVICT_IDLE_MS are disconnected. Busy
   * ones stay (the limit is exceeded while more threads than it run at once); those not idle long
   * enough are looked at again shortly.
   */
  private evictIdle(): void {
    const max = this.options.maxLive;
    if (max <= 0 || this.live.size <= max) return;
    const now = performance.now();
    for (const [id, live] of this.live) {
      if (this.live.size <= max) return;
      if (live.leases === 0 && now - live.idleSince >= EVICT_IDLE_MS) void this.close(id);
    }
    if (this.live.size > max && !this.trimTimer && !this.options.stopping()) {
      this.trimTimer = setTimeout(() => {
        this.trimTimer = undefined;
        this.evictIdle();
      }, EVICT_IDLE_MS);
      this.trimTimer.unref();
    }
  }

  /** Lets go of idle sessions another process is waiting for; busy ones go when their turn ends. */
  private yieldWanted(): void {
    if (this.live.size === 0) {
      this.wanted.clear();
      return;
    }
    this.wanted = new Set(this.options.locks.wanted());
    for (const id of this.wanted) {
      const live = this.live.get(id as SessionId);
      if (live && live.leases === 0) void this.close(id as SessionId);
    }
  }

  private lockWait() {
    return { waitMs: this.options.lockWaitMs, cancelled: () => (this.options.stopping() ? new AgentStoppedError() : undefined) };
  }

  private async open(id: SessionId, reading: boolean, as: TurnCredentials | undefined, profile: SessionProfile | undefined): Promise<Opened> {
    await this.closing.get(id);
    await this.options.locks.acquire(id, this.lockWait());
    const opening = this.options.open(id, reading, as, profile);
    const limit = this.options.openTimeoutMs ?? OPEN_TIMEOUT_MS;
    try {
      return await withDeadline(opening, limit, 'opening the session');
    } catch (err) {
      if (err instanceof DeadlineError) {
        this.options.logger.error({ sessionId: id, timeoutMs: limit }, 'the Copilot runtime did not open the session in time');
        // Its lock goes only once a late session is closed again: nothing of it is written after.
        void opening.then(
          ({ session }) => withDeadline(session.disconnect(), DISCONNECT_TIMEOUT_MS, 'session disconnect').finally(() => this.options.disconnected(session)),
          () => undefined,
        ).catch(() => undefined).finally(() => void this.options.locks.release(id).catch(() => undefined));
        throw new TurnFailedError(`the Copilot runtime did not open the session within ${err.message.replace(/^.* within /, '')}`);
      }
      await this.options.locks.release(id).catch(() => undefined);
      throw err;
    }
  }

  /** Disconnects a live session (its data stays stored), then lets go of its lock. */
  close(id: SessionId): Promise<void> {
    const live = this.live.get(id);
    if (!live) return this.closing.get(id) ?? Promise.resolve();
    this.live.delete(id);
    clearTimeout(live.idleTimer);
    const done = (async () => {
      try {
        const { session } = await live.session;
        try {
          await withDeadline(session.disconnect(), DISCONNECT_TIMEOUT_MS, 'session disconnect');
        } finally {
          this.options.disconnected(session);
        }
      } catch (err) {
        // Not opened (its lock was never taken or already dropped), or the runtime is gone.
        this.options.logger.debug({ err, sessionId: id }, 'disconnect failed');
      }
      // Released only once the session is closed: nothing of it is written after this.
      await withDeadline(this.options.locks.release(id), DISCONNECT_TIMEOUT_MS, 'lock release').catch((err: unknown) =>
        this.options.logger.warn({ err: String(err), sessionId: id }, 'session lock release failed (it expires by itself)'),
      );
    })().finally(() => {
      if (this.closing.get(id) === done) this.closing.delete(id);
    });
    this.closing.set(id, done);
    return done;
  }
}
