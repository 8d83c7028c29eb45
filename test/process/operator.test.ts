/**
 * What an operator meets running the built entry points: a store that is unreachable, wrong or
 * read-only stops each of them at start with one line naming STORE_URL (never a hang, never an
 * empty registry); a store that fails later turns /healthz to 503 and replies into "storage
 * unavailable"; a busy PORT and an unreachable platform are named; destructive CLI verbs ask first.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mention } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';
import { freePort } from '../../testkit/process.js';
import { service } from '../../testkit/services.js';
import { startTcpProxy } from '../../testkit/tcp-proxy.js';
import { exitOf, runBuilt, startBuilt, startStack, type Stack } from '../../testkit/bot-process.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(() => stack.close());

const BOT = 'src/bin/bot.js';
const CHAT = 'src/bin/chat.js';
const CLI = 'src/bin/cli.js';

/** Bot, console chat and CLI with `env`: each exits 1 with one stderr line naming the setting (STORE_URL unless told). */
async function everyEntryPointRefuses(extra: Record<string, string>, cause: RegExp, names = /STORE_URL=\S+ is unavailable: /): Promise<void> {
  const env = { ...stack.env, ...extra, PORT: String(await freePort()) };
  const runs = await Promise.all([runBuilt(BOT, [], env), runBuilt(CHAT, ['--thread', 'x'], env, 'hello\n'), runBuilt(CLI, ['sessions', 'list'], env)]);
  for (const run of runs) {
    expect(run.code).toBe(1);
    const lines = run.output.trim().split('\n').filter((l) => !l.startsWith('{'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(names);
    expect(lines[0]).toMatch(cause);
  }
}

describe('a COPILOT_HOME that cannot be used', () => {
  it('every entry point stops at once with one line naming COPILOT_HOME and why', async () => {
    const dir = fs.mkdtempSync(path.join(stack.dir, 'home-'));
    fs.writeFileSync(path.join(dir, 'a-file'), '');
    await everyEntryPointRefuses({ COPILOT_HOME: path.join(dir, 'a-file', 'home') }, /a part of the path is a file \(ENOTDIR\)\. Set it to a folder/, /^copilot-threads( chat)?: COPILOT_HOME=\S+ cannot be used: /);
    await everyEntryPointRefuses({ COPILOT_HOME: '/proc/copilot-threads-home' }, /\((ENOENT|EACCES|EPERM)\)/, /COPILOT_HOME=\/proc\/copilot-threads-home cannot be used: /);
  });
});

describe('a store that cannot be used at start', () => {
  it('unreachable Redis: every entry point stops with one line naming STORE_URL', async () => {
    const port = await freePort();
    // Refused is said at once, with its cause (a generous deadline that is never reached).
    await everyEntryPointRefuses({ STORE_URL: `redis://127.0.0.1:${port}`, STORE_TIMEOUT_SECONDS: '30' }, /: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });

  it('a Postgres database that does not exist: every entry point stops; prune never lists anything to delete', async () => {
    const pg = await service('Postgres');
    if (!pg) return;
    const wrong = pg.replace(/\/[^/]+$/, '/copilot_threads_no_such_db');
    await everyEntryPointRefuses({ STORE_URL: wrong }, /does not exist/);
    const prune = await runBuilt(CLI, ['sessions', 'prune', '--older-than', '0d', '--dry-run'], { ...stack.env, STORE_URL: wrong });
    expect(prune.code).toBe(1);
    expect(prune.output).not.toMatch(/would delete|orphan/);
  });

  it('a SQLite file where no folder can be made (under /proc): every entry point stops with one line, never spins', async () => {
    await everyEntryPointRefuses({ STORE_URL: 'sqlite:///proc/copilot-threads/store.sqlite' }, /ENOENT.*mkdir '\/proc\/copilot-threads'/);
  });

  it('a read-only SQLite directory: every entry point stops with one line naming STORE_URL', async () => {
    const dir = path.join(stack.dir, 'readonly');
    fs.mkdirSync(dir);
    // Root ignores permission bits: a read-only file system is what stays read-only for everyone.
    if (process.getuid?.() === 0) execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir]);
    else fs.chmodSync(dir, 0o555);
    try {
      await everyEntryPointRefuses({ STORE_URL: `sqlite://${dir}/store.sqlite` }, /SQLITE_CANTOPEN|read-only|EROFS|EACCES|unable to open/i);
    } finally {
      if (process.getuid?.() === 0) execFileSync('umount', [dir]);
    }
  });
});

describe.each(['Postgres', 'Redis'] as const)('%s failing while the bot runs', (name) => {
  it('/healthz answers 503 naming the store, a mention gets "storage unavailable"; once it is back the bot is too', async () => {
    const url = await service(name);
    if (!url) return;
    const proxy = await startTcpProxy(url);
    const viaProxy = url.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${proxy.port}`);
    const bot = await stack.startBot({ STORE_URL: viaProxy, STORE_TIMEOUT_SECONDS: '2' });
    try {
      const healthz = async () => {
        const res = await fetch(`http://127.0.0.1:${stack.port}/healthz`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      expect(await healthz()).toEqual({ status: 200, body: { ok: true, store: 'ok', runtime: 'ok', model: 'ok' } });
      await proxy.cut();
      const down = await healthz();
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ ok: false, runtime: 'ok', store: expect.stringMatching(/^down: .*STORE_URL/) });
      const ts = `${Math.floor(Date.now() / 1000)}.${name === 'Redis' ? '000200' : '000100'}`;
      await stack.slackEvent(mention('are you there?', { ts }));
      await expect.poll(() => threadTexts(stack.slack, 'C222', ts).at(-1)).toMatch(/storage is unavailable right now.*ref `[0-9a-f]{8}`/);

      await proxy.restore();
      await expect.poll(async () => (await healthz()).status).toBe(200);
      await stack.slackEvent(mention('and now?', { ts: ts.replace(/\.0+/, '.5') , thread_ts: ts }));
      await expect.poll(() => threadTexts(stack.slack, 'C222', ts).at(-1)).toMatch(/^you said: and now\?/);
    } finally {
      bot.child.kill('SIGTERM');
      expect((await exitOf(bot)).code).toBe(0);
    }
  });
});

describe('a model set-up that is wrong or down', () => {
  it('a key the provider refuses: the bot and the chat stop at once, naming the key and the provider\'s words', async () => {
    const refusing = http.createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Incorrect API key provided.' } }));
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const env = { ...stack.env, PORT: String(await freePort()), COPILOT_PROVIDER_BASE_URL: `http://127.0.0.1:${(refusing.address() as net.AddressInfo).port}/v1` };
      const runs = await Promise.all([runBuilt(BOT, [], env), runBuilt(CHAT, ['--thread', 'x'], env, 'hello\n')]);
      for (const run of runs) {
        expect(run.code).toBe(1);
        const lines = run.output.trim().split('\n').filter((l) => !l.startsWith('{'));
        expect(lines).toEqual([expect.stringMatching(/^copilot-threads( chat)?: the model cannot be used: COPILOT_PROVIDER_API_KEY: the provider at 127\.0\.0\.1:\d+ refused it: 401 Incorrect API key provided\.$/)]);
        expect(run.output).not.toContain(stack.env.COPILOT_PROVIDER_API_KEY);
      }
      const nothing = await runBuilt(BOT, [], { ...env, COPILOT_PROVIDER_BASE_URL: `http://127.0.0.1:${await freePort()}/v1` });
      expect(nothing.code).toBe(1);
      expect(nothing.output).toMatch(/copilot-threads: the model cannot be used: COPILOT_PROVIDER_BASE_URL: nothing answers at 127\.0\.0\.1:\d+ \(connect ECONNREFUSED\)/);
    } finally {
      refusing.close();
    }
  });

  it('a provider that does not answer: the bot starts, and /healthz says the model is down', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = await freePort();
    const bot = startBuilt(BOT, [], { ...stack.env, PORT: String(port), COPILOT_PROVIDER_BASE_URL: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/v1` });
    try {
      await bot.waitFor(/"msg":"ready"/);
      expect(bot.output()).toContain('the model provider is not answering; starting anyway');
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ ok: false, store: 'ok', runtime: 'ok', model: expect.stringMatching(/^down: 127\.0\.0\.1:\d+ did not answer within 5 s$/) });
    } finally {
      bot.signalGroup('SIGTERM');
      await exitOf(bot);
      silent.close();
    }
  });
});

describe('start-up errors that name the fix', () => {
  it('PORT in use', async () => {
    const taken = net.createServer();
    const port = await new Promise<number>((resolve) => taken.listen(0, () => resolve((taken.address() as net.AddressInfo).port)));
    try {
      const run = await runBuilt(BOT, [], { ...stack.env, PORT: String(port) });
      expect(run.code).toBe(1);
      expect(run.output).toContain(`copilot-threads: PORT ${port} is already in use by another process: stop it, or set PORT to a free port`);
    } finally {
      taken.close();
    }
  });

  it('Slack or Discord unreachable: "cannot reach" with the URL, not a blamed token', async () => {
    const nothing = `http://127.0.0.1:${await freePort()}`;
    const slack = await runBuilt(BOT, [], { ...stack.env, PORT: String(await freePort()), SLACK_API_URL: `${nothing}/api/` });
    expect(slack.code).toBe(1);
    expect(slack.output).toContain(`copilot-threads: cannot reach Slack at ${nothing}/api/: ECONNREFUSED`);
    const discord = await runBuilt(BOT, [], { ...stack.env, PORT: String(await freePort()), DISCORD_API_URL: `${nothing}/api` });
    expect(discord.code).toBe(1);
    expect(discord.output).toContain(`copilot-threads: cannot reach Discord at ${nothing}/api: `);
    expect(discord.output).not.toContain('check DISCORD_TOKEN');
  });
});

describe('a newcomer\'s .env', () => {
  it('no .env at all: the missing setting is named with `cp .env.example .env`', async () => {
    const dir = fs.mkdtempSync(path.join(stack.dir, 'newcomer-'));
    fs.writeFileSync(path.join(dir, '.env.example'), 'COPILOT_GITHUB_TOKEN=\n');
    const { COPILOT_GITHUB_TOKEN: _t, COPILOT_PROVIDER_TYPE: _p, COPILOT_PROVIDER_BASE_URL: _u, COPILOT_PROVIDER_API_KEY: _k, ...env } = stack.env;
    const run = await runBuilt(BOT, [], { ...env, DOTENV_CONFIG_PATH: path.join(dir, '.env') });
    expect(run.code).toBe(1);
    expect(run.output.trim()).toMatch(/^copilot-threads: invalid configuration: COPILOT_GITHUB_TOKEN: is missing: .* \(there is no \.env here: cp \.env\.example \.env and fill it in\)$/);
  });

  it('a misspelt key is named with the setting it was meant to be; an unknown tool stops the start', async () => {
    const dir = fs.mkdtempSync(path.join(stack.dir, 'typo-'));
    fs.writeFileSync(path.join(dir, '.env'), 'COPILOT_MODLE=gpt-x\nTURN_TIMEOUT=30\n');
    const env = { ...stack.env, DOTENV_CONFIG_PATH: path.join(dir, '.env') };
    const list = await runBuilt(CLI, ['list'], env);
    expect(list.code).toBe(0);
    expect(list.output).toContain('.env: COPILOT_MODLE is not a setting of copilot-threads and is ignored (did you mean COPILOT_MODEL?)');
    expect(list.output).toContain('.env: TURN_TIMEOUT is not a setting of copilot-threads and is ignored (did you mean TURN_TIMEOUT_SECONDS?)');
    const tools = await runBuilt(BOT, [], { ...env, COPILOT_TOOLS: 'bsh', PORT: String(await freePort()) });
    expect(tools.code).toBe(1);
    expect(tools.output.trim().split('\n').filter((l) => !l.startsWith('{'))).toEqual([expect.stringMatching(/^copilot-threads: invalid configuration: COPILOT_TOOLS: "bsh" is not a tool of the Copilot runtime \(did you mean bash\?\)/)]);
  });
});

describe('the built CLI', () => {
  it('says its version (the package\'s), with no store or model needed', async () => {
    const run = await runBuilt(CLI, ['--version'], { ...stack.env, STORE_URL: 'redis://127.0.0.1:1' });
    expect(run.code).toBe(0);
    expect(run.output.trim()).toBe(`copilot-threads ${(JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version}`);
  });
});

describe('destructive CLI verbs', () => {
  /** Runs the CLI on a pseudo-terminal (`script`), typing `answer` at its question. */
  function onTerminal(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
    const command = [process.execPath, path.resolve('dist', CLI), ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: stack.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (/\[y\/N\]/.test(output) && !child.stdin.writableEnded) child.stdin.end(`${answer}\n`);
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
  }

  it('ask on a terminal, refuse without one unless --yes', async () => {
    const chat = await runBuilt(CHAT, ['--thread', 'keepme', '--user', 'ana'], stack.env, 'hello\n');
    expect(chat.code).toBe(0);
    const folder = path.join(stack.dir, 'copilot/session-state/local-ana-keepme');
    expect(fs.existsSync(folder)).toBe(true);

    const script = await runBuilt(CLI, ['sessions', 'forget', 'local-ana-keepme'], stack.env);
    expect(script.code).toBe(2);
    expect(script.output).toContain('refusing to delete without a confirmation: run this on a terminal, or pass --yes');
    const pruneScript = await runBuilt(CLI, ['sessions', 'prune', '--older-than', '0s'], stack.env);
    expect(pruneScript.code).toBe(2);
    expect(fs.existsSync(folder)).toBe(true);

    const no = await onTerminal(['sessions', 'forget', 'local-ana-keepme'], 'n');
    expect(no.output).toContain('Delete session local-ana-keepme and its registry record for good? [y/N]');
    expect(no.output).toContain('Nothing deleted.');
    expect(fs.existsSync(folder)).toBe(true);

    const yes = await onTerminal(['sessions', 'forget', 'local-ana-keepme'], 'y');
    expect(yes.output).toContain('deleted local-ana-keepme');
    expect(fs.existsSync(folder)).toBe(false);
  });
});
