/**
 * `kill -9` in the middle of a turn, then a restart: the thread keeps its context, and the message
 * the crash cut off is not left hanging. Its "thinking" placeholder (Slack) is replaced, or a reply
 * (Discord) says the answer was interrupted and the user can ask again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { echoReply } from '../../testkit/model-server.js';
import { mention } from '../../testkit/slack-harness.js';
import { threadMessages } from '../../testkit/slack-view.js';
import { T1 } from '../../testkit/discord-harness.js';
import { exitOf, startStack, type Proc, type Stack } from '../../testkit/bot-process.js';

let stack: Stack;
let bot: Proc | undefined;

beforeEach(async () => {
  stack = await startStack({ script: (req) => (req.userTexts.at(-1) === 'never finishes' ? { kind: 'hang' } : echoReply(req)) });
});

afterEach(async () => {
  bot?.signalGroup('SIGKILL');
  if (bot) await bot.exited;
  bot = undefined;
  await stack.close();
});

async function crashMidTurn(): Promise<void> {
  await expect.poll(() => stack.model.requests.map((r) => r.userTexts.at(-1)), { timeout: 30_000 }).toContain('never finishes');
  bot!.signalGroup('SIGKILL');
  await bot!.exited;
}

describe('a crash in the middle of a turn', () => {
  it('Slack: after the restart the placeholder says the answer was interrupted, and the thread goes on', async () => {
    const ts = '1700001000.000100';
    bot = await stack.startBot();
    await stack.slackEvent(mention('remember me', { ts }));
    await expect.poll(() => threadMessages(stack.slack, 'C222', ts).map((m) => m.text), { timeout: 30_000 }).toContain('you said: remember me');
    await stack.slackEvent(mention('never finishes', { thread_ts: ts }));
    await expect.poll(() => threadMessages(stack.slack, 'C222', ts).length, { timeout: 30_000 }).toBe(2);
    await crashMidTurn();
    expect(threadMessages(stack.slack, 'C222', ts)[1]!.text).toBe('_Copilot is thinking…_');

    bot = await stack.startBot();
    await expect.poll(() => threadMessages(stack.slack, 'C222', ts)[1]!.text, { timeout: 30_000 }).toMatch(/restarted before I could finish answering this/);
    await stack.slackEvent(mention('still there?', { thread_ts: ts }));
    await expect.poll(() => threadMessages(stack.slack, 'C222', ts).at(-1)!.text, { timeout: 30_000 }).toMatch(/^you said: still there\? \| earlier: remember me/);
    // Told once: a second restart finds nothing left to mend.
    bot.signalGroup('SIGTERM');
    expect((await exitOf(bot)).code).toBe(0);
    bot = await stack.startBot();
    expect(stack.slack.callsTo('chat.update').filter((c) => /restarted before/.test(String(c.args.text)))).toHaveLength(1);
  });

  it('Slack: a placeholder the bot never heard back about (killed right after posting it) is found in the thread and replaced', async () => {
    const ts = '1700001100.000100';
    bot = await stack.startBot();
    await stack.slackEvent(mention('remember me', { ts }));
    await expect.poll(() => threadMessages(stack.slack, 'C222', ts).map((m) => m.text)).toContain('you said: remember me');
    // The placeholder is posted, but its answer (its ts) never reaches the bot.
    stack.slack.fail('chat.postMessage', { swallow: true });
    await stack.slackEvent(mention('never finishes', { thread_ts: ts }));
    await expect.poll(() => threadMessages(stack.slack, 'C222', ts).length).toBe(2);
    await crashMidTurn();

    bot = await stack.startBot();
    await expect.poll(() => threadMessages(stack.slack, 'C222', ts)[1]!.text).toMatch(/restarted before I could finish answering this/);
    expect(threadMessages(stack.slack, 'C222', ts)).toHaveLength(2);
  });

  it('Discord: after the restart a reply to the cut-off message says so, and the thread goes on', async () => {
    bot = await stack.startBot();
    await stack.discord.connected();
    const sent = () => stack.discord.callsTo('POST', new RegExp(`^/channels/${T1}/messages$`)).filter((c) => c.status === 200).map((c) => c.body as { content: string; message_reference?: { message_id: string } });
    stack.discordSay('remember me');
    await expect.poll(() => sent().length, { timeout: 30_000 }).toBe(1);
    const cut = stack.discordSay('never finishes');
    await crashMidTurn();
    bot = await stack.startBot();
    await expect.poll(() => sent().length, { timeout: 30_000 }).toBe(2);
    expect(sent()[1]).toMatchObject({ content: expect.stringMatching(/restarted before I could finish answering this/), message_reference: { message_id: cut } });
    stack.discordSay('still there?');
    await expect.poll(() => sent().length, { timeout: 30_000 }).toBe(3);
    const last = sent()[2]!.content;
    expect(last).toMatch(/(^you said: |\n\n)still there\? \| earlier: remember me$/);
    // The cut-off message comes back as context ("since your last answer") when the bot died before
    // its turn's record was written (it is written beside the turn): that message, and nothing else.
    if (last.includes('<thread_context>')) expect(last).toMatch(/\(1 message\), not addressed to you:\n\[[^\]]+\] \S+: @copilot never finishes\n<\/thread_context>\n\nstill there/);
  });
});
