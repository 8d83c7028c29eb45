/**
 * The registry on every backend STORE_URL accepts: SQLite files always; Redis and Postgres on
 * the local services. In CI a missing service fails the run; elsewhere it is skipped, loudly.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SessionId } from '../../src/core/thread.js';
import { openStore } from '../../src/store/store.js';
import { service, testNamespace } from '../../testkit/services.js';

const sqliteFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ct-store-')), 'nested', 'store.sqlite');
const run = `${process.pid}-${Date.now()}`;
const backends: Array<[string, () => Promise<string | undefined>]> = [
  ['sqlite', async () => `sqlite://${sqliteFile()}`],
  ['redis', () => service('Redis')],
  ['postgres', () => service('Postgres')],
];

describe.each(backends)('thread registry on %s', (_name, urlFor) => {
  it('creates, updates, lists by workspace and deletes records', async () => {
    const url = await urlFor();
    if (!url) return;
    const store = await openStore(url, 5000, testNamespace());
    const registry = store.registry;
    const ids = [`local-${run}-a`, `local-${run}-b`, `slack-${run}-c`] as SessionId[];
    try {
      const at = new Date('2026-01-01T00:00:00Z');
      await registry.recordTurn(ids[0]!, { platform: 'local', workspace: run, channel: 'a', thread: 'a', user: 'ana' }, at);
      const second = await registry.recordTurn(ids[0]!, { platform: 'local', workspace: run, channel: 'a', thread: 'a', user: 'bob' }, new Date(at.getTime() + 1000));
      expect(second).toMatchObject({ turns: 2, startedBy: 'ana', createdAt: at.toISOString(), lastActiveAt: '2026-01-01T00:00:01.000Z' });
      await registry.recordTurn(ids[1]!, { platform: 'local', workspace: run, channel: 'b', thread: 'b', user: 'ana' }, new Date(at.getTime() + 5000));
      await registry.recordTurn(ids[2]!, { platform: 'slack', workspace: run, channel: 'C', thread: '1.2', user: 'U' }, at);
      expect((await registry.list({ platform: 'local', workspace: run })).map((r) => r.sessionId)).toEqual([ids[1], ids[0]]);
      expect(await registry.delete(ids[0]!)).toBe(true);
      expect(await registry.get(ids[0]!)).toBeUndefined();
      expect(await registry.delete(ids[0]!)).toBe(false);
    } finally {
      for (const id of ids) await registry.delete(id);
      await store.close();
    }
  });
});

describe.each(backends)("a thread's own model and agent on %s", (_name, urlFor) => {
  it('are kept beside the record: turns recorded by any instance never write over them; delete takes them too; lists never show them', async () => {
    const url = await urlFor();
    if (!url) return;
    const namespace = testNamespace();
    const [a, b] = [await openStore(url, 5000, namespace), await openStore(url, 5000, namespace)];
    const id = `slack-${run}-choice` as SessionId;
    const ref = { platform: 'slack' as const, workspace: run, channel: 'C', thread: '9.9', user: 'U1' };
    try {
      expect(await b.registry.choose(id, { model: 'm-b' })).toBeUndefined();
      await a.registry.recordTurn(id, ref, new Date());
      expect(await b.registry.choose(id, { model: 'm-b', agent: 'reviewer' })).toMatchObject({ sessionId: id, model: 'm-b', agent: 'reviewer', turns: 1 });
      // Another instance records a turn (its read-modify-write of the record) after the switch.
      await a.registry.recordTurn(id, ref, new Date());
      await a.registry.recordFeedback(id, 'up', 'U1', new Date());
      expect(await a.registry.get(id)).toMatchObject({ turns: 2, model: 'm-b', agent: 'reviewer', feedback: { up: 1 } });
      expect(await a.registry.choose(id, { agent: null })).toMatchObject({ model: 'm-b' });
      // A repository too (`repo …`): kept beside the record, through turns, until cleared.
      const repo = { url: 'https://github.com/acme/w.git', name: 'acme/w', commit: 'a'.repeat(40), folder: 'w', by: 'U1', at: new Date(0).toISOString() };
      await b.registry.choose(id, { repo });
      await a.registry.recordTurn(id, ref, new Date());
      expect(await a.registry.get(id)).toMatchObject({ model: 'm-b', repo });
      expect(await b.registry.choose(id, { repo: null })).not.toHaveProperty('repo');
      expect((await b.registry.get(id))?.agent).toBeUndefined();
      expect((await a.registry.list({ workspace: run })).map((r) => r.sessionId)).toEqual([id]);
      await a.registry.delete(id);
      await a.registry.recordTurn(id, ref, new Date());
      expect(await b.registry.get(id)).not.toHaveProperty('model');
    } finally {
      await a.registry.delete(id);
      await a.close();
      await b.close();
    }
  });
});

describe.each(backends)('delivery claims on %s', (_name, urlFor) => {
  it('one claim wins per key, across separately opened stores (two instances) claiming at once', async () => {
    const url = await urlFor();
    if (!url) return;
    const namespace = testNamespace();
    const [a, b] = [await openStore(url, 5000, namespace), await openStore(url, 5000, namespace)];
    try {
      const keys = Array.from({ length: 20 }, (_, i) => `slack:${run}:C1:${i}.1`);
      const results = await Promise.all(keys.flatMap((k) => [a.dedupe.claim(k), b.dedupe.claim(k)]));
      for (let i = 0; i < keys.length; i++) expect([results[2 * i], results[2 * i + 1]].filter(Boolean)).toHaveLength(1);
      expect(await a.dedupe.claim(keys[0]!)).toBe(false);
      expect(await b.dedupe.claim(`${keys[0]}0`)).toBe(true);
      // Registry listings never see claims.
      expect((await a.registry.list()).some((r) => String(r.sessionId).includes(run))).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a claim that expired can be taken again, once', async () => {
    const url = await urlFor();
    if (!url) return;
    const store = await openStore(url, 5000, testNamespace());
    try {
      const key = `expiring:${run}`;
      expect(await store.dedupe.claim(key, 50)).toBe(true);
      expect(await store.dedupe.claim(key, 50)).toBe(false);
      await expect.poll(() => store.dedupe.claim(key, 60_000)).toBe(true);
      expect(await store.dedupe.claim(key, 60_000)).toBe(false);
    } finally {
      await store.close();
    }
  });
});

describe('SQLite durability', () => {
  it('keeps a registry write that returned, even when the process is killed right after', () => {
    const url = `sqlite://${sqliteFile()}`;
    const script = `
      import { openStore } from ${JSON.stringify(path.resolve('src/store/store.ts'))};
      const store = await openStore(process.env.URL);
      await store.registry.recordTurn('local-x-y', { platform: 'local', workspace: 'x', channel: 'y', thread: 'y', user: 'u' }, new Date());
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, URL: url }, encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    // The write is in the write-ahead log (one append, not a rollback journal synced and deleted); the next open replays it.
    expect(fs.existsSync(`${url.slice('sqlite://'.length)}-wal`)).toBe(true);
    const check = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `import { openStore } from ${JSON.stringify(path.resolve('src/store/store.ts'))}; const s = await openStore(process.env.URL); console.log(JSON.stringify(await s.registry.get('local-x-y'))); await s.close();`],
      { env: { ...process.env, URL: url }, encoding: 'utf8' },
    );
    expect(JSON.parse(check.stdout.trim())).toMatchObject({ sessionId: 'local-x-y', turns: 1 });
  });
});
