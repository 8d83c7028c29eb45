/**
 * The built bot, with Slack and Discord configured (their tokens in its real environment) and
 * `bash` enabled: a thread that asks for the bot's secrets gets none of them posted back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { textOf, type ModelScript } from '../../testkit/model-server.js';
import { mention } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';
import { startStack, type Proc, type Stack } from '../../testkit/bot-process.js';

let stack: Stack;
let bot: Proc | undefined;

/** Every prompt is run as a shell command; its output is the answer. */
const shell: ModelScript = (req) => {
  const last = req.messages.at(-1)!;
  if (last.role === 'tool') return { kind: 'text', text: `OUT: ${textOf(last.content)}` };
  return { kind: 'tool', name: 'bash', args: { command: req.userTexts.at(-1) ?? 'true', description: 'probe' } };
};

beforeEach(async () => {
  stack = await startStack({ script: shell, env: { COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none' } });
});

afterEach(async () => {
  bot?.signalGroup('SIGKILL');
  if (bot) await bot.exited;
  bot = undefined;
  await stack.close();
});

describe('the built bot with bash enabled', () => {
  it('posts none of its secrets into a thread that asks for them', async () => {
    bot = await stack.startBot();
    const ts = '1700003000.000100';
    const probe = `cat /proc/${bot.pid}/environ; cat /proc/*/environ; env; cat ${process.cwd()}/.env ${stack.dir}/store.sqlite; ls ${stack.env.COPILOT_HOME}/session-state`;
    const sent = await stack.slackEvent(mention(probe, { ts }));
    expect(sent.status).toBe(200);
    try {
      await expect.poll(() => threadTexts(stack.slack, 'C222', ts).some((t) => t.startsWith('OUT:'))).toBe(true);
    } catch (err) {
      throw new Error(`no answer: ${String(err)}\nthe thread: ${JSON.stringify(threadTexts(stack.slack, 'C222', ts))}\nSlack calls: ${stack.slack.calls.map((c) => c.method).join(', ')}\nthe bot: ${bot.output().slice(-3000)}`);
    }
    const answer = threadTexts(stack.slack, 'C222', ts).join('\n');
    expect(answer).toMatch(/No such file or directory/);
    for (const secret of ['xoxb-stack-token', stack.env.SLACK_SIGNING_SECRET!, 'fake-discord-token', 'sk-stack-secret', 'STORE_URL']) expect(answer).not.toContain(secret);
  });
});
