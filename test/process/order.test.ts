/**
 * Bursts of messages into one thread reach the model, and their answers the thread, in the order
 * they arrived, on every store backend: the thread's order is fixed on arrival, before the store
 * reads (de-duplication, registry) that finish in any order.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mention, message } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';
import { T2 } from '../../testkit/discord-harness.js';
import { service } from '../../testkit/services.js';
import { exitOf, startStack, type Proc, type Stack } from '../../testkit/bot-process.js';

const BURST = 20;
let stack: Stack;
let bot: Proc | undefined;

beforeAll(async () => {
  stack = await startStack();
});

afterEach(async () => {
  bot?.signalGroup('SIGKILL');
  if (bot) await bot.exited;
  bot = undefined;
});

afterAll(() => stack.close());

/**
 * Slack message timestamps unique to this run: Redis and Postgres keep delivery keys for a day, and
 * a timestamp seen by an earlier run would (rightly) be dropped as a duplicate.
 */
const base = Math.floor(Date.now() / 1000) * 10 + (process.pid % 10);
const ts = (n: number) => `${base}.${String(n).padStart(6, '0')}`;

const backends: Array<[string, () => Promise<string | undefined>]> = [
  ['sqlite', async () => `sqlite://${path.join(stack.dir, 'order.sqlite')}`],
  ['redis', () => service('Redis')],
  ['postgres', () => service('Postgres')],
];

/** The prompts of `thread`'s turns in the order the model received them. */
function modelOrder(marker: string): string[] {
  const last = stack.model.requests.filter((r) => r.userTexts.at(-1)?.startsWith(marker)).at(-1);
  return last?.userTexts ?? [];
}

let run = 0;

describe.each(backends)('a burst into one Slack thread on %s', (_name, urlFor) => {
  it(`keeps the order of ${BURST} messages sent back to back, mentions and follow-ups mixed`, async () => {
    const url = await urlFor();
    if (!url) return;
    bot = await stack.startBot({ STORE_URL: url });
    const first = ++run * 100;
    const thread = ts(first);
    const marker = `b${process.pid}x${run}x${Date.now()}`;
    const texts = Array.from({ length: BURST }, (_, i) => `${marker} m${i + 1}`);
    for (const [i, text] of texts.entries()) {
      const at = { ts: ts(first + i) };
      const ev = i === 0 ? mention(text, at) : i % 2 ? message(text, { ...at, thread_ts: thread }) : mention(text, { ...at, thread_ts: thread });
      expect((await stack.slackEvent(ev)).status).toBe(200);
    }
    await expect.poll(() => threadTexts(stack.slack, 'C222', thread).filter((t) => t.startsWith('you said:')).length, { timeout: 60_000 }).toBe(BURST);
    expect(modelOrder(marker)).toEqual(texts);
    const answered = threadTexts(stack.slack, 'C222', thread).map((t) => /^you said: (\S+ m\d+)/.exec(t)?.[1]);
    expect(answered).toEqual(texts);
    bot.signalGroup('SIGTERM');
    expect((await exitOf(bot)).code).toBe(0);
  }, 120_000);
});

describe('a burst into one Discord thread', () => {
  it(`keeps the order of ${BURST} messages sent back to back`, async () => {
    bot = await stack.startBot();
    await stack.discord.connected();
    const marker = `d${process.pid}x${Date.now()}`;
    const texts = Array.from({ length: BURST }, (_, i) => `${marker} m${i + 1}`);
    // The first mention creates the session; the rest are follow-ups without a mention.
    for (const [i, text] of texts.entries()) stack.discordSay(text, { channel: T2, mention: i === 0 });
    const sent = () => stack.discord.callsTo('POST', new RegExp(`^/channels/${T2}/messages$`)).map((c) => String((c.body as { content?: string }).content));
    await expect.poll(() => sent().length, { timeout: 60_000 }).toBe(BURST);
    expect(modelOrder(marker)).toEqual(texts);
    expect(sent().map((t) => /^you said: (\S+ m\d+)/.exec(t)?.[1])).toEqual(texts);
    bot.signalGroup('SIGTERM');
    expect((await exitOf(bot)).code).toBe(0);
  }, 120_000);
});
