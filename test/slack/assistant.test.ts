/** Slack's AI assistant pane, on real Bolt's `Assistant` against the fake Web API. */
import { afterEach, describe, expect, it } from 'vitest';
import { ASSISTANT_GREETING } from '../../adapters/slack/listeners/assistant.js';
import { toolScript } from '../../testkit/model-server.js';
import { nextTs, startSlackHarness, type SlackHarness } from '../../testkit/slack-harness.js';
import { threadMessages } from '../../testkit/slack-view.js';

let s: SlackHarness | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const DM = 'DASSIST1';
const started = (thread: string) => ({
  type: 'assistant_thread_started',
  assistant_thread: { user_id: 'UHUMAN', channel_id: DM, thread_ts: thread, context: { channel_id: 'C222', team_id: 'T111' } },
  event_ts: nextTs(),
});
const said = (text: string, thread: string) => ({ type: 'message', channel: DM, channel_type: 'im', user: 'UHUMAN', text, ts: nextTs(), thread_ts: thread });
const argsOf = (s: SlackHarness, method: string) => s.slack.callsTo(method).map((c) => c.args);

describe("Slack's agent messaging (agent_view)", () => {
  const opened = (tab: string) => ({ type: 'app_home_opened', user: 'UHUMAN', channel: DM, tab, event_ts: nextTs() });

  it('pins the suggested prompts to the Messages tab when it is opened (once an hour), and answers each top-level message in a thread of its own', async () => {
    s = await startSlackHarness({ env: { SLACK_STREAMING: 'native', SLACK_SUGGESTED_PROMPTS: 'Summarise this channel | Explain a stack trace' } });
    await s.event(opened('home'));
    await s.event(opened('messages'));
    await expect.poll(() => argsOf(s!, 'assistant.threads.setSuggestedPrompts').length, { timeout: 30_000 }).toBe(1);
    const [prompts] = argsOf(s, 'assistant.threads.setSuggestedPrompts');
    expect(prompts).toMatchObject({ channel_id: DM, title: 'Try asking', prompts: [{ title: 'Summarise this channel', message: 'Summarise this channel' }, { title: 'Explain a stack trace', message: 'Explain a stack trace' }] });
    // With a thread, Slack silently ignores the call for an agent.
    expect(prompts).not.toHaveProperty('thread_ts');
    // No greeting posted into the DM: the tab is opened far more often than a conversation starts.
    expect(argsOf(s, 'chat.postMessage')).toEqual([]);
    await s.event(opened('messages'));

    // The first message of a conversation is a plain top-level DM: answered in its own thread.
    const first = nextTs();
    await s.event({ type: 'message', channel: DM, channel_type: 'im', user: 'UHUMAN', text: 'what is a monad?', ts: first });
    await expect.poll(() => threadMessages(s!.slack, DM, first).at(-1)?.text, { timeout: 30_000 }).toMatch(/^you said: what is a monad\?/);
    await s.event(said('and a functor?', first));
    await expect.poll(() => threadMessages(s!.slack, DM, first).at(-1)?.text, { timeout: 30_000 }).toMatch(/^you said: and a functor\? \| earlier: what is a monad\?/);
    expect(argsOf(s, 'assistant.threads.setSuggestedPrompts')).toHaveLength(1);
  });
});

describe('Slack assistant threads (assistant_view, installs from before agent messaging)', () => {
  it('greets a new assistant thread with the configured suggested prompts', async () => {
    s = await startSlackHarness({ env: { SLACK_STREAMING: 'native', SLACK_SUGGESTED_PROMPTS: 'Summarise this channel | Explain a stack trace' } });
    const thread = nextTs();
    await s.event(started(thread));
    await expect.poll(() => argsOf(s!, 'assistant.threads.setSuggestedPrompts').length, { timeout: 30_000 }).toBe(1);
    expect(argsOf(s, 'chat.postMessage')[0]).toMatchObject({ channel: DM, thread_ts: thread, text: ASSISTANT_GREETING });
    expect(argsOf(s, 'assistant.threads.setSuggestedPrompts')[0]).toMatchObject({
      channel_id: DM,
      thread_ts: thread,
      prompts: [
        { title: 'Summarise this channel', message: 'Summarise this channel' },
        { title: 'Explain a stack trace', message: 'Explain a stack trace' },
      ],
    });
  });

  it('answers in the assistant thread as one session: status while thinking, title from the first prompt, context kept', async () => {
    s = await startSlackHarness({ env: { SLACK_STREAMING: 'native' } });
    const thread = nextTs();
    await s.event(started(thread));
    await s.event(said('How do I rotate my deploy keys safely?', thread));
    await expect.poll(() => threadMessages(s!.slack, DM, thread).filter((m) => m.stream === 'stopped').map((m) => m.text), { timeout: 30_000 }).toEqual([
      'you said: How do I rotate my deploy keys safely?',
    ]);
    await expect.poll(() => argsOf(s!, 'assistant.threads.setTitle'), { timeout: 30_000 }).toEqual([
      expect.objectContaining({ channel_id: DM, thread_ts: thread, title: 'How do I rotate my deploy keys safely?' }),
    ]);
    const statuses = argsOf(s, 'assistant.threads.setStatus');
    expect(statuses[0]).toMatchObject({ channel_id: DM, thread_ts: thread, status: 'is thinking…' });
    await s.event(said('and the old ones?', thread));
    await expect.poll(() => threadMessages(s!.slack, DM, thread).filter((m) => m.stream === 'stopped').length, { timeout: 30_000 }).toBe(2);
    expect(threadMessages(s.slack, DM, thread).at(-1)!.text).toBe('you said: and the old ones? | earlier: How do I rotate my deploy keys safely?');
    // Titled once, when the session was made.
    expect(argsOf(s, 'assistant.threads.setTitle')).toHaveLength(1);
    const record = await s.h.app.store.registry.get(`slack-T111-${DM}-${thread.replace('.', '_')}` as never);
    expect(record).toMatchObject({ direct: true, startedBy: 'UHUMAN', turns: 2, opening: 'How do I rotate my deploy keys safely?' });
  });

  it('shows the running tool as the thread’s status', async () => {
    s = await startSlackHarness({ env: { SLACK_STREAMING: 'native', COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none', TOOLS_SANDBOX: 'off' } });
    s.h.model.script(toolScript);
    const thread = nextTs();
    await s.event(said('run assisted', thread));
    await expect.poll(() => threadMessages(s!.slack, DM, thread).some((m) => m.text.includes('tool answer: made-assisted')), { timeout: 30_000 }).toBe(true);
    expect(argsOf(s, 'assistant.threads.setStatus').map((a) => a.status)).toEqual(expect.arrayContaining(['is thinking…', 'is running bash…']));
  });

  it('keeps a long turn visibly alive: the status is set again and the stream says how long it has taken', async () => {
    // The model takes a second; the turn says it still runs every 200 ms (a minute in production).
    s = await startSlackHarness({ env: { SLACK_STREAMING: 'native' }, keepAliveMs: 200, script: () => ({ kind: 'text', text: 'done at last', delayMs: 1200 }) });
    const thread = nextTs();
    await s.event(said('a slow one', thread));
    await expect.poll(() => threadMessages(s!.slack, DM, thread).filter((m) => m.stream === 'stopped').map((m) => m.text), { timeout: 30_000 }).toEqual(['done at last']);
    const refreshed = argsOf(s, 'assistant.threads.setStatus').filter((a) => a.status === 'is thinking…');
    expect(refreshed.length).toBeGreaterThanOrEqual(2);
    const alive = argsOf(s, 'chat.appendStream').flatMap((a) => (a.chunks as Array<{ title?: string }>) ?? []).map((c) => c.title ?? '');
    expect(alive.some((t) => /^Thinking · \d+s$/.test(t))).toBe(true);
  });
});

