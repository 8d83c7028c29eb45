/**
 * The thread is the context (Slack): the thread before the bot's first turn, what people said
 * between turns, who is answered without a mention, and the message shapes people send.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { THINKING } from '../../adapters/slack/replier.js';
import { splitContext } from '../../src/core/thread-context.js';
import { mention, message, nextTs, startSlackHarness, type SlackHarness } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';

let s: SlackHarness | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function answers(s: SlackHarness, thread: string, count: number, channel = 'C222'): Promise<string[]> {
  await expect
    .poll(() => threadTexts(s.slack, channel, thread).filter((t) => t !== THINKING && !t.endsWith(' …')).length, { timeout: 30_000, interval: 20 })
    .toBeGreaterThanOrEqual(count);
  return threadTexts(s.slack, channel, thread);
}

/** What the model was last asked, as the person wrote it and with what came along. */
const lastPrompt = (s: SlackHarness) => s.h.model.requests.at(-1)!.userTexts.at(-1)!;
const contextLines = (prompt: string) => prompt.split('\n</thread_context>')[0]!.split('\n').slice(2);

describe('Slack: the thread is the context', () => {
  it('gives the first turn the thread so far, with names and in order; later turns only what is new', async () => {
    s = await startSlackHarness();
    s.slack.people({ UALICE: 'Alice', UBOB: 'Bob' });
    const root = nextTs();
    s.slack.said(message('The API is down since 9:02 <!here>', { ts: root, user: 'UALICE' }));
    s.slack.said(message('Only in eu-west? <@UALICE>', { thread_ts: root, user: 'UBOB' }));
    s.slack.said(message('yes, see <https://status.test/1|the status page>', { thread_ts: root, user: 'UALICE' }));
    await s.event(mention('what do we know so far?', { thread_ts: root, user: 'UBOB' }));
    await answers(s, root, 1);
    const first = lastPrompt(s);
    expect(first.split('\n')[1]).toBe('Earlier messages of this chat thread, before you were asked (3 messages):');
    expect(contextLines(first).map((l) => l.replace(/^\[[-\d: ]+ UTC\] /, ''))).toEqual([
      'Alice: The API is down since 9:02 @here',
      'Bob: Only in eu-west? @Alice',
      'Alice: yes, see the status page (https://status.test/1)',
    ]);
    expect(splitContext(first).question).toBe('what do we know so far?');

    // A later turn: the bot's own answer is not repeated, nor what the first turn saw.
    await s.event(mention('and now?', { thread_ts: root, user: 'UBOB' }));
    await answers(s, root, 2);
    expect(lastPrompt(s)).toBe('and now?');

    // History shows the words, and how much of the thread came with them.
    await s.event(mention('history', { thread_ts: root, user: 'UBOB' }));
    await expect.poll(() => s!.slack.callsTo('chat.postEphemeral').length, { timeout: 30_000 }).toBe(1);
    const shown = JSON.stringify(s.slack.callsTo('chat.postEphemeral')[0]!.args.blocks);
    // (The scripted model echoes its whole prompt, so only the person's entry is checked.)
    expect(shown).toContain('*user*: what do we know so far? _(with 3 messages of the thread before)_\\n*copilot*');
  });

  it('keeps the newest 50 of a long thread (read a page at a time) and says how many were left out', async () => {
    s = await startSlackHarness();
    const root = nextTs();
    s.slack.said(message('message 0', { ts: root }));
    for (let i = 1; i < 250; i++) s.slack.said(message(`message ${i}`, { thread_ts: root, user: `U${i % 3}` }));
    await s.event(mention('summarise', { thread_ts: root }));
    await answers(s, root, 1);
    const prompt = lastPrompt(s);
    expect(prompt.split('\n')[1]).toBe('Earlier messages of this chat thread, before you were asked (50 messages; 200 older messages left out):');
    const lines = contextLines(prompt);
    expect(lines[0]).toMatch(/: message 200$/);
    expect(lines.at(-1)).toMatch(/: message 249$/);
    expect(s.slack.callsTo('conversations.replies').length).toBeGreaterThanOrEqual(2);
  });

  it('answers follow-ups without a mention only from the thread’s starter (SLACK_REPLY_WITHOUT_MENTION=starter); the others’ reach the next turn', async () => {
    s = await startSlackHarness();
    s.slack.people({ UALICE: 'Alice', UBOB: 'Bob' });
    const root = nextTs();
    await s.event(mention('help me with the outage', { ts: root, user: 'UALICE' }));
    await answers(s, root, 1);
    await s.event(message('I think it is DNS', { thread_ts: root, user: 'UBOB' }));
    await s.event(message('could it be DNS?', { thread_ts: root, user: 'UALICE' }));
    await answers(s, root, 2);
    expect(s.h.model.requests).toHaveLength(2);
    const prompt = lastPrompt(s);
    expect(splitContext(prompt)).toEqual({ question: 'could it be DNS?', context: '1 message said in the thread since the last answer' });
    expect(contextLines(prompt)[0]).toMatch(/\] Bob: I think it is DNS$/);
    // Bob is answered when he mentions the bot.
    await s.event(mention('and the TTL?', { thread_ts: root, user: 'UBOB' }));
    await answers(s, root, 3);
    expect(lastPrompt(s)).toBe('and the TTL?');
  });

  it('answers everyone’s follow-ups with SLACK_REPLY_WITHOUT_MENTION=all', async () => {
    s = await startSlackHarness({ env: { SLACK_REPLY_WITHOUT_MENTION: 'all' } });
    const root = nextTs();
    await s.event(mention('start', { ts: root, user: 'UALICE' }));
    await answers(s, root, 1);
    await s.event(message('me too', { thread_ts: root, user: 'UBOB' }));
    await answers(s, root, 2);
    expect(lastPrompt(s)).toBe('me too');
  });

  it('answers the message shapes people send: a broadcast reply, a file share, /me; never Slackbot', async () => {
    s = await startSlackHarness();
    const root = nextTs();
    await s.event({ ...mention('also in the channel', { thread_ts: root }), subtype: 'thread_broadcast' });
    await answers(s, root, 1);
    expect(splitContext(lastPrompt(s)).question).toBe('also in the channel');
    const dm = nextTs();
    await s.event({ ...message('here is the log', { channel: 'D111', channel_type: 'im', ts: dm }), subtype: 'file_share', files: [{ id: 'F1', name: 'app.log' }] });
    // Two replies: the answer, and the note that the file (no download address here) was not read.
    await expect.poll(() => s!.h.model.requests.length, { timeout: 30_000 }).toBe(2);
    await answers(s, dm, 2, 'D111');
    expect(lastPrompt(s)).toMatch(/^here is the log\n\n\(Also attached, but not readable here: app\.log/);
    expect(threadTexts(s.slack, 'D111', dm).join('\n')).toContain('app.log: it could not be downloaded');
    const me = nextTs();
    await s.event({ ...message('waves', { channel: 'D111', channel_type: 'im', ts: me }), subtype: 'me_message' });
    await answers(s, me, 1, 'D111');
    const asked = s.h.model.requests.length;
    await s.event(message('You have been removed from #ops', { channel: 'D111', channel_type: 'im', user: 'USLACKBOT' }));
    await s.event(message('after slackbot', { channel: 'D111', channel_type: 'im' }));
    await expect.poll(() => s!.h.model.requests.length, { timeout: 30_000 }).toBe(asked + 1);
    expect(lastPrompt(s)).toBe('after slackbot');
  });

  it('gives the model what a shared message says (with or without a comment)', async () => {
    s = await startSlackHarness();
    const share = { is_share: true, author_name: 'Alice', text: 'deploy 42 failed: disk full', ts: '1700000000.000100', fallback: '[Alice] deploy 42 failed' };
    const ts = nextTs();
    await s.event({ ...message('', { channel: 'D111', channel_type: 'im', ts }), attachments: [share] });
    await answers(s, ts, 1, 'D111');
    expect(lastPrompt(s)).toBe('Brought along with this message (shared, forwarded or replied to):\n[2023-11-14 22:13 UTC] Alice: deploy 42 failed: disk full');
    const ts2 = nextTs();
    await s.event({ ...message('why?', { channel: 'D111', channel_type: 'im', ts: ts2 }), attachments: [share] });
    await answers(s, ts2, 1, 'D111');
    expect(lastPrompt(s)).toMatch(/^why\?\n\nBrought along with this message .*\n.*Alice: deploy 42 failed: disk full$/);
  });

  it('acknowledges another app’s button and an unknown slash command at once, without an error', async () => {
    s = await startSlackHarness();
    const button = await s.interact({
      type: 'block_actions',
      user: { id: 'UHUMAN', team_id: 'T111' },
      team: { id: 'T111' },
      api_app_id: 'A999',
      container: { type: 'message', channel_id: 'C222', message_ts: '1700000000.000100' },
      channel: { id: 'C222' },
      actions: [{ type: 'button', action_id: 'deploy_now', block_id: 'b', value: 'x', action_ts: '1700000001.000100' }],
      response_url: s.slack.responseUrl('other'),
      trigger_id: 't',
    });
    expect(button.status).toBe(200);
    const form = new URLSearchParams({ token: 'x', command: '/deploy', text: 'prod', team_id: 'T111', channel_id: 'C222', user_id: 'UHUMAN', api_app_id: 'A111', response_url: s.slack.responseUrl('cmd'), trigger_id: 't' });
    const command = await s.post('/slack/events', form.toString(), 'application/x-www-form-urlencoded');
    expect(command.status).toBe(200);
    expect(s.h.model.requests).toHaveLength(0);
  });
});
