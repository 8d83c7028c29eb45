/**
 * Daily budgets and usage, end to end on each store: past USER_DAILY_TURNS a person is told,
 * privately, when more comes (others are not affected); past USER_DAILY_TOOL_RUNS an approved tool
 * does not run and the answer says why; `usage` shows a person their own numbers.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { localThread, startHarness, type Harness } from '../../testkit/harness.js';
import { startApprovalHarness } from '../../testkit/approval-cards.js';
import { workspaceFile } from '../../testkit/process.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const usageOf = async (thread: ReturnType<typeof localThread>) => (await h!.app.conversation.runCommand(thread, { kind: 'usage' })).text;

describe('daily budgets and usage', () => {
  it('USER_DAILY_TURNS: the third turn of the day is refused with when it comes back; others still talk; usage shows it', async () => {
    h = await startHarness({ env: { USER_DAILY_TURNS: '2' } });
    const ana = localThread('budget', 'ana');
    expect(await usageOf(ana)).toContain('Today: 0 of 2 turns, 0 tool runs, 0 tokens in, 0 out');
    expect((await h.app.conversation.handleMessage(ana, 'one')).kind).toBe('answer');
    expect((await h.app.conversation.handleMessage(ana, 'two')).kind).toBe('answer');
    const third = await h.app.conversation.handleMessage(ana, 'three');
    expect(third).toMatchObject({ kind: 'refusal', text: expect.stringMatching(/^Not now: you have used your 2 turns for today \(USER_DAILY_TURNS\); more at 00:00 UTC \(in (\d+ h )?\d+ min\)\.$/) });
    // A shared message with no words of the person's own is a turn too: refused alike.
    const shared = await h.app.conversation.handleMessage(ana, '', { quoted: [{ id: '1', author: 'zoe', at: new Date(), text: 'what about this?' }] });
    expect(shared).toMatchObject({ kind: 'refusal', text: expect.stringMatching(/^Not now: you have used your 2 turns/) });
    // Commands are not turns: they still answer.
    expect((await h.app.conversation.handleMessage(ana, 'help')).kind).toBe('notice');
    const bob = localThread('budget', 'bob');
    expect((await h.app.conversation.handleMessage(bob, 'mine')).kind).toBe('answer');

    await expect.poll(() => usageOf(ana)).toMatch(/Today: 2 of 2 turns, 0 tool runs, [1-9][\d,]* tokens in, [1-9][\d,]* out/);
    expect(await usageOf(ana)).toContain('Daily budgets come back at 00:00 UTC');
    await expect.poll(() => usageOf(bob)).toMatch(/Today: 1 of 2 turns/);
    await h.app.audit.flush();
    expect((await h.app.store.audit.list({ actor: 'local:ana' })).map((r) => [r.kind, r.detail?.because])).toContainEqual(['access.refused', 'daily turns']);
  });

  it('USER_DAILY_TOOL_RUNS: once used up, an approved tool does not run and the answer says why', async () => {
    const started = await startApprovalHarness({ USER_DAILY_TOOL_RUNS: '1' });
    h = started.h;
    const { cards, workspace } = started;
    const thread = localThread('tool-budget', 'ana');
    const first = cards.next();
    const one = h.app.conversation.handleMessage(thread, 'run one');
    await h.app.conversation.decideApproval(thread, (await first).id, 'once');
    expect((await one).text).toContain('made-one');
    const second = cards.next();
    const two = h.app.conversation.handleMessage(thread, 'run two');
    await h.app.conversation.decideApproval(thread, (await second).id, 'once');
    expect((await two).text).toMatch(/Not run: you have used your 1 tool run for today \(USER_DAILY_TOOL_RUNS\)/);
    expect(fs.existsSync(workspaceFile(workspace, 'two.txt'))).toBe(false);
    await expect.poll(() => usageOf(thread)).toMatch(/Today: 2 turns, 1 of 1 tool runs/);
  });

  it('SESSION_MAX_AI_CREDITS goes to the runtime with every session, which takes it; a provider key has no AI credits, so turns go on', async () => {
    h = await startHarness({ env: { SESSION_MAX_AI_CREDITS: '30' } });
    const thread = localThread('credits', 'ana');
    expect(await h.app.conversation.handleMessage(thread, 'first')).toMatchObject({ kind: 'answer' });
    expect(await h.app.conversation.handleMessage(thread, 'second')).toMatchObject({ kind: 'answer', text: expect.stringContaining('earlier: first') });
  });
});
