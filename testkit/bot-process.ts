/**
 * The built product (`node dist/...`) run as operators run it: each entry point a child process in
 * its own process group (as under a terminal, systemd or Heroku), so a test can signal the whole
 * group the way Ctrl-C does. The stack fixture configures Slack and Discord against the fakes and
 * the model against the local model server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseEnv, freePort } from './process.js';
import { testNamespace, testStoreUrl } from './services.js';
import { startModelServer, type ModelScript, type ModelServer } from './model-server.js';
import { signed, startFakeSlack, type FakeSlack } from './fake-slack.js';
import { startFakeDiscord, type FakeDiscord } from './fake-discord.js';
import { discordMessage, GUILDS, type SayOptions } from './discord-harness.js';

export const SLACK_SECRET = 'process-signing-secret';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<Exit>;
  /** Sends `signal` to the whole process group: the bot and the Copilot runtime it started. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Resolves once the output matches (rejects if the process exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Writes a line to the process's standard input. */
  type(line: string): void;
}

/**
 * Every group started here. A detached group outlives the test worker, so whatever a test leaves
 * running (a timeout skipped its cleanup, say) is killed when the worker exits.
 */
const started = new Set<number>();
process.on('exit', () => {
  for (const pgid of started) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Starts `node dist/<script>` in a new process group. */
export function startBuilt(script: string, args: string[], env: NodeJS.ProcessEnv, options: { stdin?: boolean; inherit?: number[] } = {}): Proc {
  return startCommand(process.execPath, [path.join('dist', script), ...args], env, options);
}

/** Starts any command (`npm start`, say) in a new process group. */
export function startCommand(command: string, args: string[], env: NodeJS.ProcessEnv, options: { stdin?: boolean; inherit?: number[] } = {}): Proc {
  const child = spawn(command, args, {
    env,
    detached: true,
    // `inherit`: descriptors a supervisor hands the process beyond stdio (fd 3 on).
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(options.inherit ?? [])],
  });
  started.add(child.pid!);
  let out = '';
  const watchers = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of watchers) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  // The group stays listed after the process exits: a runtime child may outlive it.
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const proc: Proc = {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    signalGroup(signal) {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // the group is gone already
      }
    },
    waitFor(pattern, timeoutMs = 45_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (!m) return false;
          done();
          resolve(m[0]);
          return true;
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} in the output within ${timeoutMs} ms:\n${out.slice(-3000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          watchers.delete(watch);
        };
        const watch = () => void check();
        if (check()) return;
        watchers.add(watch);
        void exited.then(() => {
          if (!check()) {
            done();
            reject(new Error(`exited before ${pattern} appeared:\n${out.slice(-3000)}`));
          }
        });
      });
    },
    type(line) {
      child.stdin!.write(`${line}\n`);
    },
  };
  return proc;
}

/** Runs a built entry point to completion (own process group, killed if it outlives `timeoutMs`). */
export async function runBuilt(script: string, args: string[], env: NodeJS.ProcessEnv, input?: string, timeoutMs = 60_000): Promise<Exit & { output: string }> {
  const proc = startBuilt(script, args, env, { stdin: input !== undefined });
  if (input !== undefined) proc.child.stdin!.end(input);
  const timer = setTimeout(() => proc.signalGroup('SIGKILL'), timeoutMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  return { ...exit, output: proc.output() };
}

/** Waits for the process to exit; a process that hangs is killed and fails the test with its output. */
export async function exitOf(proc: Proc, timeoutMs = 45_000): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      proc.signalGroup('SIGKILL');
      reject(new Error(`the process did not exit within ${timeoutMs} ms:\n${proc.output().slice(-3000)}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([proc.exited, hung]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Stack {
  model: ModelServer;
  slack: FakeSlack;
  discord: FakeDiscord;
  dir: string;
  port: number;
  /** Both adapters on, model on the local server, SQLite store and COPILOT_HOME in `dir`. */
  env: NodeJS.ProcessEnv;
  /** Starts `npm start`'s entry point and waits for /healthz to say ready. */
  startBot(extra?: Record<string, string>, options?: { inherit?: number[] }): Promise<Proc>;
  /** POSTs a signed Slack event to the bot (on `port`, default the stack's); `retryNum` marks it as Slack's retry. */
  slackEvent(event: Record<string, unknown>, eventId?: string, port?: number, retryNum?: number): Promise<Response>;
  /** POSTs a signed Slack interaction (a button click) to the bot. */
  slackInteract(payload: Record<string, unknown>, port?: number): Promise<Response>;
  /** Sends a Discord message through the fake gateway. */
  discordSay(content: string, o?: SayOptions): string;
  close(): Promise<void>;
}

let events = 0;

export async function startStack(options: { script?: ModelScript; env?: Record<string, string> } = {}): Promise<Stack> {
  const model = await startModelServer(options.script);
  const slack = await startFakeSlack({ botToken: 'xoxb-stack-token' });
  const discord = await startFakeDiscord(GUILDS);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-stack-'));
  const port = await freePort();
  const env = baseEnv({
    COPILOT_PROVIDER_TYPE: 'openai',
    COPILOT_PROVIDER_BASE_URL: model.url,
    COPILOT_PROVIDER_API_KEY: 'sk-stack-secret',
    COPILOT_MODEL: 'test-model',
    COPILOT_HOME: path.join(dir, 'copilot'),
    STORE_URL: testStoreUrl(dir),
    STORE_NAMESPACE: testNamespace(),
    // Bursts from one person are what many tests send; the limit has tests of its own.
    USER_MESSAGES_PER_MINUTE: '0',
    PORT: String(port),
    LOG_LEVEL: 'info',
    SHUTDOWN_GRACE_SECONDS: '3',
    SLACK_BOT_TOKEN: 'xoxb-stack-token',
    SLACK_SIGNING_SECRET: SLACK_SECRET,
    SLACK_API_URL: slack.apiUrl,
    // Crash recovery and order are checked on the placeholder path; native streams have tests of their own.
    SLACK_STREAMING: 'edit',
    DISCORD_TOKEN: 'fake-discord-token',
    DISCORD_API_URL: discord.apiUrl,
    ...options.env,
  });
  const stack: Stack = {
    model,
    slack,
    discord,
    dir,
    port,
    env,
    async startBot(extra = {}, options = {}) {
      const bot = startBuilt('src/bin/bot.js', [], { ...env, ...extra }, options);
      await bot.waitFor(/"msg":"ready"/);
      return bot;
    },
    slackEvent(event, eventId = `EvP${++events}`, at = port, retryNum) {
      const body = JSON.stringify({ type: 'event_callback', team_id: 'T111', event_id: eventId, event_time: 1700000100, event: { event_ts: event.ts, ...event } });
      const retry: Record<string, string> = retryNum ? { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': 'http_timeout' } : {};
      return fetch(`http://127.0.0.1:${at}/slack/events`, { method: 'POST', headers: { ...signed(body, 'application/json', SLACK_SECRET), ...retry }, body });
    },
    slackInteract(payload, at = port) {
      const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return fetch(`http://127.0.0.1:${at}/slack/events`, { method: 'POST', headers: signed(body, 'application/x-www-form-urlencoded', SLACK_SECRET), body });
    },
    discordSay(content, o = {}) {
      const payload = discordMessage(content, o);
      discord.dispatch('MESSAGE_CREATE', payload);
      return payload.id;
    },
    async close() {
      await Promise.all([model.close(), slack.close(), discord.close()]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return stack;
}
