/**
 * One writer per session across processes. Two runtimes holding one session open each keep their
 * own copy of it and both append to its log ("split brain"), so a process takes a lock file for
 * every session it opens and drops it when it disconnects. A lock whose process is gone (a crash)
 * is taken over. Locks are files under COPILOT_HOME, so they protect processes on one host;
 * processes on different hosts must not share a COPILOT_HOME.
 */
import fs from 'node:fs';
import path from 'node:path';

import { isAlive } from '../pid.js';
import { SessionBusyError } from './agent.js';

export interface LockInfo {
  pid: number;
  role: string;
  since: string;
}

export class SessionLocks {
  private readonly dir: string;
  private readonly held = new Set<string>();

  constructor(
    home: string,
    private readonly role: string,
  ) {
    this.dir = path.join(home, 'locks');
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /** Takes the lock for `id`, or throws `SessionBusyError` naming the process that holds it. */
  acquire(id: string): void {
    if (this.held.has(id)) return;
    const file = this.file(id);
    const mine: LockInfo = { pid: process.pid, role: this.role, since: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
        this.held.add(id);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readLock(file);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) throw new SessionBusyError(`${holder.role}, pid ${holder.pid}`);
      // Stale (its process is gone) or unreadable: take it over.
      fs.rmSync(file, { force: true });
    }
    throw new Error(`could not take the session lock ${file}`);
  }

  release(id: string): void {
    if (!this.held.delete(id)) return;
    const holder = readLock(this.file(id));
    if (!holder || holder.pid === process.pid) fs.rmSync(this.file(id), { force: true });
  }

  releaseAll(): void {
    for (const id of [...this.held]) this.release(id);
  }

  private file(id: string): string {
    // Session ids are [A-Za-z0-9_-] (checked before they get here), so this stays in `dir`.
    return path.join(this.dir, `${id}.lock`);
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}
