/**
 * Scale out: two built bots (`node dist/src/bin/bot.js`) with different COPILOT_HOME folders, as on
 * two machines, sharing a Redis store (STORE_URL) and PostgreSQL session state
 * (SESSION_STATE_URL). Any instance continues any thread with its whole context; a message for a
 * thread the other instance is busy with waits, never "busy"; a killed instance's thread is
 * served by the other once its lease expires; a delivery reaching both is answered once; forget on
 * one is a fresh session on the other.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { echoReply } from '../../testkit/model-server.js';
import { mention, message } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';
import { freePort } from '../../testkit/process.js';
import { service } from '../../testkit/services.js';
import { exitOf, runBuilt, startStack, type Proc, type Stack } from '../../testkit/bot-process.js';

let stack: Stack;
let bots: Proc[] = [];
let ports: [number, number];
let shared: Record<string, string> | undefined;

beforeAll(async () => {
  stack = await startStack({
    script: (req) => (req.userTexts.at(-1)?.startsWith('never finishes') ? { kind: 'hang' } : echoReply(req)),
    env: { DISCORD_TOKEN: '', LOG_LEVEL: 'debug' },
  });
  const [redis, pg] = [await service('Redis'), await service('Postgres')];
  if (redis && pg) shared = { STORE_URL: redis, SESSION_STATE_URL: pg, SESSION_LEASE_SECONDS: '3' };
});

afterEach(async () => {
  for (const bot of bots) bot.signalGroup('SIGKILL');
  await Promise.all(bots.map((b) => b.exited));
  bots = [];
});

afterAll(() => stack.close());

/** Two instances, each with its own empty COPILOT_HOME (nothing shared on disk). */
async function twoInstances(): Promise<void> {
  const second = await freePort();
  const run = `${Date.now()}`;
  bots = await Promise.all([
    stack.startBot({ ...shared, COPILOT_HOME: path.join(stack.dir, `a-${run}`) }),
    stack.startBot({ ...shared, COPILOT_HOME: path.join(stack.dir, `b-${run}`), PORT: String(second) }),
  ]);
  ports = [stack.port, second];
}

/** Slack timestamps unique to this run (Redis keeps delivery claims for a day). */
const base = Math.floor(Date.now() / 1000) * 10 + (process.pid % 10);
let seq = 0;
const ts = () => `${base}.${String(++seq).padStart(6, '0')}`;
const answers = (thread: string) => threadTexts(stack.slack, 'C222', thread).filter((t) => t.startsWith('you said:'));
const noBusy = (thread: string) => expect(threadTexts(stack.slack, 'C222', thread).join('\n')).not.toMatch(/another copilot-threads process|try again|went wrong/i);

describe('two instances on different disks sharing Redis and PostgreSQL', () => {
  it('messages of one Slack thread alternating between them: each answer sees every earlier turn, one answer per message', async () => {
    if (!shared) return;
    await twoInstances();
    const thread = ts();
    const texts = Array.from({ length: 6 }, (_, i) => `alternating ${i + 1} of ${thread}`);
    for (const [i, text] of texts.entries()) {
      const event = i === 0 ? mention(text, { ts: thread }) : message(text, { ts: ts(), thread_ts: thread });
      expect((await stack.slackEvent(event, undefined, ports[i % 2])).status).toBe(200);
      const want = `you said: ${text}${i ? ` | earlier: ${texts.slice(0, i).join('; ')}` : ''}`;
      await expect.poll(() => answers(thread).at(-1)).toBe(want);
    }
    expect(answers(thread)).toHaveLength(texts.length);
    noBusy(thread);
    for (const port of ports) {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect({ status: health.status, body: await health.json() }).toEqual({ status: 200, body: { ok: true, store: 'ok', runtime: 'ok', model: 'ok', sessionState: 'ok' } });
    }
    for (const bot of bots) {
      bot.signalGroup('SIGTERM');
      expect((await exitOf(bot)).code).toBe(0);
    }
  });

  it('20 messages for one thread sent at once, spread over both: all answered, none "busy", each seeing every turn before it', async () => {
    if (!shared) return;
    await twoInstances();
    const thread = ts();
    const marker = `burst${thread}`;
    const texts = Array.from({ length: 20 }, (_, i) => `${marker} m${i + 1}`);
    expect((await stack.slackEvent(mention(texts[0]!, { ts: thread }), undefined, ports[0])).status).toBe(200);
    await expect.poll(() => answers(thread).length).toBe(1);
    await Promise.all(texts.slice(1).map((text, i) => stack.slackEvent(message(text, { ts: ts(), thread_ts: thread }), undefined, ports[(i + 1) % 2])));
    await expect.poll(() => answers(thread).length, { timeout: 90_000 }).toBe(20);
    noBusy(thread);
    // The turns ran in some order; each was sent every turn that ran before it, in that order.
    const asked = stack.model.requests.filter((r) => r.userTexts.at(-1)?.startsWith(marker)).map((r) => r.userTexts);
    expect(asked).toHaveLength(20);
    const order = asked.at(-1)!;
    expect([...order].sort()).toEqual([...texts].sort());
    for (const [i, userTexts] of asked.entries()) expect(userTexts).toEqual(order.slice(0, i + 1));
  }, 150_000);

  it('kill -9 of the instance holding a thread mid-turn: the other serves the next message once the lease expires, context intact', async () => {
    if (!shared) return;
    await twoInstances();
    const thread = ts();
    await stack.slackEvent(mention('remember the blue door', { ts: thread }), undefined, ports[0]);
    await expect.poll(() => answers(thread)).toEqual(['you said: remember the blue door']);
    await stack.slackEvent(message('never finishes', { ts: ts(), thread_ts: thread }), undefined, ports[0]);
    await expect.poll(() => stack.model.requests.map((r) => r.userTexts.at(-1))).toContain('never finishes');
    bots[0]!.signalGroup('SIGKILL');
    await bots[0]!.exited;

    await stack.slackEvent(message('what door?', { ts: ts(), thread_ts: thread }), undefined, ports[1]);
    await expect.poll(() => answers(thread).at(-1), { timeout: 60_000 }).toMatch(/^you said: what door\? \| earlier: remember the blue door/);
    noBusy(thread);
  }, 120_000);

  it('the same Slack event, and its retry, delivered to both instances: answered once', async () => {
    if (!shared) return;
    await twoInstances();
    const thread = ts();
    const text = `only once ${thread}`;
    const event = mention(text, { ts: thread });
    await Promise.all([stack.slackEvent(event, `Ev${thread}`, ports[0]), stack.slackEvent(event, `Ev${thread}`, ports[1])]);
    await expect.poll(() => answers(thread)).toEqual([`you said: ${text}`]);
    await stack.slackEvent(event, `Ev${thread}`, ports[1], 1);
    await stack.slackEvent(event, `Ev${thread}`, ports[0], 2);
    await expect.poll(() => bots.map((b) => (b.output().match(/"msg":"duplicate delivery ignored"/g) ?? []).length).reduce((a, b) => a + b)).toBe(3);
    expect(answers(thread)).toEqual([`you said: ${text}`]);
    expect(stack.model.requests.filter((r) => r.userTexts.at(-1) === text)).toHaveLength(1);
  });

  it('forget on one instance, then a message on the other: a fresh session', async () => {
    if (!shared) return;
    await twoInstances();
    const thread = ts();
    await stack.slackEvent(mention('remember the red door', { ts: thread }), undefined, ports[0]);
    await expect.poll(() => answers(thread)).toEqual(['you said: remember the red door']);

    await stack.slackEvent(mention('forget', { ts: ts(), thread_ts: thread }), undefined, ports[0]);
    await expect.poll(() => stack.slack.callsTo('chat.postEphemeral').filter((c) => c.args.thread_ts === thread).length).toBe(1);
    const blocks = stack.slack.callsTo('chat.postEphemeral').filter((c) => c.args.thread_ts === thread)[0]!.args.blocks as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>;
    const button = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id?.startsWith('copilot_forget'));
    expect(button?.value).toBeDefined();
    const responseId = `forget-${thread}`;
    await stack.slackInteract(
      {
        type: 'block_actions',
        team: { id: 'T111', domain: 'test' },
        user: { id: 'UHUMAN', username: 'human', name: 'human', team_id: 'T111' },
        api_app_id: 'A111',
        token: 'x',
        container: { type: 'message', message_ts: '1.1', channel_id: 'C222', is_ephemeral: true },
        trigger_id: 'trig',
        channel: { id: 'C222', name: 'general' },
        response_url: stack.slack.responseUrl(responseId),
        actions: [{ type: 'button', action_id: button!.action_id, block_id: 'b1', value: button!.value, action_ts: '1.2', text: { type: 'plain_text', text: 'x' } }],
      },
      ports[0],
    );
    await expect.poll(() => stack.slack.responses.find((r) => r.id === responseId)?.body.text).toMatch(/Forgotten/);

    await stack.slackEvent(message('which door?', { ts: ts(), thread_ts: thread }), undefined, ports[1]);
    await stack.slackEvent(mention('which door?', { ts: ts(), thread_ts: thread }), undefined, ports[1]);
    await expect.poll(() => answers(thread).at(-1)).toBe('you said: which door?');
  });

  it('an unreachable SESSION_STATE_URL stops the bot at start with one line naming it', async () => {
    if (!shared) return;
    const port = await freePort();
    const run = await runBuilt('src/bin/bot.js', [], { ...stack.env, ...shared, SESSION_STATE_URL: `postgres://postgres:hunter2@127.0.0.1:${port}/test`, STORE_TIMEOUT_SECONDS: '2' });
    expect(run.code).toBe(1);
    const line = run.output.trim().split('\n').at(-1)!;
    expect(line).toMatch(new RegExp(`^copilot-threads: the store at SESSION_STATE_URL=postgres://\\*\\*\\*@127\\.0\\.0\\.1:${port}/test is unavailable: `));
    expect(run.output).not.toContain('hunter2');
  });
});
