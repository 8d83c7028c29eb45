/** The conversation core end to end: real Copilot runtime, real SQLite store, local model server. */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { renderTranscript } from '../../src/core/history.js';
import { sessionIdFor } from '../../src/core/thread.js';
import type { Reply } from '../../src/core/reply.js';
import { echoReply } from '../../testkit/model-server.js';
import { localThread, slackThread, startHarness, type Harness } from '../../testkit/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function text(reply: Reply): string {
  return reply.text;
}

describe('a thread is one persisted Copilot session', () => {
  it('remembers earlier turns, also after a restart on the same folders', async () => {
    h = await startHarness();
    const thread = slackThread('1700000050.000100');
    const first = await h.app.conversation.handleMessage(thread, 'alpha');
    expect(first).toMatchObject({ kind: 'answer', text: 'you said: alpha', created: true, sessionId: 'slack-T1-C1-1700000050_000100' });
    expect(text(await h.app.conversation.handleMessage(thread, 'beta'))).toBe('you said: beta | earlier: alpha');

    await h.restart();
    const after = await h.app.conversation.handleMessage(thread, 'gamma');
    expect(after).toMatchObject({ kind: 'answer', text: 'you said: gamma | earlier: alpha; beta', created: false });
    expect(fs.existsSync(h.sessionDir('slack-T1-C1-1700000050_000100'))).toBe(true);
    expect(await h.app.store.registry.get(sessionIdFor(thread))).toMatchObject({ turns: 3, startedBy: 'U1', channel: 'C1' });
  });

  it('keeps threads apart, also across workspaces with the same channel and thread ids', async () => {
    h = await startHarness();
    const c = h.app.conversation;
    await c.handleMessage(slackThread('1.1', 'U1', 'T1'), 'secret of team one');
    await c.handleMessage(localThread('a'), 'about a');
    expect(text(await c.handleMessage(slackThread('1.1', 'U2', 'T2'), 'hello'))).toBe('you said: hello');
    expect(text(await c.handleMessage(localThread('b'), 'about b'))).toBe('you said: about b');
    expect(text(await c.handleMessage(slackThread('1.1', 'U1', 'T1'), 'again'))).toBe('you said: again | earlier: secret of team one');
  });

  it('creates each session exactly once under concurrent first messages', async () => {
    h = await startHarness();
    const thread = localThread('race');
    const replies = await Promise.all([0, 1, 2, 3, 4].map((i) => h!.app.conversation.handleMessage(thread, `m${i}`)));
    expect(replies.filter((r) => r.kind === 'answer' && r.created)).toHaveLength(1);
    const events = (await h.app.agent.history(sessionIdFor(thread)))!;
    expect(events.filter((e) => e.type === 'session.start')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'user.message')).toHaveLength(5);
  });

  it('opens one live session per id even when the agent is called concurrently (turns and history reads)', async () => {
    h = await startHarness();
    const id = sessionIdFor(localThread('agent-race'));
    const sends = [0, 1, 2].map((i) => h!.app.agent.send(id, `direct ${i}`, { timeoutMs: 30_000 }));
    const reads = [0, 1].map(() => h!.app.agent.history(id).catch(() => undefined));
    const results = await Promise.all(sends);
    await Promise.all(reads);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(h.app.agent.liveSessions).toBe(1);
    await h.restart();
    const events = (await h.app.agent.history(id))!;
    // A session resumed twice in one runtime doubles its events; created twice, it forks.
    expect(events.filter((e) => e.type === 'session.start')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'user.message')).toHaveLength(3);
    expect(events.filter((e) => e.type === 'assistant.message')).toHaveLength(3);
  });

  it('answers 20 concurrent messages on one thread in order, one turn at a time', async () => {
    h = await startHarness({
      script: (req) => {
        const last = req.userTexts.at(-1) ?? '';
        // Later messages answer faster: without the queue, replies would overtake each other.
        return { kind: 'text', text: `you said: ${last}`, delayMs: 40 - Number(last.slice(1)) * 2 };
      },
    });
    const thread = localThread('busy');
    const n = 20;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => h!.app.conversation.handleMessage(thread, `m${i}`)));
    expect(replies.map(text)).toEqual(Array.from({ length: n }, (_, i) => `you said: m${i}`));
    // The model saw each message after all the earlier ones: the session holds them in order.
    expect(h.model.requests.at(-1)?.userTexts).toEqual(Array.from({ length: n }, (_, i) => `m${i}`));
  });

  it('renders every event kind the runtime records in history', async () => {
    h = await startHarness({ env: { COPILOT_TOOLS: 'view' } });
    const thread = localThread('hist');
    const id = sessionIdFor(thread);
    h.model.script((req) => {
      const last = req.messages.at(-1)!;
      if (last.role === 'tool') return { kind: 'text', text: 'read it' };
      if (req.userTexts.at(-1) === 'look') return { kind: 'tool', name: 'view', args: { path: '/etc/hostname' } };
      return echoReply(req);
    });
    await h.app.conversation.handleMessage(thread, 'hello');
    await h.app.conversation.handleMessage(thread, 'look');
    const reply = await h.app.conversation.handleMessage(thread, 'history');
    expect(reply.kind).toBe('history');
    if (reply.kind !== 'history') return;
    expect(reply.text).toContain('**user**: hello');
    expect(reply.text).toContain('**copilot**: you said: hello');
    // The call and its outcome on one line; the bookkeeping around it (system prompt, turn marks) is not shown.
    expect(reply.text).toMatch(/_tool_: view\(\{"path":"\/etc\/hostname"\}\) → failed: .*rejected/);
    expect(reply.text).not.toMatch(/system prompt|turn started|turn ended/);
    expect(reply.text).not.toContain('<current_datetime>');

    // Every kind the session holds shows up somewhere in the full transcript.
    const events = (await h.app.agent.history(id))!;
    const kinds = new Set(events.map((e) => e.type));
    expect(kinds.size).toBeGreaterThan(5);
    const known = ['user.message', 'assistant.message', 'tool.execution_start', 'tool.execution_complete', 'permission.requested', 'permission.completed', 'session.start', 'system.message', 'assistant.turn_start', 'assistant.turn_end', 'session.resume', 'session.shutdown', 'session.error', 'abort', 'assistant.usage', 'session.usage_info'];
    const unknownKinds = [...kinds].filter((k) => !known.includes(k) && !k.includes('delta'));
    for (const k of unknownKinds) expect(reply.transcript).toContain(k);
    // All of it, bookkeeping included, is what the CLI's `show --all` renders.
    const everything = renderTranscript(events, { all: true }).map((e) => e.text).join('\n');
    expect(everything).toMatch(/system prompt \(\d+ chars\) · turn started/);

  });

  it('pages history, newest page first', async () => {
    h = await startHarness();
    const thread = localThread('pages');
    for (let i = 0; i < 12; i++) await h.app.conversation.handleMessage(thread, `q${i}`);
    const newest = await h.app.conversation.handleMessage(thread, '/history');
    const first = await h.app.conversation.handleMessage(thread, '/history 1');
    if (newest.kind !== 'history' || first.kind !== 'history') throw new Error('expected history');
    expect(newest.page.pages).toBeGreaterThan(1);
    expect(newest.page.page).toBe(newest.page.pages);
    expect(newest.text).toContain('q11');
    expect(first.text).toContain('**user**: q0');
    expect(first.text).not.toContain('q11');
  });

  it('forget deletes the session folder and registry record; the next message starts fresh', async () => {
    h = await startHarness();
    const thread = localThread('gone');
    const id = sessionIdFor(thread);
    await h.app.conversation.handleMessage(thread, 'remember me');
    expect(fs.existsSync(h.sessionDir(id))).toBe(true);

    const refused = await h.app.conversation.handleMessage({ ...thread, user: 'mallory' }, 'forget');
    expect(refused.text).toMatch(/Only the person who started/);
    expect(fs.existsSync(h.sessionDir(id))).toBe(true);

    const forgot = await h.app.conversation.handleMessage(thread, 'forget');
    expect(forgot).toMatchObject({ kind: 'forgotten', sessionId: id, text: expect.stringMatching(/Forgotten/) });
    expect(fs.existsSync(h.sessionDir(id))).toBe(false);
    expect(await h.app.store.registry.get(id)).toBeUndefined();
    expect((await h.app.agent.list()).map((s) => s.id)).not.toContain(id);
    expect(text(await h.app.conversation.handleMessage(thread, 'forget'))).toMatch(/no Copilot session to forget/);

    const fresh = await h.app.conversation.handleMessage(thread, 'who am I?');
    expect(fresh).toMatchObject({ kind: 'answer', text: 'you said: who am I?', created: true });
  });

  it('lets an admin forget any thread', async () => {
    h = await startHarness({ env: { ADMIN_USERS: 'local:root' } });
    const thread = localThread('admin');
    await h.app.conversation.handleMessage(thread, 'x');
    expect(text(await h.app.conversation.handleMessage({ ...thread, user: 'root' }, '/forget'))).toMatch(/Forgotten/);
  });

  it('lists the sessions of this workspace only', async () => {
    h = await startHarness();
    await h.app.conversation.handleMessage(slackThread('1.1', 'U1', 'T1', 'C9'), 'one');
    await h.app.conversation.handleMessage(slackThread('2.2', 'U1', 'T2'), 'other team');
    const reply = await h.app.conversation.handleMessage(slackThread('3.3', 'U1', 'T1'), 'sessions');
    expect(reply.kind).toBe('sessions');
    if (reply.kind !== 'sessions') return;
    expect(reply.records.map((r) => r.sessionId)).toEqual(['slack-T1-C9-1_1']);
    expect(reply.text).toMatch(/• C9 · “one” · started by U1 · 1 turn · just now/);
  });

  it('answers help and rejects malformed commands without calling the model', async () => {
    h = await startHarness();
    const thread = localThread('cmd');
    expect(text(await h.app.conversation.handleMessage(thread, 'help'))).toContain('`history [page]`');
    expect(text(await h.app.conversation.handleMessage(thread, '/history two'))).toMatch(/Usage/);
    expect(text(await h.app.conversation.handleMessage(thread, '   '))).toMatch(/Ask me something/);
    expect(text(await h.app.conversation.handleMessage(thread, 'history'))).toMatch(/no Copilot session yet/);
    expect(h.model.requests).toHaveLength(0);
  });

  it('refuses a thread whose id cannot be made, with a reply instead of a crash', async () => {
    h = await startHarness();
    const reply = await h.app.conversation.handleMessage(slackThread('9'.repeat(400)), 'hi');
    expect(reply).toMatchObject({ kind: 'error', text: expect.stringMatching(/too long/) });
  });
});
