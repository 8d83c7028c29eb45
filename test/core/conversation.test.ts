/**
 * The core against an in-memory Agent: the paths the real runtime cannot be made to take on
 * demand (event kinds it does not know yet, an agent that throws something unexpected).
 */
import { describe, expect, it } from 'vitest';
import { AgentStoppedError, type Agent, type SessionSummary } from '../../src/agent/agent.js';
import { Conversation } from '../../src/core/conversation.js';
import type { TranscriptEvent } from '../../src/core/history.js';
import type { SessionId } from '../../src/core/thread.js';
import { silentLogger } from '../../src/infra/log.js';
import { KeyvThreadRegistry } from '../../src/store/registry.js';
import { openBackend } from '../../src/store/keyv.js';
import { StoreCalls } from '../../src/infra/store-calls.js';
import { localThread } from '../../testkit/harness.js';

class MemoryAgent implements Agent {
  sessions = new Map<string, TranscriptEvent[]>();
  failWith: Error | undefined;
  async start() {}
  async stop() {}
  async send(id: SessionId, prompt: string) {
    if (this.failWith) throw this.failWith;
    const created = !this.sessions.has(id);
    const log = this.sessions.get(id) ?? [];
    log.push({ type: 'user.message', data: { content: prompt } }, { type: 'assistant.message', data: { content: `re: ${prompt}` } });
    this.sessions.set(id, log);
    return { text: `re: ${prompt}`, created };
  }
  async exists(id: SessionId) {
    return this.sessions.has(id);
  }
  async history(id: SessionId) {
    return this.sessions.get(id);
  }
  async repo(): Promise<{ commit: string }> {
    throw new Error('no repositories here');
  }
  async forget(id: SessionId) {
    return this.sessions.delete(id);
  }
  async list(): Promise<SessionSummary[]> {
    return [...this.sessions.keys()].map((id) => ({ id: id as SessionId, createdAt: undefined, modifiedAt: undefined, summary: undefined }));
  }
}

async function setup() {
  const agent = new MemoryAgent();
  const backend = await openBackend('sqlite://:memory:', 5000, 'copilot-threads');
  const registry = new KeyvThreadRegistry(await backend.keyv('threads'), new StoreCalls('sqlite://:memory:', 5000));
  const conversation = new Conversation({ agent, registry, logger: silentLogger, turnTimeoutMs: 1000, admins: [] });
  return { agent, registry, conversation };
}

describe('Conversation (core, no runtime)', () => {
  it('shows event kinds it has never heard of instead of dropping them', async () => {
    const { agent, conversation } = await setup();
    const thread = localThread('t');
    await conversation.handleMessage(thread, 'hi');
    agent.sessions.get('local-team-t')!.push({ type: 'session.brand_new_kind', data: { x: 1 } });
    const reply = await conversation.handleMessage(thread, 'history');
    expect(reply.text).toContain('session.brand_new_kind');
    if (reply.kind !== 'history') throw new Error('expected history');
    expect(reply.transcript).toContain('session.brand_new_kind');
  });

  it('turns an unexpected agent failure into a reply with a reference, and keeps the thread usable', async () => {
    const { agent, conversation } = await setup();
    const thread = localThread('t');
    agent.failWith = new Error('socket hang up');
    const failed = await conversation.handleMessage(thread, 'hi');
    expect(failed).toMatchObject({ kind: 'error', text: expect.stringMatching(/Something went wrong on my side \(ref `[0-9a-f]{8}`\)/) });
    expect(failed.text).not.toContain('socket hang up');
    agent.failWith = new AgentStoppedError();
    expect((await conversation.handleMessage(thread, 'hi')).text).toMatch(/restarting/);
    agent.failWith = undefined;
    expect(await conversation.handleMessage(thread, 'again')).toMatchObject({ kind: 'answer', text: 're: again' });
  });

  it('records who started a thread, and counts its turns', async () => {
    const { registry, conversation } = await setup();
    const thread = localThread('t', 'ana');
    await conversation.handleMessage(thread, 'one');
    await conversation.handleMessage({ ...thread, user: 'bob' }, 'two');
    expect(await registry.get('local-team-t' as SessionId)).toMatchObject({ startedBy: 'ana', turns: 2, platform: 'local', workspace: 'team' });
  });
});

describe('history paging (core, no runtime)', () => {
  it('reads the session log once while paging, and again after a new turn or a forget', async () => {
    const { agent, conversation } = await setup();
    let reads = 0;
    const history = agent.history.bind(agent);
    agent.history = (id) => {
      reads++;
      return history(id);
    };
    const thread = localThread('pages');
    for (let i = 0; i < 12; i++) await conversation.handleMessage(thread, `q${i}`);
    const newest = await conversation.handleMessage(thread, 'history');
    const first = await conversation.handleMessage(thread, 'history 1');
    expect(reads).toBe(1);
    if (newest.kind !== 'history' || first.kind !== 'history') throw new Error('expected history');
    expect(first.text).toContain('q0');
    expect(newest.page.pages).toBeGreaterThan(1);

    await conversation.handleMessage(thread, 'one more');
    const after = await conversation.handleMessage(thread, 'history');
    expect(reads).toBe(2);
    expect(after.text).toContain('one more');

    await conversation.handleMessage(thread, 'forget');
    expect((await conversation.handleMessage(thread, 'history')).text).toMatch(/no Copilot session yet/);
    expect(reads).toBe(3);
  });
});

describe('sessions listing (core, no runtime)', () => {
  it('lists the workspace’s threads but only your own direct messages', async () => {
    const { conversation } = await setup();
    const ws = { platform: 'slack', workspace: 'T1' };
    await conversation.handleMessage({ ...ws, channel: 'C1', thread: '1.1', user: 'ana' }, 'public');
    await conversation.handleMessage({ ...ws, channel: 'D1', thread: '2.2', user: 'ana', direct: true }, 'ana private');
    await conversation.handleMessage({ ...ws, channel: 'D2', thread: '3.3', user: 'bob', direct: true }, 'bob private');
    const forBob = await conversation.handleMessage({ ...ws, channel: 'C1', thread: '9.9', user: 'bob' }, 'sessions');
    if (forBob.kind !== 'sessions') throw new Error('expected sessions');
    expect(forBob.records.map((r) => r.channel).sort()).toEqual(['C1', 'D2']);
    expect(forBob.text).not.toContain('D1');
  });
});

describe('readable session ids', () => {
  it('keeps a thread whose session was made under its old hex id, until it is forgotten', async () => {
    const { agent, registry, conversation } = await setup();
    const thread = localThread('readme-demo');
    // Made by an earlier version, which spelled every hyphenated name in hex.
    const old = 'local-team-_726561646d652d64656d6f' as SessionId;
    agent.sessions.set(old, [{ type: 'user.message', data: { content: 'the old question' } }]);
    await registry.recordTurn(old, thread, new Date(), 'the old question');
    const reply = await conversation.handleMessage(thread, 'and now?');
    expect(reply).toMatchObject({ kind: 'answer', sessionId: old, created: false });
    expect((await conversation.handleMessage(thread, 'history')).text).toContain('the old question');
    expect(agent.sessions.has('local-team-__readme__demo')).toBe(false);

    // Forgotten, the thread starts fresh under its readable id.
    expect(await conversation.handleMessage(thread, 'forget')).toMatchObject({ kind: 'forgotten', sessionId: old });
    expect(await conversation.handleMessage(thread, 'fresh')).toMatchObject({ kind: 'answer', sessionId: 'local-team-__readme__demo', created: true });
  });
});
