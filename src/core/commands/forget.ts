/**
 * `forget`: deletes a thread's session, its record and its approvals, asked in the thread. Only
 * the person who started the thread's session or a bot admin may; a session whose record is gone
 * has no known starter, so only an admin may forget it.
 */
import type { Agent } from '../../agent/agent.js';
import type { Logger } from '../../infra/log.js';
import type { ThreadRecord, ThreadRegistry } from '../../store/registry.js';
import { FORGOTTEN_NOTICE, type Reply } from '../reply.js';
import type { SessionId, ThreadRef } from '../thread.js';

export interface ForgetDeps {
  agent: Pick<Agent, 'exists'>;
  registry: Pick<ThreadRegistry, 'get'>;
  isAdmin: (thread: Pick<ThreadRef, 'platform' | 'user'>) => boolean;
  /** Deletes session and record in the thread's line (Conversation.forgetSession). */
  forgetSession: (id: SessionId) => Promise<{ session: boolean; record: boolean }>;
  logger: Logger;
}

const NOTHING = 'This thread has no Copilot session to forget.';

/** Whether `thread`'s person may forget the thread recorded as `record`: its starter or an admin. */
export function mayForget(record: ThreadRecord | undefined, thread: ThreadRef, isAdmin: ForgetDeps['isAdmin']): boolean {
  return isAdmin(thread) || (record !== undefined && record.startedBy === thread.user);
}

export async function forgetThread(thread: ThreadRef, id: SessionId, deps: ForgetDeps): Promise<Reply> {
  const record = await deps.registry.get(id);
  if (!mayForget(record, thread, deps.isAdmin)) {
    if (!record && !(await deps.agent.exists(id))) return { kind: 'notice', text: NOTHING };
    return { kind: 'notice', text: 'Only the person who started this thread’s session, or a bot admin, can forget it.' };
  }
  const removed = await deps.forgetSession(id);
  deps.logger.info({ sessionId: id, by: `${thread.platform}:${thread.user}`, ...removed }, 'thread forgotten');
  if (!removed.session && !removed.record) return { kind: 'notice', text: NOTHING };
  return { kind: 'forgotten', sessionId: id, text: FORGOTTEN_NOTICE };
}
