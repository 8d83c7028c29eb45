/**
 * Discord file uploads in the real process, where Bolt (and its undici 7) is loaded beside
 * discord.js (undici 6): the history of a long thread comes with its transcript attached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDS } from '../../testkit/fake-discord.js';
import { slashInteraction, T1 } from '../../testkit/discord-harness.js';
import { exitOf, startStack, type Proc, type Stack } from '../../testkit/bot-process.js';

let stack: Stack;
let bot: Proc;

beforeAll(async () => {
  stack = await startStack();
  bot = await stack.startBot();
  await stack.discord.connected();
});

afterAll(async () => {
  bot.signalGroup('SIGTERM');
  await exitOf(bot);
  await stack.close();
});

describe('the bot process with Slack and Discord both configured', () => {
  it('attaches the transcript of a long Discord thread to /copilot history', async () => {
    const sent = () => stack.discord.callsTo('POST', new RegExp(`^/channels/${T1}/messages$`)).filter((c) => c.status === 200);
    for (let i = 1; i <= 9; i++) {
      stack.discordSay(`message ${i}`);
      await expect.poll(() => sent().length, { timeout: 30_000 }).toBe(i);
    }
    stack.discord.dispatch('INTERACTION_CREATE', slashInteraction('history', 'itoken-upload'));
    const edit = () => stack.discord.calls.find((c) => c.path === `/webhooks/${IDS.app}/itoken-upload/messages/@original`);
    await expect.poll(() => edit()?.status, { timeout: 30_000 }).toBe(200);
    const body = edit()!.body as { content: string; _files?: string };
    expect(body.content).toContain('History of this thread');
    expect(body._files).toContain('filename="discord-100000000000000001-300000000000000001.md"');
    expect(body._files).toContain('message 9');
    expect(bot.output()).not.toContain('action is not a function');
  });
});
