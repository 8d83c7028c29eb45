import fs from 'node:fs';
import path from 'node:path';

/** Whether a process with this id runs on this host (EPERM: it exists but is not ours to signal). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The bot's pid file (`<COPILOT_HOME>/bot.pid`), so `copilot-threads config reload` can find the
 * bot to signal. Written once it is ready; removed when it stops (only if still its own).
 */
export function pidFile(home: string): string {
  return path.join(home, 'bot.pid');
}

export function writePidFile(home: string): void {
  fs.writeFileSync(pidFile(home), `${process.pid}\n`, { mode: 0o644 });
}

export function removePidFile(home: string): void {
  try {
    if (fs.readFileSync(pidFile(home), 'utf8').trim() === String(process.pid)) fs.rmSync(pidFile(home));
  } catch {
    // gone already, or never written
  }
}

/** The running bot's pid from its file; undefined when there is none, or it names a process that is gone. */
export function runningBot(home: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile(home), 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 1 && isAlive(pid) ? pid : undefined;
}
