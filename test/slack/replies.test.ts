/** How answers look in Slack: rendered Markdown, safe chunks, no pings, a visible thinking state. */
import { afterEach, describe, expect, it } from 'vitest';
import { openFence } from '../../adapters/shared/chunk.js';
import { THINKING } from '../../adapters/slack/replier.js';
import type { ModelReply } from '../../testkit/model-server.js';
import { mention, nextTs, startSlackHarness, type SlackHarness } from '../../testkit/slack-harness.js';
import { threadMessages, threadTexts } from '../../testkit/slack-view.js';

let s: SlackHarness | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const answerWith = (reply: ModelReply) => startSlackHarness({ script: () => reply });

async function settled(s: SlackHarness, ts: string, count = 1): Promise<string[]> {
  await expect.poll(() => threadTexts(s.slack, 'C222', ts).filter((t) => t !== THINKING && !t.endsWith(' …')).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(count);
  return threadTexts(s.slack, 'C222', ts);
}

describe('Slack replies', () => {
  it('renders Copilot’s Markdown as Slack mrkdwn', async () => {
    s = await answerWith({ kind: 'text', text: '# Plan\n**Bold** and *soft*, see [docs](https://example.com/x).\n- one\n```ts\nconst a = 1 < 2;\n```' });
    const ts = nextTs();
    await s.event(mention('format', { ts }));
    expect(await settled(s, ts)).toEqual(['*Plan*\n*Bold* and _soft_, see <https://example.com/x|docs>.\n• one\n```\nconst a = 1 &lt; 2;\n```']);
  });

  it('splits a long answer into valid messages in the thread, never inside a code block', async () => {
    const code = ['```python', ...Array.from({ length: 150 }, (_, i) => `print("line ${i}")  # ${'x'.repeat(20)}`), '```'].join('\n');
    const text = `${'Intro paragraph. '.repeat(100)}\n\n${code}\n\nThe end.`;
    s = await answerWith({ kind: 'text', text });
    const ts = nextTs();
    await s.event(mention('long one', { ts }));
    await expect.poll(async () => (await settled(s!, ts)).at(-1), { timeout: 30_000 }).toMatch(/The end\.$/);
    const parts = threadTexts(s.slack, 'C222', ts);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(3500);
      expect(openFence(p)).toBeUndefined();
    }
    const joined = parts.join('\n');
    for (const i of [0, 75, 149]) expect(joined).toContain(`print("line ${i}")`);
    // Every part went to the same thread; the first replaced the placeholder.
    expect(threadMessages(s.slack, 'C222', ts)[0]?.text).not.toBe(THINKING);
  });

  it('never lets model output ping @channel, @here, @everyone or a user', async () => {
    s = await answerWith({ kind: 'text', text: 'Attention <!channel> <!here|here> <!everyone> @channel @here @everyone <@U0ADMIN>' });
    const ts = nextTs();
    await s.event(mention('ping everyone', { ts }));
    const [out] = await settled(s, ts);
    expect(out).not.toMatch(/<!(channel|here|everyone)/);
    expect(out).not.toMatch(/@(channel|here|everyone)\b/);
    expect(out).not.toContain('<@U0ADMIN>');
    for (const call of s.slack.callsTo('chat.postMessage')) expect(call.args.link_names).toBeUndefined();
  });

  it('shows a thinking placeholder at once and streams the answer into it', async () => {
    const text = Array.from({ length: 12 }, (_, i) => `Sentence number ${i} of a slow answer.`).join(' ');
    s = await answerWith({ kind: 'text', text, pieceDelayMs: 300 });
    const ts = nextTs();
    await s.event(mention('stream it', { ts }));
    await expect.poll(() => threadTexts(s!.slack, 'C222', ts), { timeout: 30_000 }).toEqual([THINKING]);
    await expect.poll(() => s!.slack.callsTo('chat.update').some((c) => String(c.args.text).endsWith(' …')), { timeout: 30_000 }).toBe(true);
    expect(await settled(s, ts)).toEqual([text]);
    // Exactly one message in the thread: the placeholder became the answer.
    expect(s.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });
});
