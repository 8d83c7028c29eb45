/**
 * `npm run bench`: speed and memory of the bot against the local model server (answers at once,
 * so what is measured is our code plus the Copilot runtime). Every row compares two things
 * measured in this same run, so the ratios mean something on any machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CopilotClient } from '@github/copilot-sdk';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { sessionIdFor, type ThreadRef } from '../src/core/thread.js';
import { startModelServer, type ModelServer } from '../test/support/model-server.js';

interface Row {
  what: string;
  a: string;
  b: string;
  ratio: number;
  target: string;
  ok: boolean;
}

const rows: Row[] = [];
const thread = (name: string): ThreadRef => ({ platform: 'local', workspace: 'bench', channel: name, thread: name, user: 'bench' });
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function app(model: ModelServer, env: Record<string, string> = {}): Promise<{ app: App; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-bench-'));
  const config = loadConfig(
    {
      COPILOT_PROVIDER_TYPE: 'openai',
      COPILOT_PROVIDER_BASE_URL: model.url,
      COPILOT_MODEL: 'test-model',
      COPILOT_HOME: path.join(dir, 'copilot'),
      STORE_URL: `sqlite://${path.join(dir, 'store.sqlite')}`,
      RUNTIME_RECYCLE_MB: '0',
      RUNTIME_RECYCLE_SESSIONS: '0',
      ...env,
    },
    { needModel: true },
  );
  return { app: await createApp(config, silentLogger), dir };
}

async function rawSdkNewThread(model: ModelServer, n: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-bench-raw-'));
  const client = new CopilotClient({ mode: 'empty', baseDirectory: dir, useLoggedInUser: false, logLevel: 'error' });
  await client.start();
  const provider = { type: 'openai' as const, baseUrl: model.url, apiKey: 'x' };
  const deny = () => ({ kind: 'reject' as const, feedback: 'no' });
  await (await client.createSession({ sessionId: 'warm', model: 'test-model', provider, availableTools: [], onPermissionRequest: deny })).disconnect();
  const total = await time(async () => {
    for (let i = 0; i < n; i++) {
      const s = await client.createSession({ sessionId: `raw-${i}`, model: 'test-model', provider, availableTools: [], onPermissionRequest: deny, streaming: true });
      await s.sendAndWait({ prompt: `hello ${i}` }, 30_000);
      await s.disconnect();
    }
  });
  await client.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  return total / n;
}

async function main(): Promise<void> {
  const model = await startModelServer();
  const n = Number(process.env.BENCH_TURNS ?? 20);

  // 1. What the core adds to a first message in a new thread (registry write, queue, id, reply).
  const raw = await rawSdkNewThread(model, n);
  const a = await app(model, { SESSION_IDLE_SECONDS: '1' });
  await a.app.conversation.handleMessage(thread('warm'), 'warm up');
  const core = (await time(async () => {
    for (let i = 0; i < n; i++) await a.app.conversation.handleMessage(thread(`new-${i}`), `hello ${i}`);
  })) / n;
  rows.push({ what: 'new thread, first turn: core vs raw SDK', a: ms(core), b: ms(raw), ratio: core / raw, target: '<= 1.5', ok: core / raw <= 1.5 });

  // 2. A turn on a live session vs one that must be resumed from disk first (after idle or restart).
  const t = thread('resume');
  await a.app.conversation.handleMessage(t, 'first');
  const live = (await time(async () => {
    for (let i = 0; i < n; i++) await a.app.conversation.handleMessage(t, `live ${i}`);
  })) / n;
  let resumed = 0;
  for (let i = 0; i < Math.min(n, 8); i++) {
    while (a.app.agent.liveSessions > 0) await new Promise((r) => setTimeout(r, 100));
    resumed += await time(() => a.app.conversation.handleMessage(t, `resumed ${i}`));
  }
  resumed /= Math.min(n, 8);
  rows.push({ what: 'turn after resume vs turn on a live session', a: ms(resumed), b: ms(live), ratio: resumed / live, target: '<= 5', ok: resumed / live <= 5 });

  // 3. Threads run in parallel: 8 threads x 3 turns, all at once vs one thread after another.
  const threads = Array.from({ length: 8 }, (_, i) => thread(`par-${i}`));
  const seq = await time(async () => {
    for (const th of threads) for (let k = 0; k < 3; k++) await a.app.conversation.handleMessage(th, `s${k}`);
  });
  const par = await time(() => Promise.all(threads.map(async (th) => {
    for (let k = 0; k < 3; k++) await a.app.conversation.handleMessage({ ...th, thread: `${th.thread}-p`, channel: `${th.channel}-p` }, `p${k}`);
  })));
  rows.push({ what: 'parallel speed-up, 8 threads (sequential / parallel time)', a: ms(seq), b: ms(par), ratio: seq / par, target: '>= 1.2', ok: seq / par >= 1.2 });

  // 4. History of a long thread: the first page reads the whole log; later pages come from the cache.
  const long = thread('long');
  for (let i = 0; i < 100; i++) await a.app.conversation.handleMessage(long, `q${i}`);
  const events = (await a.app.agent.history(sessionIdFor(long)))?.length ?? 0;
  let firstPage = 0;
  let nextPage = 0;
  for (let i = 0; i < 5; i++) {
    await a.app.conversation.handleMessage(long, `again ${i}`); // a turn drops the cached transcript
    firstPage += await time(() => a.app.conversation.handleMessage(long, 'history'));
    nextPage += await time(() => a.app.conversation.handleMessage(long, 'history 1'));
  }
  rows.push({ what: `history of a 100-turn thread (${events} events): next page vs first page`, a: ms(nextPage / 5), b: ms(firstPage / 5), ratio: nextPage / firstPage, target: '<= 0.2', ok: nextPage / firstPage <= 0.2 });
  await a.app.shutdown(0);
  fs.rmSync(a.dir, { recursive: true, force: true });

  // 5. Runtime memory after touching many sessions: recycling on vs off.
  const sessions = Number(process.env.BENCH_SESSIONS ?? 150);
  const rss: number[] = [];
  // Recycling every 40 sessions: the last recycle is some sessions back, as in steady traffic.
  for (const recycle of ['0', '40']) {
    const b = await app(model, { RUNTIME_RECYCLE_SESSIONS: recycle, SESSION_IDLE_SECONDS: '1' });
    for (let i = 0; i < sessions; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, k) => b.app.conversation.handleMessage(thread(`m-${i + k}`), 'hi')));
    }
    await b.app.agent.settled();
    rss.push(b.app.agent.runtimeRssMb() ?? NaN);
    await b.app.shutdown(0);
    fs.rmSync(b.dir, { recursive: true, force: true });
  }
  const [off, on] = rss as [number, number];
  rows.push({ what: `runtime RSS after ${sessions} sessions: recycling on vs off`, a: `${on.toFixed(0)} MB`, b: `${off.toFixed(0)} MB`, ratio: on / off, target: '< 1', ok: on / off < 1 });

  // 6. Shared mode: a turn whose session lives in PostgreSQL (resumed from the database every turn)
  // vs one on a local live session; and database round trips per turn vs the file operations the
  // runtime asked for (what a provider without the cache and the batching would send).
  const pg = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const namespace = `bench-${process.pid}`;
  const s = await app(model, { STORE_URL: pg, SESSION_STATE_URL: pg, STORE_NAMESPACE: namespace }).catch((err: unknown) => {
    console.warn(`shared-mode rows skipped: no PostgreSQL at ${pg} (${String(err)})`);
    return undefined;
  });
  if (s) {
    const local = await app(model);
    const lt = thread('local');
    await local.app.conversation.handleMessage(lt, 'first');
    const localTurn = (await time(async () => {
      for (let i = 0; i < n; i++) await local.app.conversation.handleMessage(lt, `local ${i}`);
    })) / n;
    const st = thread('shared');
    await s.app.conversation.handleMessage(st, 'first');
    const shared = s.app.shared!;
    const before = { queries: shared.sessions.queries + shared.lock.queries, operations: shared.sessions.operations };
    const sharedTurn = (await time(async () => {
      for (let i = 0; i < n; i++) await s.app.conversation.handleMessage(st, `shared ${i}`);
    })) / n;
    const trips = (shared.sessions.queries + shared.lock.queries - before.queries) / n;
    const ops = (shared.sessions.operations - before.operations) / n;
    rows.push({ what: 'shared mode (PostgreSQL) turn vs local live-session turn', a: ms(sharedTurn), b: ms(localTurn), ratio: sharedTurn / localTurn, target: '<= 5', ok: sharedTurn / localTurn <= 5 });
    rows.push({ what: 'shared mode: database round trips vs file operations, per turn', a: trips.toFixed(1), b: ops.toFixed(1), ratio: trips / ops, target: '<= 0.6', ok: trips / ops <= 0.6 });
    await Promise.all([local.app.shutdown(0), s.app.shutdown(0)]);
    const { newPostgresPool, schemaFor } = await import('../src/store/pg.js');
    const pool = newPostgresPool(pg, 5000);
    await pool.query(`DROP SCHEMA IF EXISTS ${schemaFor(namespace)} CASCADE`);
    await pool.end();
    for (const d of [local.dir, s.dir]) fs.rmSync(d, { recursive: true, force: true });
  }

  await model.close();
  const header = ['measurement', 'A', 'B', 'A/B', 'target', ''];
  const cells = rows.map((r) => [r.what, r.a, r.b, r.ratio.toFixed(2), r.target, r.ok ? 'ok' : 'MISS']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(`copilot-threads bench (node ${process.version}, ${os.cpus().length} cores, ${n} turns per row)\n`);
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n'));
  process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
