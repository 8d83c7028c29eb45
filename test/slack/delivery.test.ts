/** Requests as Slack sends them, good and bad; retries, duplicates and API failures. */
import { afterEach, describe, expect, it } from 'vitest';
import { THINKING } from '../../adapters/slack/replier.js';
import { echoReply } from '../../testkit/model-server.js';
import { mention, message, nextTs, startSlackHarness, type SlackHarness } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';

let s: SlackHarness | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const finished = (s: SlackHarness, thread: string) => threadTexts(s.slack, 'C222', thread).filter((t) => t !== THINKING);

describe('Slack request handling', () => {
  it('answers url_verification and serves /healthz on the same port', async () => {
    s = await startSlackHarness();
    const res = await s.post('/slack/events', JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' }), 'application/json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: 'abc123' });
    s.http.setReady(true);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('rejects a wrong signature or a stale timestamp with 401 and posts nothing', async () => {
    s = await startSlackHarness();
    const body = JSON.stringify({ type: 'event_callback', team_id: 'T111', event_id: 'EvBad', event: mention('hi', { ts: nextTs() }) });
    expect((await s.post('/slack/events', body, 'application/json', {}, 'wrong-secret')).status).toBe(401);
    const { signed } = await import('../../testkit/fake-slack.js');
    const stale = signed(body, 'application/json', 'test-signing-secret', Math.floor(Date.now() / 1000) - 400);
    expect((await fetch(`${s.url}/slack/events`, { method: 'POST', headers: stale, body })).status).toBe(401);
    expect(s.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(s.h.model.requests).toHaveLength(0);
  });

  it('answers 400 to a malformed body and keeps serving', async () => {
    s = await startSlackHarness();
    expect((await s.post('/slack/events', '{"not json', 'application/json')).status).toBe(400);
    expect((await s.post('/slack/events', 'payload=%7Bbroken', 'application/x-www-form-urlencoded')).status).toBeGreaterThanOrEqual(400);
    const ts = nextTs();
    await s.event(mention('still alive?', { ts }));
    await expect.poll(() => finished(s!, ts), { timeout: 30_000 }).toEqual(['you said: still alive?']);
  });

  it('a mention whose payload cannot be read does not hold its thread: the next one is answered', async () => {
    s = await startSlackHarness();
    const root = nextTs();
    await s.event(mention('first', { ts: root }));
    await expect.poll(() => finished(s!, root), { timeout: 30_000 }).toEqual(['you said: first']);
    // Fields of the wrong shape: reading them throws after the message took its place in line.
    await s.event({ ...mention('broken', { thread_ts: root }), attachments: { is_share: true }, files: 'x' });
    await s.event(mention('still there?', { thread_ts: root }));
    await expect.poll(() => finished(s!, root).length, { timeout: 30_000 }).toBe(2);
    expect(finished(s, root)[1]).toMatch(/^you said: still there\?/);
    expect(s.h.model.requests.map((r) => r.userTexts.at(-1))).toEqual(['first', 'still there?']);
  });

  it('answers a retried event and the app_mention + message pair exactly once', async () => {
    s = await startSlackHarness();
    const ts = nextTs();
    const event = mention('once please', { ts });
    await Promise.all([
      s.event(event, { eventId: 'EvSame' }),
      s.event(event, { eventId: 'EvSame', retryNum: 1 }),
      // Slack also sends a `message` event for the same mention when subscribed to both.
      s.event({ ...message(String(event.text), { ts, channel: 'C222' }) }, { eventId: 'EvOther' }),
    ]);
    await expect.poll(() => finished(s!, ts), { timeout: 30_000 }).toEqual(['you said: once please']);
    // A late retry, after the answer, is still recognised (the delivery was recorded in the store).
    await s.event(event, { eventId: 'EvSame', retryNum: 2 });
    await s.event(mention('next', { thread_ts: ts }));
    await expect.poll(() => finished(s!, ts).length, { timeout: 30_000 }).toBe(2);
    expect(s.h.model.requests.map((r) => r.userTexts.at(-1))).toEqual(['once please', 'next']);
  });

  it('remembers deliveries across a restart', async () => {
    s = await startSlackHarness();
    const ts = nextTs();
    const event = mention('before', { ts });
    await s.event(event, { eventId: 'EvR' });
    await expect.poll(() => finished(s!, ts).length, { timeout: 30_000 }).toBe(1);
    await s.restart();
    await s.event(event, { eventId: 'EvR', retryNum: 3 });
    await s.event(mention('after', { thread_ts: ts }));
    await expect.poll(() => finished(s!, ts).length, { timeout: 30_000 }).toBe(2);
    expect(s.h.model.requests).toHaveLength(2);
  });

  it('waits out a 429 from Slack (Retry-After) and still delivers the answer', async () => {
    s = await startSlackHarness();
    s.slack.fail('chat.update', { status: 429, retryAfter: 1 });
    const ts = nextTs();
    await s.event(mention('rate limited', { ts }));
    // The placeholder itself was updated once Slack allowed it: no fallback message.
    await expect.poll(() => threadTexts(s!.slack, 'C222', ts), { timeout: 30_000 }).toEqual(['you said: rate limited']);
    expect(s.slack.callsTo('chat.update')).toHaveLength(2);
    // Both tries are counted (once the bot has Slack's answer, a moment after the fake saw the call):
    // the 429 as an error, the retry as a call that worked.
    await expect.poll(() => s!.h.app.metrics.text()).toMatch(/copilot_threads_platform_api_calls_total\{platform="slack",method="chat\.update",status="200"\} 1/);
    expect(await s.h.app.metrics.text()).toMatch(/copilot_threads_platform_api_errors_total\{platform="slack",method="chat\.update",status="429"\} 1/);
  });

  it('posts the answer as a new message when the placeholder cannot be updated', async () => {
    s = await startSlackHarness();
    s.slack.fail('chat.update', { error: 'message_not_found' });
    const ts = nextTs();
    await s.event(mention('where does it go', { ts }));
    await expect.poll(() => threadTexts(s!.slack, 'C222', ts), { timeout: 30_000 }).toEqual([THINKING, 'you said: where does it go']);
    // Slack's ok:false comes with HTTP 200: still an error.
    await expect.poll(() => s!.h.app.metrics.text()).toMatch(/copilot_threads_platform_api_errors_total\{platform="slack",method="chat\.update",status="200"\} 1/);
  });

  it('survives Slack failing to post the answer, and answers the next message', async () => {
    s = await startSlackHarness();
    const ts = nextTs();
    // Slack is down for every retry (two) of both calls of this turn: placeholder and answer.
    s.slack.fail('chat.postMessage', { status: 500 }, 6);
    await s.event(mention('lost in transit', { ts }));
    await expect.poll(() => s!.slack.callsTo('chat.postMessage').length, { timeout: 30_000 }).toBe(6);
    await s.event(mention('second try', { thread_ts: ts }));
    await expect.poll(() => finished(s!, ts).at(-1), { timeout: 30_000 }).toMatch(/^you said: second try \| earlier: lost in transit/);
  });

  it('tells the thread when the model fails, and the thread keeps working', async () => {
    let fail = true;
    s = await startSlackHarness({ env: { TURN_TIMEOUT_SECONDS: '2' }, script: (req) => (fail ? { kind: 'hang' } : echoReply(req)) });
    const ts = nextTs();
    await s.event(mention('slow one', { ts }));
    await expect.poll(() => finished(s!, ts)[0], { timeout: 30_000 }).toMatch(/took longer than 2 s/);
    expect(await s.h.app.metrics.text()).toMatch(/copilot_threads_turns_total\{platform="slack",outcome="timeout"\} 1/);
    fail = false;
    await s.event(mention('quick one', { thread_ts: ts }));
    await expect.poll(() => finished(s!, ts)[1], { timeout: 30_000 }).toMatch(/^you said: quick one/);
  });
});
