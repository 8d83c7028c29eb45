/**
 * One writer per session. Two runtimes holding one session open each keep their own copy and both
 * append to its log ("split brain"), so a process holds a session's lock for as long as the
 * session is open in its runtime. Two implementations sit behind this interface: lock files under
 * COPILOT_HOME for processes on one host (`session-lock.ts`), and leases in PostgreSQL for
 * instances on any number of hosts (`postgres-leases.ts`).
 */
export interface AcquireOptions {
  /** How long to wait for another process to let go; then `SessionBusyError`. */
  waitMs: number;
  /** Checked while waiting: a process shutting down stops waiting (with this error). */
  cancelled?: () => Error | undefined;
}

export interface SessionLock {
  /** Takes the lock for `id`, waiting up to `waitMs` for its holder to let go. */
  acquire(id: string, options: AcquireOptions): Promise<void>;
  release(id: string): Promise<void>;
  releaseAll(): Promise<void>;
  /** Sessions this process holds that another process is waiting for. */
  wanted(): string[];
  /**
   * Called when this process finds it no longer holds a lock it took (a lease that expired and
   * was taken over): the session must stop at once, and nothing more may be written to it.
   */
  onLost(listener: (id: string) => void): void;
}
