/**
 * One writer per session across processes on one host. Two runtimes holding one session open
 * each keep their own copy of it and both append to its log ("split brain"), so a process takes
 * a lock file for every session it opens and drops it when it disconnects. A lock whose process
 * is gone (a crash) is taken over.
 *
 * Nobody is turned away: a process that needs a session another one holds leaves a `.want`
 * marker and waits (bounded). The holder sees the marker (`wanted`), disconnects the session as
 * soon as its running turn ends, and the waiter resumes it from disk with every turn in it.
 * Locks are files under COPILOT_HOME, so they protect processes on one host (the embedded
 * implementation of `SessionLock`; `postgres-leases.ts` is the one for several hosts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../../infra/pid.js';
import { SessionBusyError } from '../agent.js';
import type { AcquireOptions, SessionLock } from './lock.js';

export interface LockInfo {
  pid: number;
  role: string;
  since: string;
}

const POLL_MIN_MS = 25;
const POLL_MAX_MS = 250;

export class SessionLocks implements SessionLock {
  private readonly dir: string;
  private readonly held = new Set<string>();

  constructor(
    home: string,
    private readonly role: string,
  ) {
    this.dir = path.join(home, 'locks');
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /** Takes the lock for `id`, waiting up to `waitMs` for its holder to let go. */
  async acquire(id: string, options: AcquireOptions): Promise<void> {
    if (this.held.has(id)) return;
    const deadline = Date.now() + options.waitMs;
    let delay = POLL_MIN_MS;
    let wanting = false;
    try {
      for (;;) {
        const holder = this.tryTake(id);
        if (!holder) return;
        if (!wanting) {
          this.want(id);
          wanting = true;
        }
        const cancelled = options.cancelled?.();
        if (cancelled) throw cancelled;
        const left = deadline - Date.now();
        if (left <= 0) throw new SessionBusyError(`${holder.role}, pid ${holder.pid}`);
        await sleep(Math.min(delay, left));
        delay = Math.min(delay * 2, POLL_MAX_MS);
      }
    } finally {
      if (wanting) this.unwant(id);
    }
  }

  async release(id: string): Promise<void> {
    this.releaseNow(id);
  }

  async releaseAll(): Promise<void> {
    for (const id of [...this.held]) this.releaseNow(id);
  }

  /** A lock file is only ever taken over from a dead process, so a live holder never loses it. */
  onLost(): void {}

  private releaseNow(id: string): void {
    if (!this.held.delete(id)) return;
    const holder = readJson<LockInfo>(this.file(id));
    if (!holder || holder.pid === process.pid) fs.rmSync(this.file(id), { force: true });
  }

  /** Sessions this process holds that another live process is waiting for (one directory read). */
  wanted(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith('.want'))
      .map((n) => n.slice(0, -'.want'.length))
      .filter((id) => this.held.has(id) && this.isWantedByOther(id));
  }

  /** Takes the lock if it is free or stale; otherwise returns who holds it. */
  private tryTake(id: string): LockInfo | undefined {
    const file = this.file(id);
    const mine: LockInfo = { pid: process.pid, role: this.role, since: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
        this.held.add(id);
        return undefined;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readJson<LockInfo>(file);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) return holder;
      // Stale (its process is gone) or unreadable: take it over.
      fs.rmSync(file, { force: true });
    }
    throw new Error(`could not take the session lock ${file}`);
  }

  private want(id: string): void {
    fs.writeFileSync(this.wantFile(id), JSON.stringify({ pid: process.pid }));
  }

  private unwant(id: string): void {
    if (readJson<{ pid: number }>(this.wantFile(id))?.pid === process.pid) fs.rmSync(this.wantFile(id), { force: true });
  }

  private isWantedByOther(id: string): boolean {
    const waiter = readJson<{ pid: number }>(this.wantFile(id));
    return waiter !== undefined && waiter.pid !== process.pid && isAlive(waiter.pid);
  }

  private file(id: string): string {
    // Session ids are [A-Za-z0-9_-] (checked before they get here), so this stays in `dir`.
    return path.join(this.dir, `${id}.lock`);
  }

  private wantFile(id: string): string {
    return path.join(this.dir, `${id}.want`);
  }
}

function readJson<T extends { pid: number }>(file: string): T | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as T;
    return typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}
