/**
 * Shared mode (SESSION_STATE_URL): two apps with different COPILOT_HOME folders (two hosts, as
 * far as they can tell) on one store and one PostgreSQL session state. Any instance continues
 * any thread with its whole context; nothing of a session is kept on the local disk; forget on
 * one is seen by the other; a lease taken over fences the old holder's writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { sessionIdFor } from '../../src/core/thread.js';
import { SessionBusyError } from '../../src/agent/agent.js';
import { openSharedState, type SharedState } from '../../src/agent/session-state/shared-state.js';
import { LeaseLostError } from '../../src/agent/session-state/postgres-sessions.js';
import { newPostgresPool, schemaFor, type PgPool } from '../../src/infra/postgres.js';
import type { SessionId } from '../../src/domain.js';
import { localThread, startHarness, testLogger, type Harness } from '../../testkit/harness.js';
import { service, testNamespace } from '../../testkit/services.js';

let pg: string | undefined;
let h: Harness;
const apps: App[] = [];
let pool: PgPool;
/** One namespace per run: its own schema, so runs sharing the server never see each other. */
const namespace = testNamespace();

beforeAll(async () => {
  pg = await service('Postgres');
  if (!pg) return;
  pool = newPostgresPool(pg, 5000);
  h = await startHarness({ env: { STORE_URL: pg, SESSION_STATE_URL: pg, STORE_NAMESPACE: namespace, SESSION_LEASE_SECONDS: '3' } });
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.shutdown(0)));
});

afterAll(async () => {
  if (!pg) return;
  await h.close();
  await pool.query(`DROP SCHEMA IF EXISTS ${schemaFor(namespace)} CASCADE`);
  await pool.end();
});

/** Another instance: same store and session state, its own empty COPILOT_HOME. */
async function instance(name: string): Promise<App> {
  const config = loadConfig({ ...h.env, COPILOT_HOME: path.join(h.dir, name) }, { needModel: true });
  const app = await createApp(config, testLogger());
  apps.push(app);
  return app;
}

describe('shared session state in PostgreSQL', () => {
  it('turns of one thread alternating between two instances each see every earlier turn, and no session is kept on disk', async () => {
    if (!pg) return;
    const [a, b] = [await instance('host-a'), await instance('host-b')];
    const thread = localThread(`alternate-${Date.now()}`);
    const texts = ['one', 'two', 'three', 'four'];
    for (const [i, text] of texts.entries()) {
      const reply = await [a, b][i % 2]!.conversation.handleMessage(thread, text);
      expect(reply.text).toBe(`you said: ${text}${i ? ` | earlier: ${texts.slice(0, i).join('; ')}` : ''}`);
    }
    const history = await b.conversation.handleMessage(thread, 'history');
    expect(history.text).toContain('one');
    expect(history.text).toContain('four');
    for (const home of ['host-a', 'host-b']) {
      const state = path.join(h.dir, home, 'session-state');
      expect(fs.existsSync(state) ? fs.readdirSync(state) : []).toEqual([]);
    }
    const id = sessionIdFor(thread);
    expect((await a.agent.list()).map((s) => s.id)).toContain(id);
    expect(await b.agent.exists(id)).toBe(true);
    // Its log is many chunks by now; deleting says so (the CLI reports it), and it is gone everywhere.
    expect(await b.agent.forget(id)).toBe(true);
    expect(await a.agent.exists(id)).toBe(false);
    expect(await b.agent.forget(id)).toBe(false);
  });

  it('a session forgotten on one instance starts fresh on the other', async () => {
    if (!pg) return;
    const [a, b] = [await instance('host-c'), await instance('host-d')];
    const thread = localThread(`forget-${Date.now()}`);
    await a.conversation.handleMessage(thread, 'remember me');
    expect((await a.conversation.handleMessage(thread, 'forget')).kind).toBe('forgotten');
    expect(await b.agent.exists(sessionIdFor(thread))).toBe(false);
    const reply = await b.conversation.handleMessage(thread, 'hello again');
    expect(reply.text).toBe('you said: hello again');
    const rows = await pool.query(`SELECT count(*)::int AS n FROM ${schemaFor(namespace)}.session_files WHERE session_id = $1`, [sessionIdFor(thread)]);
    expect(rows.rows[0]!.n).toBeGreaterThan(0);
  });

  it('messages sent to both instances at once are all answered, none "busy", each seeing the turns before it', async () => {
    if (!pg) return;
    const [a, b] = [await instance('host-e'), await instance('host-f')];
    const thread = localThread(`burst-${Date.now()}`);
    const texts = Array.from({ length: 10 }, (_, i) => `m${i}`);
    const replies = await Promise.all(texts.map((t, i) => [a, b][i % 2]!.conversation.handleMessage(thread, t)));
    for (const reply of replies) expect(reply.kind).toBe('answer');
    // The order turns ran in is the order the model was asked; each saw every one before it.
    const asked = h.model.requests.filter((r) => texts.includes(r.userTexts.at(-1) ?? '')).map((r) => r.userTexts);
    expect(asked).toHaveLength(10);
    for (const [i, userTexts] of asked.entries()) expect(userTexts).toEqual(asked.at(-1)!.slice(0, i + 1));
  });
});

describe('file tools in shared mode', () => {
  it('create and edit write the workspace of the instance that runs the turn (sandboxed); paths outside it are refused', async () => {
    if (!pg) return;
    const { textOf } = await import('../../testkit/model-server.js');
    const tools = await startHarness({
      env: { STORE_URL: pg, SESSION_STATE_URL: pg, STORE_NAMESPACE: namespace, COPILOT_TOOLS: 'create,edit', COPILOT_TOOLS_APPROVAL: 'none' },
      script: (req) => {
        const last = req.messages.at(-1)!;
        if (last.role === 'tool') return { kind: 'text', text: `OUT: ${textOf(last.content)}` };
        const [name = '', ...rest] = (req.userTexts.at(-1) ?? '').split(' ');
        return { kind: 'tool', name, args: JSON.parse(rest.join(' ')) as Record<string, unknown> };
      },
    });
    try {
      const c = tools.app.conversation;
      const thread = localThread('shared-files');
      const workspace = `${tools.config.copilotHome}/workspace/${sessionIdFor(thread)}`;
      expect((await c.handleMessage(thread, `create {"path":"${workspace}/plan.md","file_text":"step one"}`)).text).toMatch(/Created file/);
      expect((await c.handleMessage(thread, `edit {"path":"${workspace}/plan.md","old_str":"one","new_str":"two"}`)).text).toMatch(/updated/);
      expect(fs.readFileSync(`${workspace}/plan.md`, 'utf8')).toBe('step two');
      await c.handleMessage(thread, `create {"path":"${tools.dir}/outside.txt","file_text":"x"}`);
      expect(fs.existsSync(`${tools.dir}/outside.txt`)).toBe(false);
    } finally {
      await tools.close();
    }
  });
});

describe('an instance that loses its lease mid-turn', () => {
  it('fails that turn with a clear reply and writes none of it; the thread goes on elsewhere with what was saved', async () => {
    if (!pg) return;
    const [a, b] = [await instance('host-g'), await instance('host-h')];
    const thread = localThread(`lost-${Date.now()}`);
    const id = sessionIdFor(thread);
    await a.conversation.handleMessage(thread, 'kept');
    const previous = h.model.script((req) => (req.userTexts.at(-1) === 'slow' ? { kind: 'text', text: 'the stale answer', delayMs: 8000 } : { kind: 'text', text: `you said: ${req.userTexts.join(', ')}` }));
    try {
      const turn = a.conversation.handleMessage(thread, 'slow');
      await expect.poll(() => h.model.requests.map((r) => r.userTexts.at(-1))).toContain('slow');
      // A froze past its lease, and another instance took the session over.
      const thief = await openSharedState({ url: pg, namespace, timeoutMs: 5000, leaseMs: 3000, role: 'thief' });
      await pool.query(`UPDATE ${schemaFor(namespace)}.session_leases SET expires_at = 0 WHERE session_id = $1`, [id]);
      await thief.lock.acquire(id, { waitMs: 1000 });
      const reply = await turn;
      expect(reply.kind).toBe('error');
      expect(reply.text).toMatch(/could not answer this time/);
      await thief.lock.release(id);
      await thief.close();
      const log = await pool.query(`SELECT string_agg(content, '' ORDER BY seq) AS text FROM ${schemaFor(namespace)}.session_files WHERE session_id = $1 AND path = $2`, [id, '/session-state/events.jsonl']);
      expect(String(log.rows[0]!.text)).not.toContain('the stale answer');
      const next = await b.conversation.handleMessage(thread, 'still here?');
      expect(next.text).toMatch(/^you said: kept, .*still here\?$/);
    } finally {
      h.model.script(previous);
    }
  });
});

describe('leases and fencing', () => {
  let one: SharedState;
  let two: SharedState;
  const lost: string[] = [];

  beforeAll(async () => {
    if (!pg) return;
    const options = { url: pg, namespace, timeoutMs: 5000, leaseMs: 3000 };
    one = await openSharedState({ ...options, role: 'one' });
    two = await openSharedState({ ...options, role: 'two' });
    one.lock.onLost((id) => lost.push(id));
  });

  afterAll(async () => {
    if (!pg) return;
    await one.close();
    await two.close();
  });

  it('of two instances asking at once one holds the lease; the other waits, then gets it when it is released', async () => {
    if (!pg) return;
    const id = `lease-${Date.now()}`;
    await one.lock.acquire(id, { waitMs: 1000 });
    await expect(two.lock.acquire(id, { waitMs: 300 })).rejects.toBeInstanceOf(SessionBusyError);
    const waiting = two.lock.acquire(id, { waitMs: 20_000 });
    await one.lock.release(id);
    await waiting;
    expect(two.lock.token(id)).toBeDefined();
    await two.lock.release(id);
  });

  it('an instance whose lease was taken over writes nothing more, and is told it lost the lease', async () => {
    if (!pg) return;
    const id = `fence-${Date.now()}` as SessionId;
    await one.lock.acquire(id, { waitMs: 1000 });
    const stale = one.sessions.provider(id, '/nonexistent-workspace');
    await stale.writeFile('/session-state/events.jsonl', 'first\n');
    // The lease expires (its holder froze), and another instance takes the session over.
    await pool.query(`UPDATE ${schemaFor(namespace)}.session_leases SET expires_at = 0 WHERE session_id = $1`, [id]);
    await two.lock.acquire(id, { waitMs: 1000 });
    await expect(stale.appendFile('/session-state/events.jsonl', 'from the stale copy\n')).rejects.toBeInstanceOf(LeaseLostError);
    const fresh = two.sessions.provider(id, '/nonexistent-workspace');
    await fresh.appendFile('/session-state/events.jsonl', 'second\n');
    expect(await two.sessions.provider(id, '/nonexistent-workspace').readFile('/session-state/events.jsonl')).toBe('first\nsecond\n');
    await expect.poll(() => lost).toContain(id);
    await two.lock.release(id);
  });
});
