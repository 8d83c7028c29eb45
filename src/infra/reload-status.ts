/**
 * How the bot's last reload went (`<COPILOT_HOME>/reload.json`), so that `copilot-threads config
 * reload` can tell the person who asked: the signal itself carries no answer back.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ReloadStatus {
  pid: number;
  /** When the reload ended (ms since the epoch). */
  at: number;
  ok: boolean;
  /** What was loaded, or the mistake that kept the old files. */
  said: string;
}

function statusFile(home: string): string {
  return path.join(home, 'reload.json');
}

/** Written whole (a new file renamed over the old), never through a link. */
export function writeReloadStatus(home: string, status: Omit<ReloadStatus, 'pid' | 'at'>): void {
  const file = statusFile(home);
  const temp = `${file}.${process.pid}.tmp`;
  fs.rmSync(temp, { force: true });
  const fd = fs.openSync(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
  try {
    fs.writeSync(fd, JSON.stringify({ pid: process.pid, at: Date.now(), ...status } satisfies ReloadStatus));
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}

/** The status `pid` wrote at or after `since`, once it is there (polled), or undefined after `timeoutMs`. */
export async function awaitReloadStatus(home: string, pid: number, since: number, timeoutMs: number): Promise<ReloadStatus | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const status = JSON.parse(fs.readFileSync(statusFile(home), 'utf8')) as ReloadStatus;
      if (status.pid === pid && status.at >= since) return status;
    } catch {
      // not written yet, or being replaced
    }
    if (Date.now() >= until) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
