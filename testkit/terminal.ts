/** Drives an entry point through a pseudo-terminal (python3's pty), the way a person at a terminal does. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { nodeArgs } from './process.js';

export interface TerminalStep {
  /** Wait until this text appears in new output. */
  wait?: string;
  /** false: anywhere in the output so far (for what comes on its own time, like a scheduled run). */
  new?: boolean;
  /** Then type this (`\r` is Enter, `\x1b[A` the up arrow). */
  send?: string;
}

export function onTerminal(args: string[], env: NodeJS.ProcessEnv, steps: TerminalStep[], timeoutSec = 60): Promise<{ output: string; code: number | null }> {
  const spec = { argv: [process.execPath, ...nodeArgs(args)], env: { ...env, TERM: 'xterm-256color' }, cwd: process.cwd(), steps, timeout: timeoutSec };
  return new Promise((resolve, reject) => {
    execFile('python3', [path.join(import.meta.dirname, 'terminal.py'), JSON.stringify(spec)], { maxBuffer: 20 * 1024 * 1024, timeout: (timeoutSec + 10) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as { output: string; code: number | null });
    });
  });
}

/** The output without escape codes, as the terminal would show its text. */
export function plain(output: string): string {
  // eslint-disable-next-line no-control-regex
  return output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}
