/**
 * The crash journal with instances on several hosts: a turn another host's instance is running
 * is never taken for interrupted while that instance's heartbeat lives; once it lapses (a lost
 * machine) the turn is interrupted, and of all instances noticing it exactly one tells the thread.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Keyv from 'keyv';
import { KeyvSqlite } from '@keyv/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { testNamespace } from '../../testkit/services.js';

let stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

async function twoStores(): Promise<{ url: string; a: Store; b: Store }> {
  const url = `sqlite://${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ct-journal-')), 'store.sqlite')}`;
  const namespace = testNamespace();
  stores = [await openStore(url, 5000, namespace), await openStore(url, 5000, namespace)];
  return { url, a: stores[0]!, b: stores[1]! };
}

/** A journal record as an instance on another machine leaves it. */
function fromAnotherHost(key: string, instance: string) {
  return { key, platform: 'slack', channel: 'C1', thread: '1.1', message: '1.2', startedAt: new Date().toISOString(), host: 'another-machine', pid: process.pid, instance };
}

describe('the turn journal across hosts', () => {
  it('a turn of a live instance elsewhere is not interrupted; once its heartbeat lapses it is, and it is told once', async () => {
    const { url, a, b } = await twoStores();
    const raw = (name: string) => new Keyv({ store: new KeyvSqlite({ uri: url }), namespace: name });
    const [turns, instances] = [raw('turns'), raw('instances')];
    try {
      await turns.set('slack:T1:C1:1.2', fromAnotherHost('slack:T1:C1:1.2', 'far-away'));
      await instances.set('far-away', { host: 'another-machine', pid: 4242, at: new Date().toISOString() }, 60_000);
      expect(await a.journal.interrupted('slack')).toEqual([]);

      await instances.delete('far-away');
      expect((await a.journal.interrupted('slack')).map((t) => t.key)).toEqual(['slack:T1:C1:1.2']);
      expect((await b.journal.interrupted('slack')).map((t) => t.key)).toEqual(['slack:T1:C1:1.2']);
      const told = await Promise.all([a.journal.claimNotice('slack:T1:C1:1.2'), b.journal.claimNotice('slack:T1:C1:1.2')]);
      expect(told.filter(Boolean)).toHaveLength(1);
    } finally {
      await turns.disconnect();
      await instances.disconnect();
    }
  });
});
