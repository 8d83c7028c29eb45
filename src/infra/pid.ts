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
 * bot to signal. It holds the pid and the process's start time: a file left by a bot that was
 * killed names a pid that may since be another process's, and that one is never signalled.
 */
export function pidFile(home: string): string {
  return path.join(home, 'bot.pid');
}

/** When a process started (clock ticks since boot, /proc/<pid>/stat field 22); undefined off Linux or when it is gone. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Written whole or not at all, never through a link planted at its name (a new file, then renamed over it). */
export function writePidFile(home: string): void {
  const file = pidFile(home);
  const temp = `${file}.${process.pid}.tmp`;
  fs.rmSync(temp, { force: true });
  const fd = fs.openSync(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
  try {
    fs.writeSync(fd, `${process.pid} ${startTime(process.pid) ?? '-'}\n`);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  // Gone with the process however it ends (an exit on a deadline too); a kill -9 leaves it, and the start time tells.
  process.once('exit', () => removePidFile(home));
}

export function removePidFile(home: string): void {
  try {
    if (fs.readFileSync(pidFile(home), 'utf8').split(' ')[0] === String(process.pid)) fs.rmSync(pidFile(home));
  } catch {
    // gone already, or never written
  }
}

/** The running bot's pid from its file; undefined when there is none, or it names a process that is gone or another one now. */
export function runningBot(home: string): number | undefined {
  let pid: number;
  let started: string | undefined;
  try {
    const [first = '', second] = fs.readFileSync(pidFile(home), 'utf8').trim().split(' ');
    pid = Number(first);
    started = second;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid)) return undefined;
  const now = startTime(pid);
  return now === undefined || started === undefined || started === '-' || now === started ? pid : undefined;
}
