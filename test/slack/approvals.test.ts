/**
 * Tool approval on Slack, through real Bolt against the fake Web API: the Block Kit card in the
 * thread, clicks by the starter, by someone else and forged ones, the card updated with who
 * decided, and a message queued behind a pending approval.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceFile, workspaceText } from '../../testkit/process.js';
import { APPROVAL_ACTION } from '../../adapters/slack/approvals.js';
import { THINKING } from '../../adapters/slack/replier.js';
import { WAITING_FOR_APPROVAL } from '../../src/core/reply.js';
import { toMrkdwn } from '../../adapters/slack/mrkdwn.js';
import { toolScript } from '../../testkit/model-server.js';
import { mention, message, nextTs, startSlackHarness, type SlackHarness } from '../../testkit/slack-harness.js';
import { approvalButtons as buttons, approvalCardIn, blockAction, threadTexts } from '../../testkit/slack-view.js';

let s: SlackHarness | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});


async function responseTo(s: SlackHarness, id: string): Promise<string> {
  await expect.poll(() => s.slack.responses.some((r) => r.id === id)).toBe(true);
  return String(s.slack.responses.find((r) => r.id === id)!.body.text);
}

async function startWithTools(env: Record<string, string> = {}) {
  s = await startSlackHarness({ env: { COPILOT_TOOLS: 'bash', ADMIN_USERS: 'slack:UADMIN', ...env }, script: toolScript });
  return { s, workspace: path.join(s.h.config.copilotHome, 'workspace') };
}

const shown = (blocks: unknown) => JSON.stringify(blocks);

describe('Slack approval cards', () => {
  it('posts a card with the command and three buttons; a stranger is refused, the starter approves, the card shows who', async () => {
    const { s, workspace } = await startWithTools();
    const ts = nextTs();
    await s.event(mention('please run slackmark', { ts }));
    await expect.poll(() => approvalCardIn(s.slack, ts)).toBeDefined();
    const posted = approvalCardIn(s.slack, ts)!;
    expect(shown(posted.blocks)).toContain('echo made-slackmark &gt; slackmark.txt');
    expect(shown(posted.blocks)).toContain('Only <@UHUMAN> (who started this thread) or a bot admin can decide');
    expect(buttons(posted.blocks).map((b) => b.action_id)).toEqual([APPROVAL_ACTION.once, APPROVAL_ACTION.always, APPROVAL_ACTION.deny]);
    const id = buttons(posted.blocks)[0]!.value!;

    await s.interact(blockAction(s.slack, APPROVAL_ACTION.once, id, { user: 'USTRANGER', thread: ts, message: posted.ts, responseId: 'stranger' }));
    expect(await responseTo(s, 'stranger')).toMatch(/^Not yours to approve/);
    expect(s.slack.responses.find((r) => r.id === 'stranger')!.body.response_type).toBe('ephemeral');
    expect(fs.existsSync(workspaceFile(workspace, 'slackmark.txt'))).toBe(false);

    await s.interact(blockAction(s.slack, APPROVAL_ACTION.once, id, { thread: ts, message: posted.ts }));
    await expect.poll(() => threadTexts(s.slack, 'C222', ts).some((t) => t.includes('tool answer: made-slackmark'))).toBe(true);
    expect(fs.readFileSync(workspaceFile(workspace, 'slackmark.txt'), 'utf8')).toBe('made-slackmark\n');
    const decided = approvalCardIn(s.slack, ts)!;
    expect(buttons(decided.blocks)).toEqual([]);
    expect(shown(decided.blocks)).toMatch(/✅ Approved once by <@UHUMAN> at \d\d:\d\d UTC/);
  });

  it('denied by an admin: nothing runs, the answer says so; a message sent meanwhile says it waits', async () => {
    const { s, workspace } = await startWithTools();
    const ts = nextTs();
    await s.event(mention('run denied', { ts }));
    await expect.poll(() => approvalCardIn(s.slack, ts)).toBeDefined();
    await s.event(message('and then this', { thread_ts: ts }));
    await expect.poll(() => threadTexts(s.slack, 'C222', ts)).toContain(toMrkdwn(WAITING_FOR_APPROVAL));
    const posted = approvalCardIn(s.slack, ts)!;
    await s.interact(blockAction(s.slack, APPROVAL_ACTION.deny, buttons(posted.blocks)[2]!.value!, { user: 'UADMIN', thread: ts, message: posted.ts }));
    await expect.poll(() => threadTexts(s.slack, 'C222', ts).some((t) => /denied permission to use bash/.test(t))).toBe(true);
    await expect.poll(() => threadTexts(s.slack, 'C222', ts)).toContain('you said: and then this');
    expect(threadTexts(s.slack, 'C222', ts)).not.toContain(THINKING);
    expect(fs.existsSync(workspaceFile(workspace, 'denied.txt'))).toBe(false);
    expect(shown(approvalCardIn(s.slack, ts)!.blocks)).toMatch(/🚫 Denied by <@UADMIN>/);
  });

  it('refuses forged clicks: a real request id from another thread or channel, a payload without a thread, an unknown id', async () => {
    const { s, workspace } = await startWithTools();
    const ts = nextTs();
    await s.event(mention('run forged', { ts }));
    await expect.poll(() => approvalCardIn(s.slack, ts)).toBeDefined();
    const id = buttons(approvalCardIn(s.slack, ts)!.blocks)[0]!.value!;
    await s.interact(blockAction(s.slack, APPROVAL_ACTION.once, id, { channel: 'C999', thread: ts, responseId: 'other-channel' }));
    expect(await responseTo(s, 'other-channel')).toBe('That button is not valid here.');
    await s.interact(blockAction(s.slack, APPROVAL_ACTION.once, id, { thread: '1699999999.000001', responseId: 'other-thread' }));
    expect(await responseTo(s, 'other-thread')).toBe('That button is not valid here.');
    await s.interact(blockAction(s.slack, APPROVAL_ACTION.once, id, { noThread: true, responseId: 'no-thread' }));
    expect(await responseTo(s, 'no-thread')).toBe('That button is not valid here.');
    await s.interact(blockAction(s.slack, APPROVAL_ACTION.once, '00000000-0000-4000-8000-000000000000', { thread: ts, responseId: 'unknown' }));
    expect(await responseTo(s, 'unknown')).toMatch(/not valid/);
    // Still pending, still only the starter's to decide.
    expect(buttons(approvalCardIn(s.slack, ts)!.blocks)).toHaveLength(3);
    expect(fs.existsSync(workspaceFile(workspace, 'forged.txt'))).toBe(false);
    await s.interact(blockAction(s.slack, APPROVAL_ACTION.deny, id, { thread: ts }));
    await expect.poll(() => threadTexts(s.slack, 'C222', ts).some((t) => /denied/.test(t))).toBe(true);
  });

  it('a command the card cannot show as it is (escape sequences, a carriage return): the exact text goes into the thread as a file first, the card says so, and what runs is that text', async () => {
    const { s, workspace } = await startWithTools();
    const ts = nextTs();
    const command = 'echo visible-part\u001b[2K\r; echo hidden-part > exact.txt';
    await s.event(mention(`exact ${Buffer.from(command).toString('hex')}`, { ts }));
    await expect.poll(() => approvalCardIn(s.slack, ts)).toBeDefined();
    const posted = approvalCardIn(s.slack, ts)!;
    // The card shows the escapes, and says in plain words why a file is attached.
    expect(shown(posted.blocks)).toContain('echo visible-part\\\\e[2K\\\\r; echo hidden-part &gt; exact.txt');
    expect(shown(posted.blocks)).toMatch(/Read the attached file before deciding[^"]*terminal escape sequences/);
    // The file is in the same thread, before the card, and holds exactly the command.
    const complete = s.slack.calls.find((c) => c.method === 'files.completeUploadExternal')!;
    expect(complete.args).toMatchObject({ channel_id: 'C222', thread_ts: ts });
    expect(s.slack.calls.indexOf(complete)).toBeLessThan(s.slack.calls.findIndex((c) => c.method === 'chat.postMessage' && c.args.thread_ts === ts && JSON.stringify(c.args.blocks ?? '').includes('approval')));
    expect(s.slack.uploads.some((u) => u.body.includes(command))).toBe(true);
    await s.interact(blockAction(s.slack, APPROVAL_ACTION.once, buttons(posted.blocks)[0]!.value!, { thread: ts, message: posted.ts }));
    await expect.poll(() => workspaceText(workspace, 'exact.txt')).toBe('hidden-part\n');
  });

  it('a card whose file cannot be attached is not posted, and the request is denied', async () => {
    const { s, workspace } = await startWithTools();
    s.slack.fail('files.getUploadURLExternal', { error: 'not_allowed' });
    const ts = nextTs();
    await s.event(mention(`exact ${Buffer.from(`echo a${' '.repeat(40)}; echo b > never.txt`).toString('hex')}`, { ts }));
    await expect.poll(() => threadTexts(s.slack, 'C222', ts).some((t) => /its card could not be shown\), so it was not run/.test(t))).toBe(true);
    expect(approvalCardIn(s.slack, ts)).toBeUndefined();
    expect(fs.existsSync(workspaceFile(workspace, 'never.txt'))).toBe(false);
  });

  it('APPROVERS=starter: in a thread someone else started, the starter decides, not the person who asked; "always" covers only its granter', async () => {
    const { s, workspace } = await startWithTools();
    const ts = nextTs();
    // UHUMAN starts the thread; UOTHER asks in it.
    await s.event(mention('hello', { ts }));
    await expect.poll(() => threadTexts(s.slack, 'C222', ts)).toContain('you said: hello');
    await s.event(mention('run theirs', { ts: nextTs(), thread_ts: ts, user: 'UOTHER' }));
    await expect.poll(() => approvalCardIn(s.slack, ts)).toBeDefined();
    let card = approvalCardIn(s.slack, ts)!;
    expect(shown(card.blocks)).toContain('Only <@UHUMAN> (who started this thread) or a bot admin can decide');
    await s.interact(blockAction(s.slack, APPROVAL_ACTION.always, buttons(card.blocks)[1]!.value!, { user: 'UOTHER', thread: ts, message: card.ts, responseId: 'asker' }));
    expect(await responseTo(s, 'asker')).toMatch(/^Not yours to approve: only UHUMAN/);
    await s.interact(blockAction(s.slack, APPROVAL_ACTION.always, buttons(card.blocks)[1]!.value!, { thread: ts, message: card.ts }));
    await expect.poll(() => fs.existsSync(workspaceFile(workspace, 'theirs.txt'))).toBe(true);
    // The grant is the starter's: their next request runs without a card, the other person's gets one.
    await s.event(mention('run mine', { ts: nextTs(), thread_ts: ts }));
    await expect.poll(() => fs.existsSync(workspaceFile(workspace, 'mine.txt'))).toBe(true);
    const cards = () => s.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === ts && JSON.stringify(c.args.blocks ?? '').includes('"approval"')).length;
    expect(cards()).toBe(1);
    await s.event(mention('run again', { ts: nextTs(), thread_ts: ts, user: 'UOTHER' }));
    await expect.poll(cards).toBe(2);
    card = approvalCardIn(s.slack, ts)!;
    await s.interact(blockAction(s.slack, APPROVAL_ACTION.deny, buttons(card.blocks)[2]!.value!, { thread: ts, message: card.ts }));
    await expect.poll(() => threadTexts(s.slack, 'C222', ts).some((t) => /denied permission to use bash/.test(t))).toBe(true);
    expect(fs.existsSync(workspaceFile(workspace, 'again.txt'))).toBe(false);
  });

  it('APPROVERS=admins: only an admin decides, even in a thread the asker started', async () => {
    const { s, workspace } = await startWithTools({ APPROVERS: 'admins' });
    const ts = nextTs();
    await s.event(mention('run adminonly', { ts }));
    await expect.poll(() => approvalCardIn(s.slack, ts)).toBeDefined();
    const card = approvalCardIn(s.slack, ts)!;
    expect(shown(card.blocks)).toContain('Only a bot admin can decide');
    await s.interact(blockAction(s.slack, APPROVAL_ACTION.once, buttons(card.blocks)[0]!.value!, { thread: ts, message: card.ts, responseId: 'starter' }));
    expect(await responseTo(s, 'starter')).toBe('Not yours to approve: only a bot admin can decide.');
    expect(fs.existsSync(workspaceFile(workspace, 'adminonly.txt'))).toBe(false);
    await s.interact(blockAction(s.slack, APPROVAL_ACTION.once, buttons(card.blocks)[0]!.value!, { user: 'UADMIN', thread: ts, message: card.ts }));
    await expect.poll(() => fs.existsSync(workspaceFile(workspace, 'adminonly.txt'))).toBe(true);
  });
});
