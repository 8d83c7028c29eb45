/**
 * Tool approval across the store (run on SQLite, Redis and PostgreSQL): "always in this thread"
 * grants, a restart between the card and the click, a click reaching another instance, requests a
 * dead process left waiting, and forgetting a thread's approvals.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { ApprovalRequest } from '../../src/core/approvals/desk.js';
import { sessionIdFor } from '../../src/core/thread.js';
import { localThread, testLogger, type Harness } from '../../testkit/harness.js';
import { clicker, recordCards, startApprovalHarness } from '../../testkit/approval-cards.js';
import { workspaceFile } from '../../testkit/process.js';

let h: Harness | undefined;
let other: App | undefined;
afterEach(async () => {
  await other?.shutdown(0);
  await h?.close();
  h = other = undefined;
});

async function start(env: Record<string, string> = {}) {
  const started = await startApprovalHarness(env);
  h = started.h;
  return started;
}

describe('tool approval across the store', () => {
  it('"always in this thread" lets that tool run again without a card there, and only there', async () => {
    const { h, cards, workspace } = await start();
    const thread = localThread('always', 'ana');
    const card = cards.next();
    const first = h.app.conversation.handleMessage(thread, 'run one');
    expect(await h.app.conversation.decideApproval(thread, (await card).id, 'always')).toEqual({ ok: true });
    expect((await first).text).toContain('made-one');
    // Same thread: no card, it runs.
    const second = await h.app.conversation.handleMessage(thread, 'run two');
    expect(second.text).toContain('made-two');
    expect(cards.posted).toHaveLength(1);
    // Another tool in the same thread still asks.
    const fetchCard = cards.next();
    const fetching = h.app.conversation.handleMessage(thread, 'fetch http://127.0.0.1:9/page');
    expect(await fetchCard).toMatchObject({ tool: 'web_fetch', detail: 'http://127.0.0.1:9/page' });
    await h.app.conversation.decideApproval(thread, cards.posted[1]!.id, 'deny');
    await fetching;
    // Another thread asks again.
    const other = localThread('always-other', 'ana');
    const otherCard = cards.next();
    const third = h.app.conversation.handleMessage(other, 'run three');
    await otherCard;
    expect(fs.existsSync(workspaceFile(workspace, 'three.txt'))).toBe(false);
    await h.app.conversation.decideApproval(other, cards.posted[2]!.id, 'deny');
    expect((await third).text).toMatch(/denied/);
    const history = await h.app.conversation.runCommand(thread, { kind: 'history', page: 0 });
    const transcript = history.kind === 'history' ? history.transcript : '';
    expect(transcript).toMatch(/✅ approved by ana at .*allowed for their messages in the rest of this thread/);
    expect(transcript).toMatch(/✅ allowed: `bash` was approved for this thread by ana/);
    expect(transcript).toMatch(/🔐 web_fetch `http:\/\/127.0.0.1:9\/page` asked by ana: 🚫 denied by ana/);
  });

  it('a restart between the card and the click: the request expires, the card says so, nothing runs', async () => {
    const { h, cards, workspace } = await start();
    const thread = localThread('restart', 'ana');
    const card = cards.next();
    const answer = h.app.conversation.handleMessage(thread, 'run eta');
    const request = await card;
    await h.restart();
    // The turn ended without the tool, and the card was updated before the bot went away.
    expect((await answer).text).toMatch(/expired \(the bot restarted before it was decided\)/);
    expect(cards.updated.at(-1)).toMatchObject({ id: request.id, decision: { outcome: 'expired' } });
    const after = recordCards();
    h.app.conversation.useApprovalCards('local', after);
    expect(await h.app.conversation.decideApproval(thread, request.id, 'once')).toEqual({ ok: false, text: expect.stringMatching(/Already decided: ⌛ expired/) });
    expect(fs.existsSync(workspaceFile(workspace, 'eta.txt'))).toBe(false);
    // The thread goes on, and asks again for a new request.
    const again = after.next();
    const retry = h.app.conversation.handleMessage(thread, 'run eta');
    await h.app.conversation.decideApproval(thread, (await again).id, 'once');
    expect((await retry).text).toContain('made-eta');
  });

  it('a click that reaches another instance is taken by the turn waiting here', async () => {
    const { h, cards, workspace } = await start();
    other = await createApp(loadConfig({ ...h.env, COPILOT_TOOLS: 'bash,web_fetch,view', COPILOT_HOME: path.join(h.dir, 'other') }, { needModel: true }), testLogger());
    other.conversation.useApprovalCards('local', recordCards());
    const thread = localThread('instances', 'ana');
    const card = cards.next();
    const answer = h.app.conversation.handleMessage(thread, 'run lambda');
    const request = await card;
    // Only the thread's starter (or an admin), there too.
    expect(await other.conversation.decideApproval(clicker(thread, 'mallory'), request.id, 'once')).toMatchObject({ ok: false, text: expect.stringMatching(/^Not yours/) });
    expect(await other.conversation.decideApproval(thread, request.id, 'once')).toEqual({ ok: true });
    expect((await answer).text).toContain('made-lambda');
    expect(fs.existsSync(workspaceFile(workspace, 'lambda.txt'))).toBe(true);
    expect(cards.updated.at(-1)?.decision).toMatchObject({ outcome: 'approved', by: 'ana' });
  });

  it('a click on a request whose process died is answered: expired, card updated, nothing run', async () => {
    const { h, cards, workspace } = await start();
    const thread = localThread('died', 'ana');
    // A request as a process that crashed mid-wait left it in the store.
    const orphan: ApprovalRequest = {
      id: '11111111-2222-4333-8444-555555555555',
      sessionId: sessionIdFor(thread),
      platform: 'local',
      workspace: thread.workspace,
      channel: thread.channel,
      thread: thread.thread,
      tool: 'bash',
      detail: 'echo made-theta > theta.txt',
      digest: 'f'.repeat(64),
      requestedBy: 'ana',
      instance: 'a-process-that-is-gone',
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
      // Killed right after posting its card: where the card is was never kept.
    };
    await h.app.store.approvals.save(orphan);
    expect(await h.app.conversation.decideApproval(thread, orphan.id, 'once', { where: 'the clicked card' })).toEqual({ ok: false, text: expect.stringMatching(/^⌛ That request expired: I was restarted/) });
    // The card updated is the one clicked.
    expect(cards.updated.at(-1)).toMatchObject({ id: orphan.id, card: { where: 'the clicked card' }, decision: { outcome: 'expired' } });
    expect(await h.app.conversation.decideApproval(thread, orphan.id, 'once')).toMatchObject({ ok: false, text: expect.stringMatching(/Already decided/) });
    expect(fs.existsSync(workspaceFile(workspace, 'theta.txt'))).toBe(false);
  });

  it('after a crash, recovery expires the requests the dead process left waiting (and only those)', async () => {
    const { h, cards } = await start();
    const thread = localThread('recovered', 'ana');
    const id = sessionIdFor(thread);
    const request = (n: number, instance: string): ApprovalRequest => ({
      id: `11111111-2222-4333-8444-55555555555${n}`,
      sessionId: id,
      platform: 'local',
      workspace: thread.workspace,
      channel: thread.channel,
      thread: thread.thread,
      tool: 'bash',
      detail: `echo ${n}`,
      digest: 'e'.repeat(64),
      requestedBy: 'ana',
      instance,
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
      card: { where: `card-${n}` },
    });
    const dead = request(1, 'the-crashed-process');
    const alive = request(2, h.app.store.journal.instance);
    for (const r of [dead, alive]) {
      await h.app.store.approvals.save(r);
      await h.app.store.approvals.record(id, { id: r.id, at: r.createdAt, tool: r.tool, detail: r.detail, digest: r.digest, requestedBy: r.requestedBy });
    }
    await h.app.conversation.expireAbandonedApprovals(id, 'the-crashed-process');
    expect(cards.updated.map((r) => [r.id, r.decision?.outcome])).toEqual([[dead.id, 'expired']]);
    expect((await h.app.store.approvals.log(id)).map((e) => e.decision?.outcome)).toEqual(['expired', undefined]);
    // Done once: a second recovery round changes nothing.
    await h.app.conversation.expireAbandonedApprovals(id, 'the-crashed-process');
    expect(cards.updated).toHaveLength(1);
  });

  it('forgetting the thread forgets its approvals and grants', async () => {
    const { h, cards } = await start();
    const thread = localThread('forget-grants', 'ana');
    const card = cards.next();
    const first = h.app.conversation.handleMessage(thread, 'run kappa');
    await h.app.conversation.decideApproval(thread, (await card).id, 'always');
    await first;
    const id = sessionIdFor(thread);
    expect(Object.keys(await h.app.store.approvals.grants(id))).toEqual(['bash ana']);
    await h.app.conversation.runCommand(thread, { kind: 'forget' });
    expect(await h.app.store.approvals.grants(id)).toEqual({});
    expect(await h.app.store.approvals.log(id)).toEqual([]);
    // A fresh session asks again.
    const again = cards.next();
    const second = h.app.conversation.handleMessage(thread, 'run kappa');
    await h.app.conversation.decideApproval(thread, (await again).id, 'deny');
    expect((await second).text).toMatch(/denied/);
  });
});
