/**
 * The core against an in-memory Agent: the paths the real runtime cannot be made to take on
 * demand (event kinds it does not know yet, an agent that throws something unexpected).
 */
import { describe, expect, it } from 'vitest';
import { AgentStoppedError, type Agent, type SessionSummary } from '../../src/agent/agent.js';
import { Conversation } from '../../src/core/conversation.js';
import type { TranscriptEvent } from '../../src/core/history.js';
import type { SessionId } from '../../src/core/thread.js';
import { silentLogger } from '../../src/log.js';
import { KeyvThreadRegistry } from '../../src/store/registry.js';
import { openKeyv } from '../../src/store/keyv.js';
import { localThread } from '../support/harness.js';

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
  async forget(id: SessionId) {
    return this.sessions.delete(id);
  }
  async list(): Promise<SessionSummary[]> {
    return [...this.sessions.keys()].map((id) => ({ id: id as SessionId, createdAt: undefined, modifiedAt: undefined, summary: undefined }));
  }
}

async function setup() {
  const agent = new MemoryAgent();
  const registry = new KeyvThreadRegistry(await openKeyv('sqlite://:memory:', 'threads'));
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
