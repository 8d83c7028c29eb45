/**
 * Stopping the real process the way terminals and process managers do. Ctrl-C, systemd
 * (KillMode=control-group), Heroku and `kill -- -PGID` signal the whole process group, so the
 * Copilot runtime child gets the signal at the same moment as the bot. Whatever the state of its
 * parts, the bot must finish shutting down and exit 0.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mention } from '../../testkit/slack-harness.js';
import { T1 } from '../../testkit/discord-harness.js';
import { exitOf, startBuilt, startCommand, startStack, type Proc, type Stack } from '../../testkit/bot-process.js';
import { processesNaming } from '../../testkit/process.js';

let stack: Stack;
let bot: Proc | undefined;

beforeEach(async () => {
  stack = await startStack();
});

afterEach(async () => {
  bot?.signalGroup('SIGKILL');
  if (bot) await bot.exited;
  bot = undefined;
  await stack.close();
});

const slackAnswered = (text: string) =>
  expect.poll(() => stack.slack.callsTo('chat.update').map((c) => c.args.text), { timeout: 30_000 }).toContain(text);
const discordAnswered = (text: string) =>
  expect
    .poll(() => stack.discord.callsTo('POST', new RegExp(`^/channels/${T1}/messages$`)).map((c) => (c.body as { content?: string }).content), { timeout: 30_000 })
    .toContain(text);

/** One answered turn on each platform. */
async function converse(): Promise<void> {
  await stack.discord.connected();
  await stack.slackEvent(mention('hello from slack'));
  stack.discordSay('hello from discord');
  await slackAnswered('you said: hello from slack');
  await discordAnswered('you said: hello from discord');
}

describe.each(['SIGINT', 'SIGTERM'] as const)('a %s to the whole process group', (signal) => {
  it('after answered turns on Slack and Discord: the bot stops in order and exits 0', async () => {
    bot = await stack.startBot();
    await converse();
    bot.signalGroup(signal);
    expect(await exitOf(bot)).toEqual({ code: 0, signal: null });
    expect(bot.output()).toContain('"msg":"stopped"');
  });
});

describe('an idle bot', () => {
  it('stops on a group signal without waiting on the runtime, which the signal reached too', async () => {
    // The runtime exits on the group signal at once; the SDK's stop() went on waiting for its answer
    // to a shutdown request, and the bot killed it after 5 s ("did not stop") in most runs.
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGTERM'] as const) {
      bot = await stack.startBot();
      bot.signalGroup(signal);
      expect(await exitOf(bot)).toEqual({ code: 0, signal: null });
      expect(bot.output()).toContain('"msg":"stopped"');
      expect(bot.output()).not.toContain('did not stop');
      bot = undefined;
    }
  });
});

describe('with tools on (the runtime in its sandbox)', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('a %s to the process group stops the bot, the sandbox and the runtime, and exits 0', async (signal) => {
    bot = await stack.startBot({ COPILOT_TOOLS: 'bash' });
    await converse();
    bot.signalGroup(signal);
    expect(await exitOf(bot)).toEqual({ code: 0, signal: null });
    expect(bot.output()).toContain('"msg":"stopped"');
    expect(bot.output()).not.toContain('did not stop');
    const left = processesNaming(stack.env.COPILOT_HOME!);
    expect(left).toEqual([]);
  });
});

describe('npm start', () => {
  it('stops on Ctrl-C, which reaches the bot twice (from the terminal and forwarded by npm)', async () => {
    bot = startCommand('npm', ['start', '--silent'], stack.env);
    await bot.waitFor(/"msg":"ready"/);
    await converse();
    bot.signalGroup('SIGINT');
    await exitOf(bot);
    expect(bot.output()).toContain('"msg":"stopped"');
    expect(bot.output()).not.toContain('shutdown deadline passed');
  });
});

describe('the console chat', () => {
  it('stops on a group SIGINT (Ctrl-C) after a turn, even though the runtime died with it', async () => {
    const chat = startBuilt('src/bin/chat.js', ['--thread', 'ctrlc', '--user', 'ana'], stack.env, { stdin: true });
    bot = chat;
    chat.type('hello from the terminal');
    await chat.waitFor(/copilot › you said: hello from the terminal/);
    chat.signalGroup('SIGINT');
    expect(await exitOf(chat)).toEqual({ code: 130, signal: null });
  });
});

describe('shutdown whatever the state of its parts', () => {
  it('exits 0 when the Copilot runtime was killed first', async () => {
    bot = await stack.startBot();
    await converse();
    const runtime = Number(/"runtimePid":(\d+)/.exec(bot.output())?.[1]);
    expect(runtime).toBeGreaterThan(0);
    process.kill(runtime, 'SIGKILL');
    bot.child.kill('SIGTERM');
    expect(await exitOf(bot)).toEqual({ code: 0, signal: null });
  });

  it('does not wait on a Slack API call that never answers', async () => {
    bot = await stack.startBot({ PLATFORM_TIMEOUT_SECONDS: '600' });
    stack.slack.fail('chat.postMessage', { hang: true }, 100);
    await stack.slackEvent(mention('into the void'));
    await expect.poll(() => stack.slack.callsTo('chat.postMessage').length, { timeout: 30_000 }).toBeGreaterThan(0);
    bot.child.kill('SIGTERM');
    expect(await exitOf(bot)).toEqual({ code: 0, signal: null });
    expect(bot.output()).toMatch(/"step":"chat adapters".*"msg":"shutdown step did not finish"/);
  });

  it('gives up on a Slack API call past PLATFORM_TIMEOUT_SECONDS and logs the undelivered answer with its thread', async () => {
    bot = await stack.startBot({ PLATFORM_TIMEOUT_SECONDS: '1' });
    stack.slack.fail('chat.postMessage', { hang: true }, 100);
    const ts = '1700000900.000100';
    await stack.slackEvent(mention('into the void', { ts }));
    const line = await bot.waitFor(/.*could not deliver the answer.*/);
    expect(JSON.parse(line)).toMatchObject({ channel: 'C222', thread: ts, level: 'error' });
    bot.child.kill('SIGTERM');
    expect(await exitOf(bot)).toEqual({ code: 0, signal: null });
  });
});
