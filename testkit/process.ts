/** Runs the product's own entry points as a user would, with a clean, explicit environment. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startModelServer, type ModelServer } from './model-server.js';
import { testNamespace, testStoreUrl } from './services.js';

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Only what a run needs: no developer's .env or ambient secrets leak into a test. */
export function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', NO_COLOR: '1', DOTENV_CONFIG_PATH: '/nonexistent/.env', ...extra };
}

/**
 * How node runs `args`: an entry point named by its source (`src/bin/cli.ts`) runs as built
 * (`dist/src/bin/cli.js`, which the test run builds first: testkit/build.ts), as a user runs it and
 * without compiling TypeScript at every start (seconds each, on a loaded machine); anything else
 * (an inline script) through tsx.
 */
export function nodeArgs(args: readonly string[]): string[] {
  const [first = '', ...rest] = args;
  if (/^(src|adapters)\/.+\.ts$/.test(first)) return [path.join('dist', first.replace(/\.ts$/, '.js')), ...rest];
  return ['--import', 'tsx', ...args];
}

export function runEntry(args: string[], env: NodeJS.ProcessEnv, input = '', timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs(args), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${args.join(' ')}\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

export function startEntry(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, nodeArgs(args), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/**
 * Ports for processes that need a fixed PORT come from below the kernel's ephemeral range
 * (32768–60999 here), each test worker its own thousand: a port asked of the kernel (listen on
 * 0) and given back could be handed to any other listener on port 0 (a model server, a fake, a
 * runtime) before the process under test binds it, which CI saw ("PORT … is already in use").
 */
const PORT_BASE = 20_000 + (Number(process.env.VITEST_POOL_ID ?? 0) % 10) * 1000;
let nextPort = 0;

/** A loopback port nothing listens on right now, none handed out before by this worker. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 1000; tries++) {
    const port = PORT_BASE + (nextPort++ % 1000);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${PORT_BASE}–${PORT_BASE + 999}`);
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export interface ProcessFixture {
  model: ModelServer;
  dir: string;
  /** A full environment for the product's entry points: local model, temp COPILOT_HOME and store. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function processFixture(extra: Record<string, string> = {}): Promise<ProcessFixture> {
  const model = await startModelServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-proc-'));
  const env = baseEnv({
    COPILOT_PROVIDER_TYPE: 'openai',
    COPILOT_PROVIDER_BASE_URL: model.url,
    COPILOT_MODEL: 'test-model',
    COPILOT_HOME: path.join(dir, 'copilot'),
    STORE_URL: testStoreUrl(dir),
    STORE_NAMESPACE: testNamespace(),
    // Bursts from one person are what many tests send; the limit has tests of its own.
    USER_MESSAGES_PER_MINUTE: '0',
    ...extra,
  });
  return {
    model,
    dir,
    env,
    async close() {
      await model.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Processes of this host whose command line names `path` (a COPILOT_HOME: the runtime, its sandbox). */
export function processesNaming(path: string): string[] {
  return fs.readdirSync('/proc').filter((p) => {
    if (!/^\d+$/.test(p)) return false;
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(path);
    } catch {
      return false;
    }
  });
}

/**
 * Where a file a tool wrote is: tools write in their thread's own folder, `<workspace>/<session id>/`.
 * The path in whichever thread folder holds `name`, else one that does not exist.
 */
export function workspaceFile(workspace: string, name: string): string {
  const folders = fs.existsSync(workspace) ? fs.readdirSync(workspace) : [];
  const found = folders.map((f) => path.join(workspace, f, name)).find((p) => fs.existsSync(p));
  return found ?? path.join(workspace, '(no thread folder has it)', name);
}

/**
 * What a tool has written so far into `name` in some thread folder, or undefined while it does not exist.
 * Poll this, not existence: a shell makes the file before it writes into it.
 */
export function workspaceText(workspace: string, name: string): string | undefined {
  const file = workspaceFile(workspace, name);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}
