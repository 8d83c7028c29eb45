/** Retention on real sessions: old threads go (folder and record), recent and busy ones stay. */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { findExpired, retentionMs, startSweeper, sweep } from '../../src/core/retention.js';
import { openStore } from '../../src/store/store.js';
import { sessionIdFor, type SessionId } from '../../src/core/thread.js';
import { silentLogger } from '../../src/infra/log.js';
import { localThread, startHarness, type Harness } from '../../testkit/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DAY = 86_400_000;

describe('retention', () => {
  it('deletes sessions idle longer than the retention period, and only those', async () => {
    h = await startHarness();
    const c = h.app.conversation;
    const old = localThread('old');
    const recent = localThread('recent');
    const orphan = localThread('orphan');
    for (const t of [old, recent, orphan]) await c.handleMessage(t, 'hello');
    const now = new Date(Date.now() + 31 * DAY);
    // `recent` was used again a day before "now"; `orphan` lost its registry record (a crash, say).
    await h.app.store.registry.recordTurn(sessionIdFor(recent), recent, new Date(now.getTime() - DAY));
    await h.app.store.registry.delete(sessionIdFor(orphan));
    const deps = {
      agent: h.app.agent,
      registry: h.app.store.registry,
      forget: (id: SessionId, confirm: () => Promise<boolean>) => c.forgetSession(id, confirm),
      logger: silentLogger,
    };

    const preview = await sweep(deps, { olderThanMs: retentionMs(30), now, dryRun: true });
    expect(preview.map((e) => [e.id, e.source]).sort()).toEqual([
      ['local-team-old', 'registry'],
      ['local-team-orphan', 'orphan'],
    ]);
    expect(fs.existsSync(h.sessionDir('local-team-old'))).toBe(true);

    const removed = await sweep(deps, { olderThanMs: retentionMs(30), now, dryRun: false });
    expect(removed).toHaveLength(2);
    expect(fs.existsSync(h.sessionDir('local-team-old'))).toBe(false);
    expect(fs.existsSync(h.sessionDir('local-team-orphan'))).toBe(false);
    expect(fs.existsSync(h.sessionDir('local-team-recent'))).toBe(true);
    expect(await h.app.store.registry.get(sessionIdFor(old))).toBeUndefined();
    expect(await findExpired(deps, retentionMs(30), now)).toEqual([]);
    expect((await c.handleMessage(recent, 'still there?')).text).toBe('you said: still there? | earlier: hello');
  });

  it('deletes nothing when the registry cannot be read (a broken store is not an empty one)', async () => {
    h = await startHarness();
    await h.app.conversation.handleMessage(localThread('kept'), 'hello');
    const broken = { ...h.app.store.registry, list: () => Promise.reject(new Error('database "x" does not exist')) };
    const forgotten: string[] = [];
    const deps = { agent: h.app.agent, registry: broken, forget: async (id: SessionId) => (forgotten.push(id), {}), logger: silentLogger };
    const later = new Date(Date.now() + 60 * DAY);
    await expect(sweep(deps, { olderThanMs: 0, now: later, dryRun: false })).rejects.toThrow(/does not exist/);
    expect(forgotten).toEqual([]);
    expect(fs.existsSync(h.sessionDir('local-team-kept'))).toBe(true);
  });

  it('never sweeps a thread with a turn in flight', async () => {
    h = await startHarness();
    const t = localThread('busy');
    await h.app.conversation.handleMessage(t, 'hello');
    const now = new Date(Date.now() + 60 * DAY);
    const removed = await sweep(
      { agent: h.app.agent, registry: h.app.store.registry, forget: () => Promise.reject(new Error('must not run')), busy: () => true, logger: silentLogger },
      { olderThanMs: retentionMs(30), now, dryRun: false },
    );
    expect(removed).toEqual([]);
    expect(fs.existsSync(h.sessionDir('local-team-busy'))).toBe(true);
  });

  it('sweeps at start (the bot runs it then and hourly), and not at all with retention 0', async () => {
    h = await startHarness();
    const t = localThread('swept');
    await h.app.conversation.handleMessage(t, 'hello');
    const deps = { agent: h.app.agent, registry: h.app.store.registry, forget: (id: SessionId, confirm: () => Promise<boolean>) => h!.app.conversation.forgetSession(id, confirm), logger: silentLogger };
    const future = () => new Date(Date.now() + 31 * DAY);
    await startSweeper(deps, { days: 0, everyMs: 3_600_000, now: future })();
    expect(fs.existsSync(h.sessionDir('local-team-swept'))).toBe(true);
    await startSweeper(deps, { days: 30, everyMs: 3_600_000, now: future })();
    expect(fs.existsSync(h.sessionDir('local-team-swept'))).toBe(false);
  });

  it('keeps a session used between the sweep listing it and the sweep getting hold of it (a turn on another instance)', async () => {
    h = await startHarness();
    const t = localThread('used-meanwhile');
    await h.app.conversation.handleMessage(t, 'hello');
    const now = new Date(Date.now() + 31 * DAY);
    const deps = {
      agent: h.app.agent,
      registry: h.app.store.registry,
      forget: async (id: SessionId, confirm: () => Promise<boolean>) => {
        // While the sweep waited for the session's lock, the thread got a turn.
        await h!.app.store.registry.recordTurn(id, t, now);
        return h!.app.conversation.forgetSession(id, confirm);
      },
      logger: silentLogger,
    };
    expect(await sweep(deps, { olderThanMs: retentionMs(30), now, dryRun: false })).toEqual([]);
    expect(fs.existsSync(h.sessionDir(sessionIdFor(t)))).toBe(true);
    expect(await h.app.store.registry.get(sessionIdFor(t))).toMatchObject({ turns: 2 });
  });

  it('one sweep per round among processes sharing the store: the first to claim the round', async () => {
    h = await startHarness();
    await h.app.conversation.handleMessage(localThread('old'), 'hello');
    const other = await openStore(h.config.storeUrl, 5000, h.config.namespace);
    try {
      const forgotten: string[] = [];
      const deps = (claimRound: (round: string) => Promise<boolean>) => ({
        agent: h!.app.agent,
        registry: h!.app.store.registry,
        forget: async (id: SessionId) => (forgotten.push(id), {}),
        claimRound,
        logger: silentLogger,
      });
      const now = () => new Date(Date.now() + 31 * DAY);
      const roundMs = 3_600_000;
      // Two instances start within the same round: only one sweeps it.
      await Promise.all([
        startSweeper(deps((r) => h!.app.store.dedupe.claim(`retention:${r}`, roundMs)), { days: 30, everyMs: roundMs, now })(),
        startSweeper(deps((r) => other.dedupe.claim(`retention:${r}`, roundMs)), { days: 30, everyMs: roundMs, now })(),
      ]);
      expect(forgotten).toEqual(['local-team-old']);
      // The next round is claimed afresh.
      await startSweeper(deps((r) => other.dedupe.claim(`retention:${r}`, roundMs)), { days: 30, everyMs: roundMs, now: () => new Date(now().getTime() + roundMs) })();
      expect(forgotten).toEqual(['local-team-old', 'local-team-old']);
    } finally {
      await other.close();
    }
  });
});
