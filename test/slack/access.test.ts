/** Access rules on real Bolt: a refused person sees one private note per thread, nothing is posted in the thread, no model call. */
import { splitContext } from '../../src/core/thread-context.js';
import { afterEach, describe, expect, it } from 'vitest';
import { mention, message, nextTs, startSlackHarness, type SlackHarness } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';
import { StoreUnavailableError } from '../../src/infra/store-calls.js';

let s: SlackHarness | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('Slack access rules', () => {
  it('refuses people not on ALLOWED_USERS privately, once per thread, with no placeholder and no model call', async () => {
    s = await startSlackHarness({ env: { ALLOWED_USERS: 'slack:UHUMAN' } });
    const ts = nextTs();
    await s.event(mention('let me in', { ts, user: 'USTRANGER' }));
    await expect.poll(() => s!.slack.callsTo('chat.postEphemeral').length).toBe(1);
    expect(s.slack.callsTo('chat.postEphemeral')[0]!.args).toMatchObject({ channel: 'C222', user: 'USTRANGER', thread_ts: ts, text: expect.stringMatching(/only answer the people/) });
    await s.event(mention('please?', { thread_ts: ts, user: 'USTRANGER' }));
    // The allowed person's turn in the same thread proves the stranger's second message was handled (quietly) before it.
    await s.event(mention('hello', { thread_ts: ts }));
    await expect.poll(() => threadTexts(s!.slack, 'C222', ts).filter((t) => t.startsWith('you said:')).length).toBe(1);
    expect(s.slack.callsTo('chat.postEphemeral')).toHaveLength(1);
    // The stranger could not use the bot, but what they wrote is part of the thread the allowed person asked in.
    expect(s.h.model.requests.map((r) => splitContext(r.userTexts.at(-1)!))).toEqual([{ question: 'hello', context: '2 messages of the thread before' }]);
    // A follow-up without a mention in a thread that now has a session: still refused, quietly.
    await s.event(message('and me', { thread_ts: ts, user: 'USTRANGER' }));
    await s.event(mention('again', { thread_ts: ts }));
    await expect.poll(() => threadTexts(s!.slack, 'C222', ts).filter((t) => t.startsWith('you said:')).length).toBe(2);
    expect(s.h.model.requests.map((r) => splitContext(r.userTexts.at(-1)!).question)).toEqual(['hello', 'again']);
  });

  it('tells a person over the limit privately, and not in the thread', async () => {
    s = await startSlackHarness({ env: { MAX_PROMPT_CHARS: '10' } });
    const ts = nextTs();
    await s.event(mention('this is far too long', { ts }));
    await expect.poll(() => s!.slack.callsTo('chat.postEphemeral').length).toBe(1);
    expect(String(s.slack.callsTo('chat.postEphemeral')[0]!.args.text)).toMatch(/characters long; I take at most 10/);
    expect(threadTexts(s.slack, 'C222', ts)).toEqual([]);
    expect(s.h.model.requests).toHaveLength(0);
  });

  it('says so in the thread when the store cannot count the budget (it is down), instead of answering nothing', async () => {
    s = await startSlackHarness({ env: { USER_MESSAGES_PER_MINUTE: '20' } });
    s.h.app.store.limits.take = () => Promise.reject(new StoreUnavailableError(s!.h.config.storeUrl, new Error('connect ECONNREFUSED')));
    const ts = nextTs();
    await s.event(mention('anyone there?', { ts }));
    await expect.poll(() => threadTexts(s!.slack, 'C222', ts)).toEqual([expect.stringMatching(/storage is unavailable/)]);
    expect(s.h.model.requests).toHaveLength(0);
  });
});
