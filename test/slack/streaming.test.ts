/**
 * Native Slack streaming (SLACK_STREAMING=native, the default): chat.startStream / appendStream /
 * stopStream on the real Bolt and web client against the fake Web API, with Slack closing streams
 * early, streaming refused, tools shown as tasks, and the 👍/👎 buttons under the answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FEEDBACK_ACTION } from '../../adapters/slack/blocks.js';
import { STREAM_MESSAGE_CHARS } from '../../adapters/slack/stream.js';
import { sessionIdFor } from '../../src/core/thread.js';
import { toolScript } from '../../testkit/model-server.js';
import { baseEnv, runEntry } from '../../testkit/process.js';
import { mention, nextTs, startSlackHarness, type SlackHarness } from '../../testkit/slack-harness.js';
import { blockAction, threadMessages, type Visible } from '../../testkit/slack-view.js';

let s: SlackHarness | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const native = (env: Record<string, string> = {}) => startSlackHarness({ env: { SLACK_STREAMING: 'native', ...env } });

async function answered(s: SlackHarness, ts: string, messages = 1): Promise<Visible[]> {
  await expect.poll(() => threadMessages(s.slack, 'C222', ts).filter((m) => m.stream === 'stopped' || m.blocks).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(messages);
  await s.adapter.stop();
  return threadMessages(s.slack, 'C222', ts);
}

const fences = (text: string) => text.split('\n').filter((l) => /^\s*```/.test(l)).length;
const feedbackIn = (blocks: unknown) => JSON.stringify(blocks ?? []).includes('"type":"feedback_buttons"');

/** An answer with prose and one long code block, 60 lines. */
const longAnswer = ['Here is the script:', '', '```python', ...Array.from({ length: 56 }, (_, i) => `print("line ${i}")`), '```', 'Done.'].join('\n');

describe('native streaming', () => {
  it('opens a stream in the thread at once (“Thinking”), streams the answer into it, and stops it with 👍/👎', async () => {
    s = await native();
    const ts = nextTs();
    s.h.model.script(() => ({ kind: 'text', text: 'The **answer** is 42, <!here> and all.', pieceDelayMs: 50 }));
    await s.event(mention('what is the answer?', { ts }));
    const [msg, ...others] = await answered(s, ts);
    expect(others).toEqual([]);
    // Markdown as written (Slack renders it); `<!here>` defused, so it cannot ping.
    expect(msg!.text).toBe('The **answer** is 42, <!here> and all.');
    expect(JSON.stringify(['chat.appendStream', 'chat.stopStream'].flatMap((m) => s!.slack.callsTo(m).map((c) => c.args.chunks)))).toContain('<\u2060!here>');
    expect(msg!.stream).toBe('stopped');
    expect(msg!.tasks!.get('thinking')).toEqual({ title: 'Thinking', status: 'complete' });
    expect(feedbackIn(msg!.blocks)).toBe(true);
    const start = s.slack.callsTo('chat.startStream')[0]!.args;
    expect(start).toMatchObject({ channel: 'C222', thread_ts: ts, recipient_team_id: 'T111', recipient_user_id: 'UHUMAN' });
    // Nothing posted or edited the old way.
    expect(s.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(s.slack.callsTo('chat.update')).toHaveLength(0);
  });

  it('shows each tool as a task while it runs', async () => {
    s = await native({ COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none', TOOLS_SANDBOX: 'off' });
    s.h.model.script(toolScript);
    const ts = nextTs();
    await s.event(mention('run taskdemo', { ts }));
    const [msg] = await answered(s, ts);
    expect(msg!.text).toContain('tool answer: made-taskdemo');
    expect([...msg!.tasks!.values()]).toContainEqual({ title: 'Ran bash', status: 'complete' });
    const titles = s.slack.callsTo('chat.appendStream').flatMap((c) => ((c.args.chunks as Array<{ title?: string }>) ?? []).map((k) => k.title));
    expect(titles).toContain('Running bash');
  });

  it('continues in a new streamed message when Slack closes the stream, losing no text and reopening the code block', async () => {
    s = await native();
    s.slack.closeStreamsAfter(1);
    s.h.model.script(() => ({ kind: 'text', text: longAnswer, pieceDelayMs: 120 }));
    const ts = nextTs();
    await s.event(mention('write me a long script', { ts }));
    const messages = (await answered(s, ts, 1)).filter((m) => m.stream);
    expect(messages.length).toBeGreaterThan(1);
    // All of the answer, in order, across the messages: only the reopened fence line is added.
    const continued = messages.map((m, i) => (i === 0 ? m.text : m.text.replace(/^```python\n/, '').replace(/^…/, ''))).join('');
    expect(continued).toBe(longAnswer);
    // A message that continues inside the code block reopens it, at the start of a whole line.
    for (const m of messages.slice(1)) expect(m.text).toMatch(/^(```python\nprint\("line \d+"\)\n|…)/);
    expect(messages[0]!.text.endsWith('\n')).toBe(true);
    // The buttons still come, in a message of their own when the last stream was closed by Slack.
    expect(threadMessages(s.slack, 'C222', ts).some((m) => feedbackIn(m.blocks))).toBe(true);
  });

  it('rotates a stream before Slack’s size limit, closing and reopening a code block at the cut', async () => {
    s = await native();
    const code = Array.from({ length: Math.ceil((STREAM_MESSAGE_CHARS * 1.5) / 30) }, (_, i) => `const v${String(i).padStart(5, '0')} = ${i}; // pad`);
    const text = ['Big file:', '```ts', ...code, '```', 'The end.'].join('\n');
    s.h.model.script(() => ({ kind: 'text', text }));
    const ts = nextTs();
    await s.event(mention('a big file please', { ts }));
    await expect.poll(() => threadMessages(s!.slack, 'C222', ts).filter((m) => m.stream === 'stopped').length, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
    await s.adapter.stop();
    const messages = threadMessages(s.slack, 'C222', ts);
    expect(messages.length).toBeGreaterThanOrEqual(2);
    for (const m of messages) {
      expect(m.stream).toBe('stopped');
      expect(m.text.length).toBeLessThanOrEqual(STREAM_MESSAGE_CHARS + 10);
      // Each message's code block is whole: fences come in pairs.
      expect(fences(m.text) % 2).toBe(0);
    }
    const lines = messages.flatMap((m) => m.text.split('\n')).filter((l) => l.startsWith('const v'));
    expect(lines).toEqual(code);
    expect(messages.at(-1)!.text.endsWith('The end.')).toBe(true);
    expect(feedbackIn(messages.at(-1)!.blocks)).toBe(true);
  });

  it('falls back to a placeholder edited with the answer where Slack refuses to stream', async () => {
    s = await native();
    s.slack.fail('chat.startStream', { error: 'not_allowed_token_type' });
    const ts = nextTs();
    await s.event(mention('no streams here', { ts }));
    await expect.poll(() => threadMessages(s!.slack, 'C222', ts).map((m) => m.text), { timeout: 60_000 }).toEqual(['you said: no streams here']);
    expect(s.slack.callsTo('chat.update').at(-1)?.args.blocks).toBeDefined();
    expect(feedbackIn(s.slack.callsTo('chat.update').at(-1)?.args.blocks)).toBe(true);
  });
});

describe('feedback buttons', () => {
  it('records 👍/👎 on the thread, thanks the clicker privately, and shows the count in history', async () => {
    s = await native();
    const ts = nextTs();
    await s.event(mention('rate me', { ts }));
    await expect.poll(() => threadMessages(s!.slack, 'C222', ts).filter((m) => m.stream === 'stopped').length, { timeout: 60_000 }).toBe(1);
    const vote = (value: string, user: string, id: string) => {
      const payload = blockAction(s!.slack, FEEDBACK_ACTION, value, { thread: ts, user, responseId: id, message: threadMessages(s!.slack, 'C222', ts)[0]!.ts });
      (payload.actions as Array<Record<string, unknown>>)[0]!.type = 'feedback_buttons';
      return s!.interact(payload);
    };
    await vote('up', 'UHUMAN', 'fb1');
    await vote('down', 'UOTHER', 'fb2');
    await vote('sideways', 'UOTHER', 'fb3');
    await expect.poll(() => s!.slack.responses.map((r) => r.id).sort()).toEqual(['fb1', 'fb2', 'fb3']);
    const said = (id: string) => String(s!.slack.responses.find((r) => r.id === id)!.body.text);
    expect(said('fb1')).toMatch(/Thanks for the 👍/);
    expect(said('fb2')).toMatch(/Thanks for the 👎/);
    expect(said('fb3')).toMatch(/no longer valid/);
    const record = await s.h.app.store.registry.get(sessionIdFor({ platform: 'slack', workspace: 'T111', channel: 'C222', thread: ts }));
    expect(record?.feedback).toMatchObject({ up: 1, down: 1, last: { by: 'UOTHER', vote: 'down' } });
    const history = await s.h.app.conversation.runCommand({ platform: 'slack', workspace: 'T111', channel: 'C222', thread: ts, user: 'UHUMAN' }, { kind: 'history', page: 0 });
    expect(history.text).toContain('feedback 👍 1 👎 1');
    // The operator sees it too, with the thread's permalink.
    const show = await runEntry(['src/bin/cli.ts', 'sessions', 'show', `https://test.slack.com/archives/C222/p${ts.replace('.', '')}`], baseEnv(s.h.env));
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/feedback\s+👍 1 · 👎 1/);
    expect(show.stdout).toMatch(/link\s+https:\/\/test\.slack\.com\/archives\/C222\/p\d+/);
  });
});
