/** Real Bolt + fake Slack API + real Copilot runtime: every Slack thread is a session. */
import { splitContext } from '../../src/core/thread-context.js';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { THINKING } from '../../adapters/slack/replier.js';
import { mention, message, nextTs, startSlackHarness, type SlackHarness } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';

let s: SlackHarness | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

/** Waits until the thread shows `count` finished answers (no placeholder left). */
async function answers(s: SlackHarness, thread: string, count: number, channel = 'C222'): Promise<string[]> {
  await expect
    .poll(() => threadTexts(s.slack, channel, thread).filter((t) => t !== THINKING && !t.endsWith(' …')).length, { timeout: 30_000, interval: 20 })
    .toBeGreaterThanOrEqual(count);
  return threadTexts(s.slack, channel, thread);
}

describe('Slack threads', () => {
  it('answers a mention in its thread, resuming that thread’s session', async () => {
    s = await startSlackHarness();
    const thread = '1700000050.000100';
    const res = await s.event(mention('hello', { thread_ts: thread }));
    expect(res.status).toBe(200);
    expect(await answers(s, thread, 1)).toEqual(['you said: hello']);
    await s.event(mention('again', { thread_ts: thread }));
    expect(await answers(s, thread, 2)).toEqual(['you said: hello', 'you said: again | earlier: hello']);
    expect(fs.existsSync(s.h.sessionDir('slack-T111-C222-1700000050_000100'))).toBe(true);
    // The placeholder was shown first, in the thread.
    expect(s.slack.callsTo('chat.postMessage')[0]?.args).toMatchObject({ channel: 'C222', thread_ts: thread, text: THINKING });
  });

  it('answers a top-level mention in a new thread under it, which becomes the session', async () => {
    s = await startSlackHarness();
    const ts = nextTs();
    await s.event(mention('start here', { ts }));
    expect(await answers(s, ts, 1)).toEqual(['you said: start here']);
    await s.event(mention('and continue', { thread_ts: ts }));
    expect((await answers(s, ts, 2))[1]).toBe('you said: and continue | earlier: start here');
  });

  it('answers follow-ups in a thread with a session without a new mention, and ignores other chatter', async () => {
    s = await startSlackHarness();
    const thread = nextTs();
    await s.event(mention('first', { ts: thread }));
    await answers(s, thread, 1);
    await s.event(message('follow-up', { thread_ts: thread }));
    expect((await answers(s, thread, 2))[1]).toBe('you said: follow-up | earlier: first');

    await s.event(message('top-level chatter'));
    await s.event(message('a thread without a session', { thread_ts: nextTs() }));
    await s.event(message('edited', { thread_ts: thread, subtype: 'message_changed' }));
    await s.event(message('joined', { subtype: 'channel_join' }));
    await s.event(message('from a bot', { thread_ts: thread, bot_id: 'B2', user: 'U9' }));
    await s.event(message('from myself', { thread_ts: thread, user: 'UBOT' }));
    await s.event(message('sent by the bot', { thread_ts: thread, subtype: 'bot_message' }));
    await s.event(mention('new mention', { thread_ts: thread }));
    await answers(s, thread, 3);
    // Other bots' messages are part of the thread (marked as bots); the bot's own and the system's are not.
    expect(s.h.model.requests.at(-1)!.userTexts.at(-1)).toMatch(/^<thread_context>\nSince your last answer, people in the thread said \(2 messages\), not addressed to you:\n\[[-\d: ]+ UTC\] name-U9 \(bot\): from a bot\n\[[-\d: ]+ UTC\] name-UHUMAN \(bot\): sent by the bot\n<\/thread_context>\n\nnew mention$/);
    // Nothing but the mention reached the model or the channel.
    expect(s.slack.callsTo('chat.postMessage').slice(2).every((c) => c.args.thread_ts === thread)).toBe(true);
    expect(s.h.model.requests.map((r) => splitContext(r.userTexts.at(-1)!).question)).toEqual(['first', 'follow-up', 'new mention']);
  });

  it('needs a mention for follow-ups when SLACK_REPLY_WITHOUT_MENTION=false', async () => {
    s = await startSlackHarness({ env: { SLACK_REPLY_WITHOUT_MENTION: 'false' } });
    const thread = nextTs();
    await s.event(mention('first', { ts: thread }));
    await answers(s, thread, 1);
    await s.event(message('no mention', { thread_ts: thread }));
    await s.event(mention('with mention', { thread_ts: thread }));
    await answers(s, thread, 2);
    // Not answered, but not lost: it comes with the next turn, once.
    expect(splitContext(s.h.model.requests[1]!.userTexts.at(-1)!)).toEqual({ question: 'with mention', context: '1 message said in the thread since the last answer' });
    await s.event(mention('third', { thread_ts: thread }));
    await answers(s, thread, 3);
    expect(s.h.model.requests[2]!.userTexts.at(-1)).toBe('third');
  });

  it('treats each DM thread as a session', async () => {
    s = await startSlackHarness();
    const dm = nextTs();
    await s.event(message('private question', { channel: 'D111', channel_type: 'im', ts: dm }));
    expect(await answers(s, dm, 1, 'D111')).toEqual(['you said: private question']);
    await s.event(message('more', { channel: 'D111', channel_type: 'im', thread_ts: dm }));
    expect((await answers(s, dm, 2, 'D111'))[1]).toBe('you said: more | earlier: private question');
    expect(fs.existsSync(s.h.sessionDir(`slack-T111-D111-${dm.replace('.', '_')}`))).toBe(true);
  });

  it('keeps thread A and thread B apart, and two workspaces with the same ids apart', async () => {
    s = await startSlackHarness();
    const a = nextTs();
    const b = nextTs();
    await s.event(mention('secret A', { ts: a }));
    await answers(s, a, 1);
    await s.event(mention('hello B', { ts: b }));
    expect(await answers(s, b, 1)).toEqual(['you said: hello B']);
    await s.event(mention('other team', { thread_ts: a }), { team: 'T999' });
    await expect.poll(() => s!.h.model.requests.length).toBe(3);
    // (The fake keeps one history per channel id, so team one's message shows as the thread's context.)
    expect(splitContext(s.h.model.requests[2]!.userTexts.at(-1)!).question).toBe('other team');
    expect(s.h.model.requests[2]!.userTexts).toHaveLength(1);
    expect(fs.existsSync(s.h.sessionDir(`slack-T999-C222-${a.replace('.', '_')}`))).toBe(true);
  });

  it('uses the enterprise id when an event has no team', async () => {
    s = await startSlackHarness();
    const ts = nextTs();
    const body = mention('grid', { ts });
    await s.event(body, { team: '', enterprise: 'E123' });
    await expect.poll(() => fs.existsSync(s!.h.sessionDir(`slack-E123-C222-${ts.replace('.', '_')}`)), { timeout: 30_000 }).toBe(true);
  });

  it('remembers a thread after a restart between two mentions', async () => {
    s = await startSlackHarness();
    const thread = nextTs();
    await s.event(mention('before restart', { ts: thread }));
    await answers(s, thread, 1);
    await s.restart();
    await s.event(mention('after restart', { thread_ts: thread }));
    expect((await answers(s, thread, 2))[1]).toBe('you said: after restart | earlier: before restart');
  });
});
