/** One program, run to its end: for the bot's own short jobs (a thread's repository). */
import { spawn } from 'node:child_process';

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program once, collecting what it says (the first 64 kB of each stream), killed at `timeoutMs` (then `code` is null). */
export function runProcess(launcher: string, args: string[], env: Record<string, string>, cwd: string, timeoutMs: number): Promise<ProcessRun> {
  return new Promise((resolve) => {
    // A group of its own: at the deadline all of it goes (git's helpers hold the pipes open after the shell is gone).
    const child = spawn(launcher, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const keep = (chunks: Buffer[]) => (d: Buffer) => {
      if (chunks.reduce((n, c) => n + c.length, 0) < 64 * 1024) chunks.push(d);
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', keep(out));
    child.stderr.on('data', keep(err));
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const timer = setTimeout(killGroup, timeoutMs);
    const done = (code: number | null) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    };
    child.on('error', (e) => {
      err.push(Buffer.from(e.message));
      done(null);
    });
    child.on('close', (code) => done(code));
    // Ended, but something it started still holds the pipes: that goes too, and what was said is what there is.
    child.on('exit', (code) => {
      killGroup();
      setTimeout(() => done(code), 1000).unref();
    });
  });
}
