/**
 * Bursts of messages into one thread reach the model, and their answers the thread, in the order
 * they arrived, on every store backend: the thread's order is fixed on arrival, before the store
 * reads (de-duplication, registry) that finish in any order.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mention, message } from '../support/slack-harness.js';
import { threadTexts } from '../support/slack-view.js';
import { T2 } from '../support/discord-harness.js';
import { service } from '../support/services.js';
import { exitOf, startStack, type Proc, type Stack } from '../support/bot-process.js';

const BURST = 20;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(() => stack.close());

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
    const bot: Proc = await stack.startBot({ STORE_URL: url });
    try {
      const marker = `b${process.pid}x${++run}x${Date.now()}`;
      const ts = `1${String(Date.now()).slice(-9)}.${String(run).padStart(6, '0')}`;
      const texts = Array.from({ length: BURST }, (_, i) => `${marker} m${i + 1}`);
      for (const [i, text] of texts.entries()) {
        const ev = i === 0 ? mention(text, { ts }) : i % 2 ? message(text, { thread_ts: ts }) : mention(text, { thread_ts: ts });
        expect((await stack.slackEvent(ev)).status).toBe(200);
      }
      await expect.poll(() => threadTexts(stack.slack, 'C222', ts).filter((t) => t.startsWith('you said:')).length, { timeout: 60_000 }).toBe(BURST);
      expect(modelOrder(marker)).toEqual(texts);
      const answered = threadTexts(stack.slack, 'C222', ts).map((t) => /^you said: (\S+ m\d+)/.exec(t)?.[1]);
      expect(answered).toEqual(texts);
    } finally {
      bot.signalGroup('SIGTERM');
      await exitOf(bot);
    }
  });
});

describe('a burst into one Discord thread', () => {
  it(`keeps the order of ${BURST} messages sent back to back`, async () => {
    const bot = await stack.startBot();
    try {
      await stack.discord.connected();
      const marker = `d${process.pid}x${Date.now()}`;
      const texts = Array.from({ length: BURST }, (_, i) => `${marker} m${i + 1}`);
      // The first mention creates the session; the rest are follow-ups without a mention.
      for (const [i, text] of texts.entries()) stack.discordSay(text, { channel: T2, mention: i === 0 });
      const sent = () => stack.discord.callsTo('POST', new RegExp(`^/channels/${T2}/messages$`)).map((c) => String((c.body as { content?: string }).content));
      await expect.poll(() => sent().length, { timeout: 60_000 }).toBe(BURST);
      expect(modelOrder(marker)).toEqual(texts);
      expect(sent().map((t) => /^you said: (\S+ m\d+)/.exec(t)?.[1])).toEqual(texts);
    } finally {
      bot.signalGroup('SIGTERM');
      await exitOf(bot);
    }
  });
});
