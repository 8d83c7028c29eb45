/**
 * Scheduled prompts on the built bot (`node dist/src/bin/bot.js`, both adapters configured), as
 * child processes sharing one store: a short schedule made through one instance runs exactly once
 * with two instances polling; one made before both stop runs once one is back (caught up), in its
 * thread, as a turn of the person who made it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mention } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';
import { freePort } from '../../testkit/process.js';
import { exitOf, startStack, type Proc, type Stack } from '../../testkit/bot-process.js';

let stack: Stack;
let bots: Proc[] = [];

beforeAll(async () => {
  stack = await startStack();
});

afterEach(async () => {
  for (const bot of bots) bot.signalGroup('SIGKILL');
  await Promise.all(bots.map((b) => b.exited));
  bots = [];
});

afterAll(() => stack.close());

/** Slack timestamps unique to this run (Redis and Postgres keep delivery claims for a day). */
const base = Math.floor(Date.now() / 1000) * 10 + (process.pid % 10);
let seq = 0;
const ts = () => `${base}.${String(++seq).padStart(6, '0')}`;

const texts = (thread: string) => threadTexts(stack.slack, 'C222', thread);
const answersTo = (thread: string, words: string) => texts(thread).filter((t) => t.includes(words) && !t.startsWith('⏰'));
const runsLogged = () => bots.reduce((n, b) => n + b.output().split('"msg":"scheduled run"').length - 1, 0);

describe('scheduled prompts on the built bot', () => {
  it('a short schedule runs exactly once with two instances polling the store, and one due while both were down runs once one is back', async () => {
    const second = await freePort();
    bots = [await stack.startBot(), await stack.startBot({ PORT: String(second) })];
    const thread = ts();
    await stack.slackEvent(mention(`hello ${thread}`, { ts: thread }));
    await expect.poll(() => texts(thread).some((t) => t.startsWith('you said: hello')), { timeout: 60_000 }).toBe(true);

    // Made through the second instance; either may run it, one does.
    await stack.slackEvent(mention(`schedule "in 2s" nightly status of ${thread}?`, { thread_ts: thread }), undefined, second);
    await expect.poll(() => texts(thread).some((t) => /⏰ Scheduled `[a-f0-9]{8}`/.test(t)), { timeout: 60_000 }).toBe(true);
    await expect.poll(() => answersTo(thread, `nightly status of ${thread}`).filter((t) => t.startsWith('you said:')).length, { timeout: 60_000 }).toBe(1);
    // The run's message names the person's schedule and repeats the prompt; the answer follows it.
    const all = texts(thread);
    const header = all.findIndex((t) => t.startsWith('⏰ Scheduled by'));
    expect(all[header]).toMatch(/\(`[a-f0-9]{8}`, once\):\n>nightly status of/);
    expect(all.slice(header + 1).some((t) => t.startsWith('you said:') && t.includes('nightly status'))).toBe(true);
    expect(runsLogged()).toBe(1);
    expect(texts(thread).filter((t) => t.startsWith('⏰ Scheduled by'))).toHaveLength(1);
    expect(stack.model.requests.filter((r) => r.userTexts.at(-1)?.includes(`nightly status of ${thread}`))).toHaveLength(1);

    // Due while every instance is down: run once, by the first one back.
    await stack.slackEvent(mention(`schedule "in 3s" after the restart, ${thread}?`, { thread_ts: thread }));
    await expect.poll(() => texts(thread).filter((t) => /⏰ Scheduled `[a-f0-9]{8}`/.test(t)).length, { timeout: 60_000 }).toBe(2);
    const made = Date.now();
    for (const bot of bots) {
      bot.signalGroup('SIGTERM');
      expect((await exitOf(bot)).code).toBe(0);
    }
    bots = [];
    // Past its time before anything runs again.
    while (Date.now() - made < 4000) await new Promise((r) => setTimeout(r, 250));
    bots = [await stack.startBot()];
    await expect.poll(() => answersTo(thread, `after the restart, ${thread}`).filter((t) => t.startsWith('you said:')).length, { timeout: 60_000 }).toBe(1);
    expect(stack.model.requests.filter((r) => r.userTexts.at(-1)?.includes(`after the restart, ${thread}`))).toHaveLength(1);
    expect(bots[0]!.output()).toMatch(/"msg":"scheduled run"/);
  });
});
