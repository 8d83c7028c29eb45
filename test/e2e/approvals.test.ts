/**
 * Tool approval in the thread (COPILOT_TOOLS_APPROVAL), on the real runtime, through the core with
 * a card surface that records what a platform would show. The model server is scripted to ask for
 * `bash` (writing a marker file in the workspace) or `web_fetch`; every test looks at what a person
 * sees (the card, the answer) and at what happened (the marker). What depends on the store (grants,
 * restarts, other instances) is in approvals-store.test.ts and runs on every backend.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceFile } from '../../testkit/process.js';
import { localThread, type Harness } from '../../testkit/harness.js';
import { clicker, startApprovalHarness } from '../../testkit/approval-cards.js';
import { approvalCard } from '../../src/core/approvals/card.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(env: Record<string, string> = {}) {
  const started = await startApprovalHarness(env);
  h = started.h;
  return started;
}

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
    expect(fs.existsSync(workspaceFile(workspace, 'alpha.txt'))).toBe(false);
    expect(h.app.conversation.awaitingApproval(thread)).toBe(true);
    expect(await h.app.conversation.decideApproval(thread, request.id, 'once')).toEqual({ ok: true });
    expect(await answer).toMatchObject({ kind: 'answer', text: expect.stringContaining('made-alpha') });
    expect(fs.readFileSync(workspaceFile(workspace, 'alpha.txt'), 'utf8')).toBe('made-alpha\n');
    // The card shows who decided; a second click is told it is decided already.
    expect(cards.updated.at(-1)).toMatchObject({ id: request.id, decision: { outcome: 'approved', by: 'ana' } });
    expect(await h.app.conversation.decideApproval(thread, request.id, 'deny')).toEqual({ ok: false, text: expect.stringMatching(/Already decided: ✅ approved once by ana/) });
    // History shows the request and the decision.
    const history = await h.app.conversation.runCommand(thread, { kind: 'history', page: 0 });
    expect(history.text).toMatch(/🔐 bash `echo made-alpha[^`]*` asked by ana: ✅ approved once by ana/);
    expect(await h.app.metrics.text()).toMatch(/copilot_threads_tool_approvals_total\{tool="bash",outcome="approved"\} 1/);
  });

  it('denied: nothing runs, and the answer says it was denied', async () => {
    const { h, cards, workspace } = await start();
    const thread = localThread('deny', 'ana');
    const card = cards.next();
    const answer = h.app.conversation.handleMessage(thread, 'run beta');
    const request = await card;
    expect(await h.app.conversation.decideApproval(thread, request.id, 'deny')).toEqual({ ok: true });
    expect((await answer).text).toMatch(/tool answer: .*denied permission to use bash/);
    expect(fs.existsSync(workspaceFile(workspace, 'beta.txt'))).toBe(false);
    expect(cards.updated.at(-1)?.decision).toMatchObject({ outcome: 'denied', by: 'ana' });
    expect(await h.app.metrics.text()).toMatch(/copilot_threads_tool_approvals_total\{tool="bash",outcome="denied"\} 1/);
  });

  it('refuses a click by someone else, but an admin may decide', async () => {
    const { h, cards, workspace } = await start({ ADMIN_USERS: 'local:boss' });
    const thread = localThread('others', 'ana');
    const card = cards.next();
    const answer = h.app.conversation.handleMessage(thread, 'run gamma');
    const request = await card;
    expect(await h.app.conversation.decideApproval(clicker(thread, 'mallory'), request.id, 'once')).toEqual({ ok: false, text: expect.stringMatching(/^Not yours to approve/) });
    expect(fs.existsSync(workspaceFile(workspace, 'gamma.txt'))).toBe(false);
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
    expect(fs.existsSync(workspaceFile(workspace, 'delta.txt'))).toBe(false);
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
    expect(fs.existsSync(workspaceFile(workspace, 'epsilon.txt'))).toBe(false);
    const request = cards.posted[0]!;
    expect(cards.updated.at(-1)).toMatchObject({ id: request.id, decision: { outcome: 'timeout' } });
    // A click after the timeout changes nothing.
    expect(await h.app.conversation.decideApproval(thread, request.id, 'once')).toEqual({ ok: false, text: expect.stringMatching(/Already decided: ⌛ nobody decided in time/) });
    expect(fs.existsSync(workspaceFile(workspace, 'epsilon.txt'))).toBe(false);
    expect(await h.app.metrics.text()).toMatch(/copilot_threads_tool_approvals_total\{tool="bash",outcome="timeout"\} 1/);
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
      // Shown exactly as it would be fetched (what looks like a secret too, with a word on it) ...
      expect(request.detail).toBe(url);
      const shown = approvalCard(request, (u) => u);
      expect(shown.detail).toBe(url);
      expect(shown.notice).toMatch(/look like secrets; they are shown as they are/);
      await h.app.conversation.decideApproval(thread, request.id, 'deny');
      expect((await answer).text).toMatch(/denied permission to use web_fetch/);
      expect(hits).toBe(0);
      // ... and masked in the thread's record (the person's own message stays as they wrote it).
      const history = await h.app.conversation.runCommand(thread, { kind: 'history', page: 0 });
      const transcript = history.kind === 'history' ? history.transcript : '';
      expect(transcript).toMatch(/web_fetch\(.*page\?token=\[hidden\]/);
      expect(transcript).toMatch(/🔐 web_fetch `.*token=\[hidden\]/);
      expect(transcript.split('\n').filter((l) => l.includes('abc123secret'))).toEqual([`fetch ${url}`]);
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

  it('COPILOT_TOOLS_APPROVAL=none runs allowed tools without asking', async () => {
    const { h, cards, workspace } = await start({ COPILOT_TOOLS_APPROVAL: 'none' });
    const reply = await h.app.conversation.handleMessage(localThread('trusted', 'ana'), 'run iota');
    expect(reply.text).toContain('made-iota');
    expect(cards.posted).toHaveLength(0);
    expect(fs.existsSync(workspaceFile(workspace, 'iota.txt'))).toBe(true);
  });
});
