/**
 * The bench's rows P1–P7 (P9, the tool sandbox, is in sandbox.ts): each measures the product and the raw SDK (or a naive implementation)
 * on the same work in the same run, through the entry points where a user feels it (real Bolt
 * over HTTP against the fake Web API, real discord.js against the fake gateway, the built bot).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CopilotClient } from '@github/copilot-sdk';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/infra/log.js';
import { sessionIdFor, type ThreadRef } from '../src/core/thread.js';
import type { ModelServer } from '../testkit/model-server.js';
import { mention, nextTs, startSlackHarness } from '../testkit/slack-harness.js';
import { startDiscordHarness, T1 } from '../testkit/discord-harness.js';
import { startHarness } from '../testkit/harness.js';
import { baseEnv, freePort } from '../testkit/process.js';
import { exitOf, startStack } from '../testkit/bot-process.js';
import { treeRssKb } from '../src/agent/sandbox/sandbox.js';
import { rawClient, rawTurn } from './raw.js';
import { mean, percentile, time } from './stats.js';

export interface Sizes {
  p1Turns: number;
  p2Threads: number;
  p2Turns: number;
  p2Sweep: number[];
  p3Turns: number;
  p3Restarts: number;
  p4Threads: number;
  p4Every: number;
  p5Turns: number;
  p6Messages: number;
  p7Starts: number;
  p8Threads: number;
  p9Turns: number;
}

export const FULL: Sizes = { p1Turns: 100, p2Threads: 200, p2Turns: 5, p2Sweep: [1, 10, 50, 200], p3Turns: 500, p3Restarts: 3, p4Threads: 10_000, p4Every: 500, p5Turns: 1000, p6Messages: 12, p7Starts: 3, p8Threads: 20, p9Turns: 30 };
export const QUICK: Sizes = { p1Turns: 12, p2Threads: 20, p2Turns: 3, p2Sweep: [1, 10, 20], p3Turns: 40, p3Restarts: 1, p4Threads: 300, p4Every: 100, p5Turns: 80, p6Messages: 3, p7Starts: 1, p8Threads: 2, p9Turns: 3 };

export interface Row {
  id: string;
  what: string;
  a: string;
  b: string;
  ratio: number;
  target: string;
  /** undefined: a row that only reports. */
  ok: boolean | undefined;
}

export interface Series {
  /** P1 latency samples (ms), by path. */
  latency: Record<string, number[]>;
  /** P2 turns/s by concurrency (threads at once). */
  throughput: Array<{ threads: number; product: number; raw: number }>;
  /** P4 RSS (bytes, bot + runtime) by threads touched. */
  rss: Array<{ threads: number; bytes: number }>;
}

const local = (name: string): ThreadRef => ({ platform: 'local', workspace: 'bench', channel: name, thread: name, user: 'bench' });

/**
 * P1: a person's message → the answer visible at the platform API, vs the raw SDK's sendAndWait on
 * a live session. The three paths take turns (raw, Slack, Discord, raw, …) so that whatever drifts
 * during the run (the runtimes warming up, the sessions growing) weighs on each alike.
 */
export async function p1(model: ModelServer, sizes: Sizes, series: Series): Promise<Row[]> {
  const raw = await rawClient(model);
  const s = await startSlackHarness({ env: { SLACK_STREAMING: 'native' } });
  const d = await startDiscordHarness();
  const rawMs: number[] = [];
  const slackMs: number[] = [];
  const discordMs: number[] = [];
  try {
    const session = await raw.create('p1-raw');
    const thread = nextTs();
    // Waited for as the raw SDK's sendAndWait waits: told when the call arrives, never polled
    // (polling the fake's call list would take the event loop from the code measured).
    const stopped = () => nextCall(s.slack.onCall, (c) => c.method === 'chat.stopStream');
    // The Discord answer is visible once a message of the thread (created or edited) starts with it.
    const shown = (text: string) =>
      nextCall(d.discord.onCall, (c) => c.status === 200 && c.path.startsWith(`/channels/${T1}/messages`) && String((c.body as { content?: unknown } | undefined)?.content ?? '').startsWith(`you said: ${text}`));
    const slackTurn = async (text: string, where: Record<string, string>) => {
      const answered = stopped();
      await s.event(mention(text, where));
      await answered;
    };
    const discordTurn = async (text: string) => {
      const answered = shown(text);
      d.say(text);
      await answered;
    };
    await rawTurn(session, 'warm up');
    await slackTurn('warm up', { ts: thread });
    await discordTurn('warm up');
    for (let i = 0; i < sizes.p1Turns; i++) {
      // Each measured turn starts on a quiet process: what the one before left running (journal
      // clean-up, keep-alive sockets closing) is done, so no path is charged for another's.
      await settle();
      rawMs.push(await time(() => rawTurn(session, `turn ${i}`)));
      await settle();
      slackMs.push(await time(() => slackTurn(`turn ${i}`, { thread_ts: thread })));
      await settle();
      discordMs.push(await time(() => discordTurn(`turn ${i}`)));
    }
  } finally {
    await Promise.all([raw.close(), s.close(), d.close()]);
  }
  series.latency = { 'raw SDK sendAndWait': rawMs, 'Slack (Bolt over HTTP)': slackMs, 'Discord (discord.js)': discordMs };
  const row = (what: string, xs: number[], p: 50 | 99, target: number): Row => {
    const a = percentile(xs, p);
    const b = percentile(rawMs, p);
    return { id: 'P1', what: `${what} p${p} vs raw sendAndWait (live session)`, a: fmt(a), b: fmt(b), ratio: a / b, target: `<= ${target}`, ok: a / b <= target };
  };
  return [row('Slack mention → answer visible', slackMs, 50, 1.25), row('Slack mention → answer visible', slackMs, 99, 1.5), row('Discord message → answer visible', discordMs, 50, 1.25), row('Discord message → answer visible', discordMs, 99, 1.5)];
}

/** P2: many threads at once, a few turns each: turns/s vs the raw SDK on one client; every thread's order kept. */
export async function p2(model: ModelServer, sizes: Sizes, series: Series): Promise<Row[]> {
  const h = await startHarness({ env: { RUNTIME_RECYCLE_SESSIONS: '0', RUNTIME_RECYCLE_MB: '0', USER_MESSAGES_PER_MINUTE: '0' } });
  const raw = await rawClient(model);
  let inOrder = 0;
  let threadsChecked = 0;
  const rows: Row[] = [];
  try {
    for (const threads of sizes.p2Sweep) {
      const turns = sizes.p2Turns;
      const product = await time(() =>
        Promise.all(
          Array.from({ length: threads }, async (_, k) => {
            const t = local(`p2-${threads}-${k}`);
            // All of a thread's messages arrive at once; the queue must keep their order.
            const replies = await Promise.all(Array.from({ length: turns }, (_, j) => h.app.conversation.handleMessage(t, `m${j}`)));
            threadsChecked++;
            const last = replies.at(-1)?.text ?? '';
            const expected = `you said: m${turns - 1}${turns > 1 ? ` | earlier: ${Array.from({ length: turns - 1 }, (_, j) => `m${j}`).join('; ')}` : ''}`;
            if (last === expected) inOrder++;
          }),
        ),
      );
      const rawTime = await time(() =>
        Promise.all(
          Array.from({ length: threads }, async (_, k) => {
            const session = await raw.create(`p2-${threads}-${k}`);
            for (let j = 0; j < turns; j++) await rawTurn(session, `m${j}`);
            await session.disconnect();
          }),
        ),
      );
      const productRate = (threads * turns) / (product / 1000);
      const rawRate = (threads * turns) / (rawTime / 1000);
      series.throughput.push({ threads, product: productRate, raw: rawRate });
      if (threads === sizes.p2Sweep.at(-1)) {
        rows.push({ id: 'P2', what: `${threads} threads × ${turns} turns at once: turns/s vs raw SDK (one client)`, a: productRate.toFixed(1), b: rawRate.toFixed(1), ratio: productRate / rawRate, target: '>= 1.0', ok: productRate / rawRate >= 1 });
      }
    }
    rows.push({ id: 'P2', what: 'threads whose turns were answered in arrival order', a: String(inOrder), b: String(threadsChecked), ratio: inOrder / threadsChecked, target: '= 1 (100%)', ok: inOrder === threadsChecked });
  } finally {
    await raw.close();
    await h.close();
  }
  return rows;
}

/** P3: the first reply after a restart in a long thread vs the raw SDK's resume + turn on a fresh client. */
export async function p3(model: ModelServer, sizes: Sizes): Promise<Row[]> {
  const h = await startHarness({ env: { USER_MESSAGES_PER_MINUTE: '0' } });
  const raw = await rawClient(model);
  try {
    const t = local('p3-long');
    for (let i = 0; i < sizes.p3Turns; i++) await h.app.conversation.handleMessage(t, `q${i}`);
    const session = await raw.create('p3-long');
    for (let i = 0; i < sizes.p3Turns; i++) await rawTurn(session, `q${i}`);
    await session.disconnect();
    const product: number[] = [];
    const rawMs: number[] = [];
    for (let r = 0; r < sizes.p3Restarts; r++) {
      await h.restart();
      product.push(await time(() => h.app.conversation.handleMessage(t, `after restart ${r}`)));
      await raw.client.stop();
      const fresh = new CopilotClient({ mode: 'empty', baseDirectory: raw.dir, useLoggedInUser: false, logLevel: 'error' });
      await fresh.start();
      raw.client = fresh;
      rawMs.push(await time(async () => {
        const resumed = await raw.resume('p3-long');
        await rawTurn(resumed, `after restart ${r}`);
        await resumed.disconnect();
      }));
    }
    const a = mean(product);
    const b = mean(rawMs);
    return [{ id: 'P3', what: `first reply after a restart, ${sizes.p3Turns}-turn thread, vs raw resume + turn`, a: fmt(a), b: fmt(b), ratio: a / b, target: '<= 1.1', ok: a / b <= 1.1 }];
  } finally {
    await raw.close();
    await h.close();
  }
}

/**
 * P4: memory of the built bot (`node dist/src/bin/bot.js`, its own process, both adapters on) and the
 * runtime below it, while Slack mentions open one new thread each: the peak vs after the first 100.
 * The fakes and the model server stay in this process, so nothing of theirs is counted.
 */
export async function p4(_model: ModelServer, sizes: Sizes, series: Series): Promise<Row[]> {
  const stack = await startStack({ env: { SLACK_STREAMING: 'native', SESSION_IDLE_SECONDS: '5' } });
  try {
    const bot = await stack.startBot();
    const rssNow = () => (treeRssKb(bot.pid) ?? 0) * 1024;
    const answered = (n: number) => nextCall(stack.slack.onCall, (c) => c.method === 'chat.stopStream', n);
    const at100: number[] = [];
    let peak = 0;
    const batch = 20;
    for (let done = 0; done < sizes.p4Threads; done += batch) {
      const all = answered(batch);
      await Promise.all(Array.from({ length: batch }, (_, k) => stack.slackEvent(mention('hi', { ts: `1700${String(done + k).padStart(6, '0')}.000100` }))));
      await all;
      const rss = rssNow();
      peak = Math.max(peak, rss);
      const touched = done + batch;
      if (touched === 100) at100.push(rss);
      if (touched % sizes.p4Every === 0 || touched === 100) series.rss.push({ threads: touched, bytes: rss });
    }
    bot.signalGroup('SIGTERM');
    await exitOf(bot);
    const base = at100[0] ?? series.rss[0]?.bytes ?? peak;
    return [{ id: 'P4', what: `peak RSS (built bot + runtime) over ${sizes.p4Threads} threads vs after 100`, a: `${(peak / 1048576).toFixed(0)} MB`, b: `${(base / 1048576).toFixed(0)} MB`, ratio: peak / base, target: '<= 1.5', ok: peak / base <= 1.5 }];
  } finally {
    await stack.close();
  }
}

/**
 * P5: history of a long session as someone first asks for it (`history`: the newest page, nothing
 * cached) vs the raw SDK resuming the session and reading `getEvents()`; and a later page (the
 * transcript is cached) vs that first one. Each first read is on a fresh process-equivalent.
 */
export async function p5(model: ModelServer, sizes: Sizes): Promise<Row[]> {
  const h = await startHarness({ env: { USER_MESSAGES_PER_MINUTE: '0' } });
  try {
    const t = local('p5-long');
    for (let i = 0; i < sizes.p5Turns; i++) await h.app.conversation.handleMessage(t, `q${i}`);
    const id = sessionIdFor(t);
    const events = (await h.app.agent.history(id))?.length ?? 0;
    const first: number[] = [];
    const later: number[] = [];
    const rawMs: number[] = [];
    for (let r = 0; r < 3; r++) {
      // One process at a time holds a session: the bot is stopped while the raw SDK reads it.
      await h.app.shutdown(0);
      const raw = new CopilotClient({ mode: 'empty', baseDirectory: h.config.copilotHome, useLoggedInUser: false, logLevel: 'error' });
      await raw.start();
      rawMs.push(await time(async () => {
        const s = await raw.resumeSession(id, { model: 'test-model', provider: { type: 'openai', baseUrl: model.url, apiKey: 'x' }, availableTools: [], onPermissionRequest: () => ({ kind: 'reject', feedback: 'no' }) });
        await s.getEvents();
        await s.disconnect();
      }));
      await raw.stop();
      const app = await h.restart();
      first.push(await time(() => app.conversation.handleMessage(t, 'history')));
      later.push(await time(() => app.conversation.handleMessage(t, 'history 1')));
    }
    const a = percentile(first, 50);
    const b = percentile(rawMs, 50);
    const c = percentile(later, 50);
    return [
      { id: 'P5', what: `history, first view, of a ${sizes.p5Turns}-turn session (${events} events) vs raw resume + getEvents()`, a: fmt(a), b: fmt(b), ratio: a / b, target: '<= 1.2', ok: a / b <= 1.2 },
      { id: 'P5', what: 'history: a later page vs the first view', a: fmt(c), b: fmt(a), ratio: c / a, target: '<= 0.2', ok: c / a <= 0.2 },
    ];
  } finally {
    await h.close().catch(() => undefined);
  }
}

/** P6: throughput vs a naive port of the SDK's recipe: a new client and a resume for every message. */
export async function p6(model: ModelServer, sizes: Sizes): Promise<Row[]> {
  const h = await startHarness({ env: { USER_MESSAGES_PER_MINUTE: '0' } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-bench-naive-'));
  try {
    const n = sizes.p6Messages;
    const t = local('p6');
    await h.app.conversation.handleMessage(t, 'first');
    const product = await time(async () => {
      for (let i = 0; i < n; i++) await h.app.conversation.handleMessage(t, `m${i}`);
    });
    const naive = await time(async () => {
      for (let i = 0; i < n; i++) {
        const raw = await rawClient(model, dir);
        const s = i === 0 ? await raw.create('p6-naive') : await raw.resume('p6-naive');
        await rawTurn(s, `m${i}`);
        await s.disconnect();
        await raw.client.stop();
      }
    });
    const a = n / (product / 1000);
    const b = n / (naive / 1000);
    return [{ id: 'P6', what: 'messages/s vs a naive port (new client + resume per message)', a: a.toFixed(1), b: b.toFixed(1), ratio: a / b, target: '>= 10', ok: a / b >= 10 }];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await h.close();
  }
}

/** P7: the built bot from start to ready vs `node -e 0`; store operations and bytes written per message (report). */
export async function p7(model: ModelServer, sizes: Sizes): Promise<Row[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-bench-start-'));
  try {
    const bare: number[] = [];
    const bot: number[] = [];
    for (let i = 0; i < sizes.p7Starts; i++) {
      bare.push(await time(() => run(process.execPath, ['-e', '0'], process.env, () => true)));
      const port = await freePort();
      const env = baseEnv({ COPILOT_PROVIDER_TYPE: 'openai', COPILOT_PROVIDER_BASE_URL: model.url, COPILOT_MODEL: 'test-model', COPILOT_HOME: path.join(dir, `home-${i}`), STORE_URL: `sqlite://${path.join(dir, `store-${i}.sqlite`)}`, PORT: String(port) });
      bot.push(await time(() => run(process.execPath, [path.resolve('dist/src/bin/bot.js')], env, (out) => out.includes('"msg":"ready"'))));
    }
    const storeRows = await storeCost(model);
    const a = mean(bot);
    const b = mean(bare);
    return [{ id: 'P7', what: 'cold start to ready (built bot) vs `node -e 0`', a: fmt(a), b: fmt(b), ratio: a / b, target: 'report', ok: undefined }, ...storeRows];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function storeCost(model: ModelServer): Promise<Row[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-bench-store-'));
  const config = loadConfig({ COPILOT_PROVIDER_TYPE: 'openai', COPILOT_PROVIDER_BASE_URL: model.url, COPILOT_MODEL: 'test-model', COPILOT_HOME: path.join(dir, 'copilot'), STORE_URL: `sqlite://${path.join(dir, 'store.sqlite')}`, USER_MESSAGES_PER_MINUTE: '20' }, { needModel: true });
  const app = await createApp(config, silentLogger);
  try {
    const t = local('p7-store');
    await app.conversation.handleMessage(t, 'first');
    const ops = new Map<string, number>();
    app.store.observe((operation) => void ops.set(operation, (ops.get(operation) ?? 0) + 1));
    // What this process (not the runtime, a child) sent to storage: the SQLite store's writes.
    const before = writtenBytes();
    const n = 20;
    for (let i = 0; i < n; i++) await app.conversation.handleMessage(t, `m${i}`);
    const after = writtenBytes();
    const total = [...ops.values()].reduce((a, b) => a + b, 0);
    const perKind = [...ops].map(([k, v]) => `${k} ${(v / n).toFixed(1)}`).join(', ');
    return [
      { id: 'P7', what: `store calls per message (SQLite): ${perKind}`, a: (total / n).toFixed(1), b: '1 message', ratio: total / n, target: 'report', ok: undefined },
      {
        id: 'P7',
        what: 'bytes this process wrote to disk per message (the SQLite store; /proc/self/io)',
        a: before === undefined || after === undefined ? 'n/a' : `${((after - before) / n).toFixed(0)} B`,
        b: '1 message',
        ratio: before === undefined || after === undefined ? NaN : (after - before) / n,
        target: 'report',
        ok: undefined,
      },
    ];
  } finally {
    await app.shutdown(0);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function writtenBytes(): number | undefined {
  try {
    const m = /write_bytes: (\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a process until `done(output)` says so (then stops it) or it exits. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, done: (out: string) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      child.kill('SIGTERM');
      resolve();
    };
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (done(out)) finish();
    });
    child.on('exit', () => (finished ? undefined : done(out) || args[0] === '-e' ? finish() : reject(new Error(`exited before ready: ${out.slice(-500)}`))));
  });
}

export const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

/** The next `count` calls a fake platform is told of that `matches`, within a minute. */
export function nextCall<C>(onCall: (listener: (call: C) => void) => () => void, matches: (call: C) => boolean, count = 1, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let left = count;
    const timer = setTimeout(() => {
      off();
      reject(new Error('bench: timed out waiting for the answer'));
    }, timeoutMs);
    const off = onCall((call) => {
      if (!matches(call) || --left > 0) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

export function fmt(n: number): string {
  return `${n.toFixed(1)} ms`;
}

/**
 * S1/S2 (shared mode, SESSION_STATE_URL): a turn whose session lives in PostgreSQL vs one on a
 * local live session, and database round trips per turn vs the file operations the runtime asked
 * for (what a provider without its cache and batching would send). Skipped without PostgreSQL.
 */
export async function shared(model: ModelServer, sizes: Sizes): Promise<Row[]> {
  const pg = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const namespace = `bench-${process.pid}`;
  const n = Math.max(5, Math.round(sizes.p1Turns / 2));
  const appOn = async (env: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-bench-shared-'));
    const config = loadConfig({ COPILOT_PROVIDER_TYPE: 'openai', COPILOT_PROVIDER_BASE_URL: model.url, COPILOT_MODEL: 'test-model', COPILOT_HOME: path.join(dir, 'copilot'), STORE_URL: `sqlite://${path.join(dir, 'store.sqlite')}`, USER_MESSAGES_PER_MINUTE: '0', ...env }, { needModel: true });
    return { app: await createApp(config, silentLogger), dir };
  };
  const s = await appOn({ STORE_URL: pg, SESSION_STATE_URL: pg, STORE_NAMESPACE: namespace }).catch((err: unknown) => {
    process.stderr.write(`bench: shared-mode rows skipped: no PostgreSQL at ${pg} (${String(err)})\n`);
    return undefined;
  });
  if (!s) return [];
  const localApp = await appOn({});
  try {
    const lt = local('local');
    await localApp.app.conversation.handleMessage(lt, 'first');
    // Messages a moment apart, as people send them: in shared mode the session is let go between
    // turns (other instances may take the thread), so each turn opens it from the database.
    const spaced = async (turn: (i: number) => Promise<unknown>) => {
      let total = 0;
      for (let i = 0; i < n; i++) {
        await settle();
        total += await time(() => turn(i));
      }
      return total / n;
    };
    const localTurn = await spaced((i) => localApp.app.conversation.handleMessage(lt, `local ${i}`));
    const st = local('shared');
    await s.app.conversation.handleMessage(st, 'first');
    const state = s.app.shared!;
    const before = { queries: state.sessions.queries + state.lock.queries, operations: state.sessions.operations };
    const sharedTurn = await spaced((i) => s.app.conversation.handleMessage(st, `shared ${i}`));
    const trips = (state.sessions.queries + state.lock.queries - before.queries) / n;
    const ops = (state.sessions.operations - before.operations) / n;
    return [
      { id: 'S1', what: 'shared mode (PostgreSQL) turn vs a local live-session turn', a: fmt(sharedTurn), b: fmt(localTurn), ratio: sharedTurn / localTurn, target: '<= 5', ok: sharedTurn / localTurn <= 5 },
      { id: 'S2', what: 'shared mode: database round trips vs file operations, per turn', a: trips.toFixed(1), b: ops.toFixed(1), ratio: trips / ops, target: '<= 0.6', ok: trips / ops <= 0.6 },
    ];
  } finally {
    await Promise.all([localApp.app.shutdown(0), s.app.shutdown(0)]);
    const { newPostgresPool, schemaFor } = await import('../src/infra/postgres.js');
    const pool = newPostgresPool(pg, 5000);
    await pool.query(`DROP SCHEMA IF EXISTS ${schemaFor(namespace)} CASCADE`);
    await pool.end();
    for (const d of [localApp.dir, s.dir]) fs.rmSync(d, { recursive: true, force: true });
  }
}
