/**
 * The built bot killed (kill -9 to its process group) while a tool approval card waits in a Slack
 * thread, then started again: the cut-off turn is told as interrupted, the old card says it
 * expired, a click on it approves nothing; asking again gets a new card that works.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workspaceFile } from '../../testkit/process.js';
import { APPROVAL_ACTION } from '../../adapters/slack/approvals.js';
import { toolScript } from '../../testkit/model-server.js';
import { mention } from '../../testkit/slack-harness.js';
import { approvalButtons, approvalCardIn, blockAction, threadTexts } from '../../testkit/slack-view.js';
import { startStack, type Proc, type Stack } from '../../testkit/bot-process.js';
import { T1 } from '../../testkit/discord-harness.js';
import { APPROVAL_BUTTON } from '../../adapters/discord/approvals.js';

let stack: Stack;
let bot: Proc | undefined;

beforeEach(async () => {
  stack = await startStack({ script: toolScript, env: { COPILOT_TOOLS: 'bash' } });
});

afterEach(async () => {
  bot?.signalGroup('SIGKILL');
  if (bot) await bot.exited;
  bot = undefined;
  await stack.close();
});

describe('a tool approval across a crash', () => {
  it('Slack: after kill -9 and a restart the old card says it expired, a click on it runs nothing, asking again works', async () => {
    const ts = '1700002000.000100';
    const workspace = path.join(stack.env.COPILOT_HOME!, 'workspace');
    bot = await stack.startBot();
    await stack.slackEvent(mention('please run crashmark', { ts }));
    await expect.poll(() => approvalCardIn(stack.slack, ts)).toBeDefined();
    const old = approvalCardIn(stack.slack, ts)!;
    // Killed once the bot has kept where its card is (a kill between posting and keeping it is
    // mended by the next click, which says where the card is: test/e2e/approvals-store.test.ts).
    await bot.waitFor(/tool approval asked in the thread/);
    bot.signalGroup('SIGKILL');
    await bot.exited;

    bot = await stack.startBot();
    await expect.poll(() => threadTexts(stack.slack, 'C222', ts).some((t) => /restarted before I could finish answering this/.test(t))).toBe(true);
    // The card left behind says it expired, without waiting for anyone to click it.
    await expect.poll(() => approvalButtons(approvalCardIn(stack.slack, ts)!.blocks)).toEqual([]);
    const expired = approvalCardIn(stack.slack, ts)!;
    expect(expired.ts).toBe(old.ts);
    expect(JSON.stringify(expired.blocks)).toMatch(/⌛ Expired: the bot restarted before it was decided; nothing ran/);
    // A click on the old card is answered, and approves nothing.
    await stack.slackInteract(blockAction(stack.slack, APPROVAL_ACTION.once, approvalButtons(old.blocks)[0]!.value!, { thread: ts, message: old.ts, responseId: 'late' }));
    await expect.poll(() => stack.slack.responses.find((r) => r.id === 'late')?.body.text).toMatch(/Already decided: ⌛ expired/);
    expect(fs.existsSync(workspaceFile(workspace, 'crashmark.txt'))).toBe(false);
    expect(stack.model.requests.some((r) => r.messages.some((m) => m.role === 'tool'))).toBe(false);

    // Asking again: a new card, approved, runs once.
    await stack.slackEvent(mention('run crashmark again', { thread_ts: ts }));
    await expect.poll(() => approvalCardIn(stack.slack, ts)?.ts !== old.ts).toBe(true);
    const fresh = approvalCardIn(stack.slack, ts)!;
    await stack.slackInteract(blockAction(stack.slack, APPROVAL_ACTION.once, approvalButtons(fresh.blocks)[0]!.value!, { thread: ts, message: fresh.ts }));
    await expect.poll(() => threadTexts(stack.slack, 'C222', ts).some((t) => t.includes('tool answer: made-crashmark'))).toBe(true);
    expect(fs.readFileSync(workspaceFile(workspace, 'crashmark.txt'), 'utf8')).toBe('made-crashmark\n');
  });

  it('Discord: after kill -9 and a restart the old card says it expired and has no buttons; nothing ran', async () => {
    const workspace = path.join(stack.env.COPILOT_HOME!, 'workspace');
    bot = await stack.startBot();
    await stack.discord.connected();
    const cards = () =>
      stack.discord.calls.filter((c) => c.status === 200 && c.path.startsWith(`/channels/${T1}/messages`) && JSON.stringify(c.body).includes('Copilot wants to use'));
    stack.discordSay('run dcrash');
    await expect.poll(() => cards().some((c) => JSON.stringify(c.body).includes(APPROVAL_BUTTON))).toBe(true);
    await bot.waitFor(/tool approval asked in the thread/);
    bot.signalGroup('SIGKILL');
    await bot.exited;
    bot = await stack.startBot();
    await expect.poll(() => cards().some((c) => c.method === 'PATCH' && /⌛ Expired: the bot restarted before it was decided/.test(JSON.stringify(c.body)))).toBe(true);
    const edit = cards().find((c) => c.method === 'PATCH')!;
    expect(JSON.stringify((edit.body as { components?: unknown[] }).components ?? [])).not.toContain(APPROVAL_BUTTON);
    expect(fs.existsSync(workspaceFile(workspace, 'dcrash.txt'))).toBe(false);
  });
});
