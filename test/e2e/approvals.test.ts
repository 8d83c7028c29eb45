/**
 * Tool approval in the thread (COPILOT_TOOLS_APPROVAL), on the real runtime and store, through
 * the core with a card surface that records what a platform would show. The model server is
 * scripted to ask for `bash` (writing a marker file in the workspace) or `web_fetch`; every
 * test looks at what a person sees (the card, the answer) and at what happened (the marker).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { ApprovalCards, ApprovalRequest } from '../../src/core/approvals.js';
import { sessionIdFor, type ThreadRef } from '../../src/core/thread.js';
import { localThread, startHarness, testLogger, type Harness } from '../support/harness.js';
import { toolScript } from '../support/model-server.js';

let h: Harness | undefined;
let other: App | undefined;
afterEach(async () => {
  await other?.shutdown(0);
  await h?.close();
  h = other = undefined;
});

/** `run <name>` asks bash to write `<name>.txt`; `fetch <url>` asks web_fetch; a tool result is echoed back. */

interface Recorded extends ApprovalCards {
  posted: ApprovalRequest[];
  updated: ApprovalRequest[];
  /** Resolves with the next card posted. */
  next(): Promise<ApprovalRequest>;
}

function recordCards(): Recorded {
  const posted: ApprovalRequest[] = [];
  const updated: ApprovalRequest[] = [];
  let waiting: Array<(r: ApprovalRequest) => void> = [];
  return {
    posted,
    updated,
    async post(request) {
      posted.push(request);
      const w = waiting;
      waiting = [];
      for (const resolve of w) resolve(request);
      return { where: 'test' };
    },
    async update(request) {
      updated.push(request);
    },
    next() {
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

async function start(env: Record<string, string> = {}): Promise<{ h: Harness; cards: Recorded; workspace: string }> {
  h = await startHarness({ env: { COPILOT_TOOLS: 'bash,web_fetch,view', APPROVAL_TIMEOUT_SECONDS: '600', ...env }, script: toolScript });
  const cards = recordCards();
  h.app.conversation.useApprovalCards('local', cards);
  return { h, cards, workspace: path.join(h.config.copilotHome, 'workspace') };
}

const clicker = (thread: ThreadRef, user: string): ThreadRef => ({ ...thread, user });

describe('tool approval in the thread', () => {
  it('asks the starter with a card; approved once, the tool runs and the answer has its output', async () => {
    const { h, cards, workspace } = await start();
    const thread = localThread('approve', 'ana');
    const card = cards.next();
    const answer = h.app.conversation.handleMessage(thread, 'run alpha');
    const request = await card;
    expect(request).toMatchObject({ tool: 'bash', requestedBy: 'ana', detail: 'echo made-alpha > alpha.txt && cat alpha.txt', intention: 'write alpha' });
    expect(request.digest).toMatch(/^[0-9a-f]{64}$/);
    // Nothing runs before someone decides.
    expect(fs.existsSync(path.join(workspace, 'alpha.txt'))).toBe(false);
    expect(h.app.conversation.awaitingApproval(thread)).toBe(true);
    expect(await h.app.conversation.decideApproval(thread, request.id, 'once')).toEqual({ ok: true });
    expect(await answer).toMatchObject({ kind: 'answer', text: expect.stringContaining('made-alpha') });
    expect(fs.readFileSync(path.join(workspace, 'alpha.txt'), 'utf8')).toBe('made-alpha\n');
    // The card shows who decided; a second click is told it is decided already.
    expect(cards.updated.at(-1)).toMatchObject({ id: request.id, decision: { outcome: 'approved', by: 'ana' } });
    expect(await h.app.conversation.decideApproval(thread, request.id, 'deny')).toEqual({ ok: false, text: expect.stringMatching(/Already decided: ✅ approved once by ana/) });
    // History shows the request and the decision.
    const history = await h.app.conversation.runCommand(thread, { kind: 'history', page: 0 });
    expect(history.text).toMatch(/🔐 bash `echo made-alpha[^`]*` asked by ana: ✅ approved once by ana/);
  });

  it('denied: nothing runs, and the answer says it was denied', async () => {
    const { h, cards, workspace } = await start();
    const thread = localThread('deny', 'ana');
    const card = cards.next();
    const answer = h.app.conversation.handleMessage(thread, 'run beta');
    const request = await card;
    expect(await h.app.conversation.decideApproval(thread, request.id, 'deny')).toEqual({ ok: true });
    expect((await answer).text).toMatch(/tool answer: .*denied permission to use bash/);
    expect(fs.existsSync(path.join(workspace, 'beta.txt'))).toBe(false);
    expect(cards.updated.at(-1)?.decision).toMatchObject({ outcome: 'denied', by: 'ana' });
  });

  it('refuses a click by someone else, but an admin may decide', async () => {
    const { h, cards, workspace } = await start({ ADMIN_USERS: 'local:boss' });
    const thread = localThread('others', 'ana');
    const card = cards.next();
    const answer = h.app.conversation.handleMessage(thread, 'run gamma');
    const request = await card;
    expect(await h.app.conversation.decideApproval(clicker(thread, 'mallory'), request.id, 'once')).toEqual({ ok: false, text: expect.stringMatching(/^Not yours to approve/) });
    expect(fs.existsSync(path.join(workspace, 'gamma.txt'))).toBe(false);
    expect(h.app.conversation.awaitingApproval(thread)).toBe(true);
    expect(await h.app.conversation.decideApproval(clicker(thread, 'boss'), request.id, 'once')).toEqual({ ok: true });
    expect((await answer).text).toContain('made-gamma');
    expect(cards.updated.at(-1)?.decision).toMatchObject({ outcome: 'approved', by: 'boss' });
  });

  it('refuses forged clicks: a request of another thread, or an id that names nothing', async () => {
    const { h, cards, workspace } = await start();
    const thread = localThread('forged-a', 'ana');
    const elsewhere = localThread('forged-b', 'ana');
    const card = cards.next();
    const answer = h.app.conversation.handleMessage(thread, 'run delta');
    const request = await card;
    expect(await h.app.conversation.decideApproval(elsewhere, request.id, 'once')).toEqual({ ok: false, text: 'That button is not valid here.' });
    expect(await h.app.conversation.decideApproval({ ...thread, workspace: 'other-team' }, request.id, 'once')).toEqual({ ok: false, text: 'That button is not valid here.' });
    expect(await h.app.conversation.decideApproval(thread, '00000000-0000-4000-8000-000000000000', 'once')).toMatchObject({ ok: false });
    expect(await h.app.conversation.decideApproval(thread, 'not-an-id', 'once')).toMatchObject({ ok: false });
    expect(fs.existsSync(path.join(workspace, 'delta.txt'))).toBe(false);
    await h.app.conversation.decideApproval(thread, request.id, 'deny');
    expect((await answer).text).toMatch(/denied/);
  });

  it('fails closed: no decision in time is a denial, and the turn timeout does not run while it waits', async () => {
    // The turn may take 2 s of its own; the wait for a person (3 s) does not count against it.
    const { h, cards, workspace } = await start({ APPROVAL_TIMEOUT_SECONDS: '3', TURN_TIMEOUT_SECONDS: '2' });
    const thread = localThread('timeout', 'ana');
    const answer = h.app.conversation.handleMessage(thread, 'run epsilon');
    const reply = await answer;
    expect(reply).toMatchObject({ kind: 'answer', text: expect.stringMatching(/Nobody approved using bash within 3 seconds/) });
    expect(fs.existsSync(path.join(workspace, 'epsilon.txt'))).toBe(false);
    const request = cards.posted[0]!;
    expect(cards.updated.at(-1)).toMatchObject({ id: request.id, decision: { outcome: 'timeout' } });
    // A click after the timeout changes nothing.
    expect(await h.app.conversation.decideApproval(thread, request.id, 'once')).toEqual({ ok: false, text: expect.stringMatching(/Already decided: ⌛ nobody decided in time/) });
    expect(fs.existsSync(path.join(workspace, 'epsilon.txt'))).toBe(false);
  });

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
    expect(fs.existsSync(path.join(workspace, 'three.txt'))).toBe(false);
    await h.app.conversation.decideApproval(other, cards.posted[2]!.id, 'deny');
    expect((await third).text).toMatch(/denied/);
    const history = await h.app.conversation.runCommand(thread, { kind: 'history', page: 0 });
    const transcript = history.kind === 'history' ? history.transcript : '';
    expect(transcript).toMatch(/✅ approved by ana at .*allowed for the rest of this thread/);
    expect(transcript).toMatch(/✅ allowed: `bash` was approved for this thread by ana/);
    expect(transcript).toMatch(/🔐 web_fetch `http:\/\/127.0.0.1:9\/page` asked by ana: 🚫 denied by ana/);
  });

  it('web_fetch of a local URL: the card shows the URL; denied, the server is never asked', async () => {
    const http = await import('node:http');
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end('LOCAL-PAGE');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/page?token=abc123secret`;
    try {
      const { h, cards } = await start();
      const thread = localThread('fetch', 'ana');
      const card = cards.next();
      const answer = h.app.conversation.handleMessage(thread, `fetch ${url}`);
      const request = await card;
      // Shown, with what looks like a secret masked.
      expect(request.detail).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/page\?token=\[hidden\]$/);
      await h.app.conversation.decideApproval(thread, request.id, 'deny');
      expect((await answer).text).toMatch(/denied permission to use web_fetch/);
      expect(hits).toBe(0);
    } finally {
      server.close();
    }
  });

  it('a message sent meanwhile waits behind the approval and is answered after it', async () => {
    const { h, cards } = await start();
    const thread = localThread('queue', 'ana');
    const card = cards.next();
    const first = h.app.conversation.handleMessage(thread, 'run zeta');
    const request = await card;
    expect(h.app.conversation.awaitingApproval(thread)).toBe(true);
    expect(h.app.conversation.awaitingApproval(localThread('unrelated', 'ana'))).toBe(false);
    let secondDone = false;
    const second = h.app.conversation.handleMessage(thread, 'after it').then((r) => {
      secondDone = true;
      return r;
    });
    // Other threads are not held up.
    expect((await h.app.conversation.handleMessage(localThread('unrelated', 'ana'), 'hello')).text).toBe('you said: hello');
    expect(secondDone).toBe(false);
    await h.app.conversation.decideApproval(thread, request.id, 'once');
    expect((await first).text).toContain('made-zeta');
    expect((await second).text).toBe('you said: after it');
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
    expect(fs.existsSync(path.join(workspace, 'eta.txt'))).toBe(false);
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
    // Only the person who asked, there too.
    expect(await other.conversation.decideApproval(clicker(thread, 'mallory'), request.id, 'once')).toMatchObject({ ok: false, text: expect.stringMatching(/^Not yours/) });
    expect(await other.conversation.decideApproval(thread, request.id, 'once')).toEqual({ ok: true });
    expect((await answer).text).toContain('made-lambda');
    expect(fs.existsSync(path.join(workspace, 'lambda.txt'))).toBe(true);
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
      card: { where: 'test' },
    };
    await h.app.store.approvals.save(orphan);
    expect(await h.app.conversation.decideApproval(thread, orphan.id, 'once')).toEqual({ ok: false, text: expect.stringMatching(/^⌛ That request expired: I was restarted/) });
    expect(cards.updated.at(-1)).toMatchObject({ id: orphan.id, decision: { outcome: 'expired' } });
    expect(await h.app.conversation.decideApproval(thread, orphan.id, 'once')).toMatchObject({ ok: false, text: expect.stringMatching(/Already decided/) });
    expect(fs.existsSync(path.join(workspace, 'theta.txt'))).toBe(false);
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

  it('COPILOT_TOOLS_APPROVAL=none runs allowed tools without asking', async () => {
    const { h, cards, workspace } = await start({ COPILOT_TOOLS_APPROVAL: 'none' });
    const reply = await h.app.conversation.handleMessage(localThread('trusted', 'ana'), 'run iota');
    expect(reply.text).toContain('made-iota');
    expect(cards.posted).toHaveLength(0);
    expect(fs.existsSync(path.join(workspace, 'iota.txt'))).toBe(true);
  });

  it('forgetting the thread forgets its approvals and grants', async () => {
    const { h, cards } = await start();
    const thread = localThread('forget-grants', 'ana');
    const card = cards.next();
    const first = h.app.conversation.handleMessage(thread, 'run kappa');
    await h.app.conversation.decideApproval(thread, (await card).id, 'always');
    await first;
    const id = sessionIdFor(thread);
    expect(Object.keys(await h.app.store.approvals.grants(id))).toEqual(['bash']);
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
