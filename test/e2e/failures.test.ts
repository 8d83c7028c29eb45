/** Failure paths on the real runtime: every one ends in a reply and leaves the thread working. */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionIdFor } from '../../src/core/thread.js';
import { StoreUnavailableError } from '../../src/infra/store-calls.js';
import { echoReply } from '../../testkit/model-server.js';
import { localThread, startHarness, type Harness } from '../../testkit/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('when a turn fails', () => {
  it('a timeout aborts the turn with a clear reply, and the next message gets its own answer', async () => {
    h = await startHarness({
      env: { TURN_TIMEOUT_SECONDS: '2' },
      script: (req) => (req.userTexts.at(-1) === 'stuck' ? { kind: 'hang' } : echoReply(req)),
    });
    const thread = localThread('slow');
    await h.app.conversation.handleMessage(thread, 'before');
    const [stuck, next] = await Promise.all([
      h.app.conversation.handleMessage(thread, 'stuck'),
      h.app.conversation.handleMessage(thread, 'after'),
    ]);
    expect(stuck).toMatchObject({ kind: 'error', text: expect.stringMatching(/took longer than 2 s/) });
    // Not the previous message's answer (the classic desync after an error).
    expect(next).toMatchObject({ kind: 'answer', text: expect.stringMatching(/^you said: after \| earlier: before/) });
    expect(h.app.conversation.queue.size).toBe(0);
    // History says which message got no answer (it stays in the session: docs/operations.md, Troubleshooting).
    const history = (await h.app.conversation.handleMessage(thread, '/history')).text;
    expect(history).toContain('**user** (not answered: the turn failed): stuck');
    expect(history).toMatch(/\*\*user\*\*: before/);
    expect(history).toMatch(/\*\*user\*\*: after/);
  });

  it('a model that keeps failing (HTTP 500) gives an error reply, and the thread is answered again once it recovers', async () => {
    let down = true;
    h = await startHarness({ script: (req) => (down ? { kind: 'error', status: 500, message: 'upstream exploded' } : echoReply(req)) });
    const thread = localThread('flaky');
    const failed = h.app.conversation.handleMessage(thread, 'first');
    const queued = h.app.conversation.handleMessage(thread, 'second');
    const reply = await failed;
    down = false;
    expect(reply).toMatchObject({ kind: 'error', text: expect.stringMatching(/Copilot could not answer .*try again/) });
    // Upstream details (its message, the runtime's retry count) go to the log; the thread gets a reference.
    expect(reply.text).toMatch(/ref `[0-9a-f]{8}`/);
    expect(reply.text).not.toMatch(/upstream exploded|retried/);
    // The failed turn did not poison the queue: the message behind it is answered, and by itself.
    expect(await queued).toMatchObject({ kind: 'answer', text: expect.stringMatching(/^you said: second/) });
    const events = (await h.app.agent.history(sessionIdFor(thread)))!;
    expect(events.some((e) => e.type === 'session.error')).toBe(true);
    const history = (await h.app.conversation.handleMessage(thread, '/history')).text;
    expect(history).toContain('**user** (not answered: the turn failed): first');
    expect(history).toMatch(/\*\*user\*\*: second/);
  });

  it('a registry that cannot be written: a thread’s first turn is refused before any session exists; a later one is answered and the record catches up', async () => {
    h = await startHarness();
    const registry = h.app.store.registry;
    const write = registry.recordTurn.bind(registry);
    let down = true;
    registry.recordTurn = (...args) => (down ? Promise.reject(new StoreUnavailableError(h!.config.storeUrl, new Error('disk I/O error'))) : write(...args));
    const thread = localThread('registry-down');
    const id = sessionIdFor(thread);
    expect(await h.app.conversation.handleMessage(thread, 'first')).toMatchObject({ kind: 'error', text: expect.stringMatching(/storage is unavailable/) });
    expect(await h.app.agent.exists(id)).toBe(false);
    down = false;
    expect(await h.app.conversation.handleMessage(thread, 'again')).toMatchObject({ kind: 'answer' });
    // Known to the registry now: a failed update no longer costs the person their answer.
    down = true;
    expect(await h.app.conversation.handleMessage(thread, 'while down')).toMatchObject({ kind: 'answer', text: expect.stringMatching(/^you said: while down/) });
    expect((await registry.get(id))?.turns).toBe(1);
    down = false;
    expect(await h.app.conversation.handleMessage(thread, 'back')).toMatchObject({ kind: 'answer', text: expect.stringMatching(/^you said: back \| earlier: again; while down/) });
    expect((await registry.get(id))?.turns).toBe(2);
  });

  it('a model server that is not there at all gives an error reply, not a crash', async () => {
    h = await startHarness();
    await h.model.close();
    // Its port is held by a listener that hangs up at once, so no other test's model server can
    // take the freed port and answer in its place.
    const port = Number(new URL(h.model.url).port);
    const gone = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => gone.listen(port, '127.0.0.1', resolve));
    const reply = await h.app.conversation.handleMessage(localThread('nomodel'), 'hello?').finally(() => gone.close());
    expect(reply).toMatchObject({ kind: 'error', text: expect.stringMatching(/Copilot could not answer/) });
  });
});

describe('tools and permissions', () => {
  it('offers no tool at all by default, so a model asking for a shell gets nothing run', async () => {
    h = await startHarness({
      script: (req) => {
        const last = req.messages.at(-1)!;
        if (last.role === 'tool') return { kind: 'text', text: `tool answer: ${typeof last.content === 'string' ? last.content : ''}` };
        return { kind: 'tool', name: 'bash', args: { command: 'echo pwned', description: 'x' } };
      },
    });
    const reply = await h.app.conversation.handleMessage(localThread('shell'), 'run something');
    expect(reply.text).toMatch(/does not exist/);
    expect(h.model.requests[0]?.tools ?? []).toEqual([]);
  });

  it('denies a permission request outside what the policy allows, and grants one inside it', async () => {
    h = await startHarness({
      // The policy is the same in and out of the sandbox; `view` itself only reads files outside it
      // (under sessionFs the runtime reports every file missing; see the tool table in docs/tools-and-safety.md).
      env: { COPILOT_TOOLS: 'view', TOOLS_SANDBOX: 'off' },
      script: (req) => {
        const last = req.messages.at(-1)!;
        if (last.role === 'tool') return { kind: 'text', text: `tool answer: ${typeof last.content === 'string' ? last.content : JSON.stringify(last.content)}` };
        return { kind: 'tool', name: 'view', args: { path: req.userTexts.at(-1)?.split(' ').at(-1) } };
      },
    });
    const fs = await import('node:fs');
    const { sessionIdFor } = await import('../../src/core/thread.js');
    const thread = localThread('perm');
    // Each thread's file tools have its own folder of the workspace.
    const workspace = `${h.config.copilotHome}/workspace/${sessionIdFor(thread)}`;
    fs.mkdirSync(workspace, { recursive: true });
    fs.writeFileSync(`${workspace}/notes.txt`, 'INSIDE-THE-WORKSPACE');
    fs.writeFileSync(`${h.config.copilotHome}/workspace/other-thread.txt`, 'OTHER-THREAD');
    fs.writeFileSync(`${h.dir}/secret.txt`, 'OUTSIDE-SECRET');
    const denied = await h.app.conversation.handleMessage(thread, `read ${h.dir}/secret.txt`);
    expect(denied.text).toMatch(/rejected/);
    expect(denied.text).not.toContain('OUTSIDE-SECRET');
    const granted = await h.app.conversation.handleMessage(thread, `read ${workspace}/notes.txt`);
    expect(granted.text).toContain('INSIDE-THE-WORKSPACE');
    const other = await h.app.conversation.handleMessage(thread, `read ${workspace}/../other-thread.txt`);
    expect(other.text).toMatch(/rejected/);
    expect(other.text).not.toContain('OTHER-THREAD');
  });
});

describe('the runtime process', () => {
  it('is recycled in the middle of traffic without losing or mixing up any thread', async () => {
    h = await startHarness({ env: { RUNTIME_RECYCLE_SESSIONS: '3' } });
    const threads = Array.from({ length: 6 }, (_, i) => localThread(`r${i}`));
    const c = h.app.conversation;
    const round = (n: number) => Promise.all(threads.map((t, i) => c.handleMessage(t, `t${i}-${n}`)));
    await round(1);
    const second = await round(2);
    const third = await round(3);
    expect(h.app.agent.recycles).toBeGreaterThanOrEqual(1);
    threads.forEach((_, i) => {
      expect(second[i]!.text).toBe(`you said: t${i}-2 | earlier: t${i}-1`);
      expect(third[i]!.text).toBe(`you said: t${i}-3 | earlier: t${i}-1; t${i}-2`);
    });
  });

  it('is restarted when it dies mid-turn: that turn gets an error reply, the thread goes on', async () => {
    h = await startHarness({ script: (req) => (req.userTexts.at(-1) === 'crash here' ? { kind: 'hang' } : echoReply(req)) });
    const thread = localThread('crash');
    await h.app.conversation.handleMessage(thread, 'before');
    const crashed = h.app.conversation.handleMessage(thread, 'crash here');
    const queued = h.app.conversation.handleMessage(thread, 'behind it');
    await expect.poll(() => h!.model.requests.length).toBe(2);
    const pid = h.app.agent.runtimePid!;
    process.kill(pid, 'SIGKILL');
    expect(await crashed).toMatchObject({ kind: 'error', text: expect.stringMatching(/runtime stopped unexpectedly while answering and has been restarted/) });
    expect(await queued).toMatchObject({ kind: 'answer', text: expect.stringMatching(/^you said: behind it \| earlier: before/) });
    expect(h.app.agent.runtimePid).not.toBe(pid);
    expect(h.app.agent.recycles).toBe(1);
  });

  it('is recycled when its memory passes RUNTIME_RECYCLE_MB, and threads keep their context', async () => {
    // Any runtime is bigger than 1 MB, so every turn is followed by a recycle.
    h = await startHarness({ env: { RUNTIME_RECYCLE_MB: '1', RUNTIME_RECYCLE_SESSIONS: '0' } });
    const thread = localThread('mem');
    await h.app.conversation.handleMessage(thread, 'one');
    await h.app.agent.settled();
    expect(h.app.agent.recycles).toBeGreaterThanOrEqual(1);
    expect((await h.app.conversation.handleMessage(thread, 'two')).text).toBe('you said: two | earlier: one');
  });

  it('disconnects idle sessions and resumes them with their context', async () => {
    h = await startHarness({ env: { SESSION_IDLE_SECONDS: '1' } });
    const thread = localThread('idle');
    await h.app.conversation.handleMessage(thread, 'one');
    expect(h.app.agent.liveSessions).toBe(1);
    await expect.poll(() => h!.app.agent.liveSessions, { timeout: 10_000 }).toBe(0);
    // Nor does the SDK's client keep the disconnected session's object (it would, until the runtime stops).
    await expect.poll(() => h!.app.agent.clientSessions).toBe(0);
    expect((await h.app.conversation.handleMessage(thread, 'two')).text).toBe('you said: two | earlier: one');
  });

  it('holds at most MAX_LIVE_SESSIONS open: the least recently used idle one goes first, and resumes with its context', async () => {
    h = await startHarness({ env: { MAX_LIVE_SESSIONS: '2' } });
    const [a, b, c] = ['lru-a', 'lru-b', 'lru-c'].map((n) => localThread(n));
    const c1 = h.app.conversation;
    await c1.handleMessage(a!, 'a1');
    await c1.handleMessage(b!, 'b1');
    await c1.handleMessage(a!, 'a2');
    await c1.handleMessage(c!, 'c1');
    // b goes: the least recently used, once idle a moment (a thread's next turn would take it back sooner).
    await expect.poll(() => h!.app.agent.liveIds).toEqual([sessionIdFor(a!), sessionIdFor(c!)]);
    await expect.poll(() => h!.app.agent.clientSessions).toBe(2);
    expect((await c1.handleMessage(b!, 'b2')).text).toBe('you said: b2 | earlier: b1');
    await expect.poll(() => h!.app.agent.liveIds).toEqual([sessionIdFor(c!), sessionIdFor(b!)]);
    // Busy sessions are never the ones let go: more threads at once than the limit all get their
    // answers (two turns each, in order), and the extra sessions go once idle.
    const many = ['busy-1', 'busy-2', 'busy-3', 'busy-4'].map((n) => localThread(n));
    const replies = await Promise.all(many.flatMap((t) => [c1.handleMessage(t, 'x'), c1.handleMessage(t, 'y')]));
    expect(replies.map((r) => r.text)).toEqual(many.flatMap(() => ['you said: x', 'you said: y | earlier: x']));
    await expect.poll(() => h!.app.agent.liveSessions).toBeLessThanOrEqual(2);
  });

  it('on shutdown, waits for running turns up to the grace period, then aborts them with a restart notice', async () => {
    h = await startHarness({
      script: (req) => (req.userTexts.at(-1) === 'forever' ? { kind: 'hang' } : { kind: 'text', text: 'done', delayMs: 300 }),
    });
    const quick = h.app.conversation.handleMessage(localThread('quick'), 'quick');
    const stuck = h.app.conversation.handleMessage(localThread('stuck'), 'forever');
    await expect.poll(() => h!.model.requests.length).toBe(2);
    await h.app.shutdown(1500);
    expect(await quick).toMatchObject({ kind: 'answer', text: 'done' });
    expect(await stuck).toMatchObject({ kind: 'error', text: expect.stringMatching(/restarting/) });
  });

  it('answers a turn arriving during shutdown with a restart notice, not silence', async () => {
    h = await startHarness();
    const thread = localThread('late');
    await h.app.conversation.handleMessage(thread, 'one');
    await h.app.agent.stop();
    expect(await h.app.conversation.handleMessage(thread, 'two')).toMatchObject({ kind: 'error', text: expect.stringMatching(/restarting/) });
  });
});
