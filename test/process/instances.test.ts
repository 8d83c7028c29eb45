/**
 * Two bot processes on one host, sharing COPILOT_HOME and the store (as during a zero-downtime
 * restart, or two bots behind one Slack endpoint), on every store backend: a message delivered to
 * both is answered once, and messages of one thread alternating between them are all answered,
 * each with every earlier turn, none with "busy".
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mention, message } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';
import { freePort } from '../../testkit/process.js';
import { service } from '../../testkit/services.js';
import { exitOf, startStack, type Proc, type Stack } from '../../testkit/bot-process.js';

let stack: Stack;
let bots: Proc[] = [];

beforeAll(async () => {
  stack = await startStack({ env: { DISCORD_TOKEN: '', LOG_LEVEL: 'debug' } });
});

afterEach(async () => {
  for (const bot of bots) bot.signalGroup('SIGKILL');
  await Promise.all(bots.map((b) => b.exited));
  bots = [];
});

afterAll(() => stack.close());

const backends: Array<[string, () => Promise<string | undefined>]> = [
  ['sqlite', async () => `sqlite://${path.join(stack.dir, 'shared.sqlite')}`],
  ['redis', () => service('Redis')],
  ['postgres', () => service('Postgres')],
];

/** Slack timestamps unique to this run (Redis and Postgres keep delivery claims for a day). */
const base = Math.floor(Date.now() / 1000) * 10 + (process.pid % 10);
let seq = 0;
const ts = () => `${base}.${String(++seq).padStart(6, '0')}`;

async function twoBots(url: string): Promise<[number, number]> {
  const second = await freePort();
  bots = [await stack.startBot({ STORE_URL: url }), await stack.startBot({ STORE_URL: url, PORT: String(second) })];
  return [stack.port, second];
}

describe.each(backends)('two bot processes on %s', (_name, urlFor) => {
  it('the same Slack event delivered to both (a retry landing on the other) is answered once', async () => {
    const url = await urlFor();
    if (!url) return;
    const [a, b] = await twoBots(url);
    const thread = ts();
    const text = `once please ${thread}`;
    const event = mention(text, { ts: thread });
    await Promise.all([stack.slackEvent(event, `Ev${thread}`, a), stack.slackEvent(event, `Ev${thread}`, b)]);
    // The loser says so in its log; by then the winner has its turn queued.
    await expect.poll(() => bots.filter((bot) => bot.output().includes('"msg":"duplicate delivery ignored"')).length).toBe(1);
    await expect.poll(() => threadTexts(stack.slack, 'C222', thread).filter((t) => t.startsWith('you said:'))).toEqual([`you said: ${text}`]);
    expect(stack.model.requests.filter((r) => r.userTexts.at(-1) === text)).toHaveLength(1);
  });

  it('messages of one thread alternating between them are all answered, each with every earlier turn', async () => {
    const url = await urlFor();
    if (!url) return;
    const ports = await twoBots(url);
    const thread = ts();
    const texts = Array.from({ length: 6 }, (_, i) => `turn ${i + 1} of ${thread}`);
    for (const [i, text] of texts.entries()) {
      const event = i === 0 ? mention(text, { ts: thread }) : message(text, { ts: ts(), thread_ts: thread });
      await stack.slackEvent(event, undefined, ports[i % 2]);
      const want = `you said: ${text}${i ? ` | earlier: ${texts.slice(0, i).join('; ')}` : ''}`;
      await expect.poll(() => threadTexts(stack.slack, 'C222', thread).at(-1)).toBe(want);
    }
    expect(threadTexts(stack.slack, 'C222', thread).join('\n')).not.toMatch(/another copilot-threads process|try again/i);
    for (const bot of bots) {
      bot.signalGroup('SIGTERM');
      expect((await exitOf(bot)).code).toBe(0);
    }
  });
});
