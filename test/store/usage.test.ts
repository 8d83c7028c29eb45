/**
 * Usage and daily budgets on each store (SQLite, Redis, PostgreSQL): counts add up per person,
 * channel and day; a budget is taken atomically, so instances racing for the last turns of a day
 * get exactly as many as the limit; a new day has a full budget.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { EVERY_BACKEND, useStores } from '../../testkit/store-backends.js';

const stores = useStores();

const today = new Date().toISOString().slice(0, 10);
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

describe.each(EVERY_BACKEND)('usage on %s', (_kind, urlFor) => {
  it('adds up per person, channel and day; budgets are taken atomically across instances, and a new day is full again', async () => {
    const url = await urlFor();
    if (!url) return;
    const [a, b] = (await stores.open(url, 2)) as [Store, Store];

    await a.usage.add(yesterday, 'slack:U1', 'slack:T1:C1', { turns: 1, inputTokens: 100, outputTokens: 20 });
    await a.usage.add(today, 'slack:U1', 'slack:T1:C1', { turns: 1, toolRuns: 2, inputTokens: 10, outputTokens: 5 });
    await b.usage.add(today, 'slack:U1', 'slack:T1:C1', { turns: 1, inputTokens: 10, outputTokens: 5 });
    await b.usage.add(today, 'slack:U1', 'slack:T1:C2', { turns: 1 });
    await b.usage.add(today, 'discord:42', 'discord:9:7', { turns: 3, toolRuns: 1 });

    expect(await a.usage.list({ since: today })).toEqual([
      { day: today, actor: 'discord:42', channel: 'discord:9:7', turns: 3, toolRuns: 1, inputTokens: 0, outputTokens: 0 },
      { day: today, actor: 'slack:U1', channel: 'slack:T1:C1', turns: 2, toolRuns: 2, inputTokens: 20, outputTokens: 10 },
      { day: today, actor: 'slack:U1', channel: 'slack:T1:C2', turns: 1, toolRuns: 0, inputTokens: 0, outputTokens: 0 },
    ]);
    const mine = await b.usage.list({ since: yesterday, actor: 'slack:U1' });
    expect(mine.map((r) => [r.day, r.channel, r.turns])).toEqual([
      [yesterday, 'slack:T1:C1', 1],
      [today, 'slack:T1:C1', 2],
      [today, 'slack:T1:C2', 1],
    ]);

    // Ten takes race from two instances for a budget of 4: exactly 4 succeed.
    const takes = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).usage.take(today, 'slack:U1', 'turns', 4)));
    expect(takes.filter((t) => t.ok)).toHaveLength(4);
    expect(takes.filter((t) => t.ok).map((t) => t.used).sort()).toEqual([1, 2, 3, 4]);
    // Tool runs are a budget of their own; so is another person's, and another day's.
    expect((await a.usage.take(today, 'slack:U1', 'toolRuns', 1)).ok).toBe(true);
    expect((await a.usage.take(today, 'slack:U1', 'toolRuns', 1)).ok).toBe(false);
    expect((await a.usage.take(today, 'discord:42', 'turns', 4)).ok).toBe(true);
    expect((await b.usage.take('2099-01-01', 'slack:U1', 'turns', 4)).ok).toBe(true);
    // Raising the limit gives more at once.
    expect((await b.usage.take(today, 'slack:U1', 'turns', 5))).toEqual({ ok: true, used: 5 });
  });
});
