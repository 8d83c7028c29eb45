/**
 * Channel profiles on the built entry points, both adapters on: a mistake in CHANNEL_CONFIG stops
 * the bot and the chat with its file, line and key (and `config check` says the same); SIGHUP and
 * `copilot-threads config reload` make the running bot read the files again, a mistake keeping
 * what it had.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mention } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';
import { exitOf, runBuilt, startStack, type Stack } from '../../testkit/bot-process.js';
import { freePort } from '../../testkit/process.js';
import { G1 } from '../../testkit/discord-harness.js';

let stack: Stack;
let file: string;
let env: Record<string, string>;

beforeAll(async () => {
  stack = await startStack();
  file = path.join(stack.dir, 'channels.yaml');
  env = { CHANNEL_CONFIG: file, COPILOT_MODELS: 'model-b,model-c' };
});

afterAll(() => stack.close());

const BOT = 'src/bin/bot.js';
const CHAT = 'src/bin/chat.js';
const CLI = 'src/bin/cli.js';

describe('CHANNEL_CONFIG on the built bot', () => {
  it('a mistake stops the bot and the chat at start with its file, line and key; config check names it too', async () => {
    fs.writeFileSync(file, 'channels:\n  "*":\n    model: model-b\n  "slack:C222":\n    modle: model-c\n');
    const all = { ...stack.env, ...env, PORT: String(await freePort()) };
    const runs = await Promise.all([runBuilt(BOT, [], all), runBuilt(CHAT, ['--thread', 'x'], all, 'hello\n'), runBuilt(CLI, ['config', 'check'], all)]);
    for (const run of runs) {
      expect(run.code).toBe(1);
      const lines = run.output.trim().split('\n').filter((l) => !l.startsWith('{'));
      expect(lines).toEqual([expect.stringMatching(/^copilot-threads( chat)?: CHANNEL_CONFIG: \S+channels\.yaml, line 5, channels\.slack:C222\.modle: is not a setting \(did you mean model\?\)$/)]);
    }
  });

  it('slack:#name: looked up in Slack before the first event; a name no channel has stops the start with its line', async () => {
    stack.slack.nameChannel('C333', 'payments');
    stack.slack.nameChannel('C444', 'ops');
    fs.writeFileSync(file, 'channels:\n  "slack:#general":\n    model: model-c\n  "slack:#nowhere":\n    model: model-b\n');
    const missing = await runBuilt(BOT, [], { ...stack.env, ...env, PORT: String(await freePort()) });
    expect(missing.code).toBe(1);
    expect(missing.output.trim().split('\n').filter((l) => !l.startsWith('{'))).toEqual([expect.stringMatching(/^copilot-threads: CHANNEL_CONFIG: \S+channels\.yaml, line 4, channels\.slack:#nowhere: no Slack channel of that name that the bot can see/)]);

    fs.writeFileSync(file, 'channels:\n  "slack:#general":\n    model: model-c\n');
    const bot = await stack.startBot(env);
    try {
      const ts = `${Math.floor(Date.now() / 1000)}.000400`;
      await stack.slackEvent(mention('by name', { ts }));
      await expect.poll(() => threadTexts(stack.slack, 'C222', ts).at(-1), { timeout: 30_000 }).toMatch(/^you said: by name/);
      expect(stack.model.requests.at(-1)!.model).toBe('model-c');
    } finally {
      bot.child.kill('SIGTERM');
      expect((await exitOf(bot)).code).toBe(0);
    }
  });

  it('SIGHUP and config reload: the next message runs with the new files; a mistake is logged and the old ones kept', async () => {
    fs.writeFileSync(file, 'channels:\n  "slack:C222":\n    model: model-b\n  "discord:*":\n    model: model-c\n');
    const check = await runBuilt(CLI, ['config', 'check'], { ...stack.env, ...env });
    expect(check.code).toBe(0);
    expect(check.output).toMatch(/channels\.yaml: 2 places \(slack:C222, discord:\*\)/);
    // Nothing to signal yet.
    const early = await runBuilt(CLI, ['config', 'reload'], { ...stack.env, ...env });
    expect(early.code).toBe(1);
    expect(early.output).toMatch(/no bot is running with COPILOT_HOME=/);

    const bot = await stack.startBot(env);
    try {
      const ts = `${Math.floor(Date.now() / 1000)}.000300`;
      const models = () => stack.model.requests.map((r) => r.model);
      const seen = stack.model.requests.length;
      await stack.slackEvent(mention('first', { ts }));
      await expect.poll(() => threadTexts(stack.slack, 'C222', ts).at(-1), { timeout: 30_000 }).toMatch(/^you said: first/);
      expect(models().slice(seen)).toEqual(['model-b']);
      stack.discordSay('hello from discord', { guild: G1 });
      await expect.poll(() => models().length, { timeout: 30_000 }).toBe(seen + 2);
      expect(models().at(-1)).toBe('model-c');

      fs.writeFileSync(file, 'channels:\n  "slack:C222":\n    model: model-c\n');
      const reload = await runBuilt(CLI, ['config', 'reload'], { ...stack.env, ...env });
      expect(reload.code).toBe(0);
      expect(reload.output).toMatch(new RegExp(`The bot \\(pid ${bot.pid}\\) reloaded them \\(places: slack:C222; agents: none; skills: none\\)`));
      expect(bot.output()).toMatch(/channel profiles and agents reloaded/);
      await stack.slackEvent(mention('second', { ts: ts.replace(/0300$/, '0301'), thread_ts: ts }));
      await expect.poll(() => threadTexts(stack.slack, 'C222', ts).at(-1), { timeout: 30_000 }).toMatch(/^you said: second \| earlier: first/);
      expect(models().at(-1)).toBe('model-c');

      // A mistake: the bot says so in its log (and to config reload) and goes on with what it had.
      fs.writeFileSync(file, 'channels:\n  "slack:C222":\n    model: model-z\n');
      process.kill(bot.pid, 'SIGHUP');
      await bot.waitFor(/reload refused: the files have a mistake/);
      expect(bot.output()).toMatch(/model-z is not in COPILOT_MODELS/);
      // A mistake only the bot finds (a Slack channel name no channel has): config reload hears it from the bot.
      fs.writeFileSync(file, 'channels:\n  "slack:#nowhere":\n    model: model-b\n');
      const refused = await runBuilt(CLI, ['config', 'reload'], { ...stack.env, ...env });
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(/the bot \(pid \d+\) refused the reload and goes on with what it had: CHANNEL_CONFIG: \S+, line 2, channels\.slack:#nowhere: no Slack channel of that name/);
      await stack.slackEvent(mention('third', { ts: ts.replace(/0300$/, '0302'), thread_ts: ts }));
      await expect.poll(() => threadTexts(stack.slack, 'C222', ts).at(-1), { timeout: 30_000 }).toMatch(/^you said: third/);
      expect(models().at(-1)).toBe('model-c');
    } finally {
      bot.child.kill('SIGTERM');
      expect((await exitOf(bot)).code).toBe(0);
    }
    // The pid file goes with the bot.
    expect(fs.existsSync(path.join(String(stack.env.COPILOT_HOME), 'bot.pid'))).toBe(false);
  });
});
