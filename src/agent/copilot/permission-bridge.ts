/**
 * The runtime's permission requests, answered: the policy decides (deny, allow, or ask a
 * person); a request that needs a person goes to the running turn's approver, with the turn's
 * clock stopped while they decide. Anything that goes wrong denies: nobody to ask (a request
 * re-raised on resume), an approval that could not be asked for.
 */
import type { Logger } from '../../infra/log.js';
import { decidePermission, type PermissionAnswer, type PermissionAsk, type PermissionPolicy } from '../permissions.js';
import type { RunningTurn } from './turn.js';

export async function answerPermission(
request: PermissionAsk,
sessionId: string,
turn: RunningTurn | undefined,
policy: PermissionPolicy,
log: Logger,
): Promise<Exclude<PermissionAnswer, { kind: 'ask' }>> {
  const toolName = request.toolCallId ? turn?.toolNames.get(request.toolCallId) : undefined;
  const answer = decidePermission(request, policy, toolName);
  if (answer.kind !== 'ask') {
    log[answer.kind === 'reject' ? 'warn' : 'info']({ sessionId, request: request.kind, decision: answer.kind }, 'tool permission');
    return answer;
  }
  // Nobody to ask (no turn of ours runs here: a request re-raised on resume): fail closed.
  if (!turn?.approve || turn.signal.aborted) {
    log.warn({ sessionId, tool: answer.ask.tool }, 'tool permission: needs approval, nobody to ask; denied');
    return { kind: 'reject', feedback: 'This tool needs a person to approve it, and nobody could be asked. Do not retry; answer without it.' };
  }
  turn.pause();
  try {
    const verdict = await turn.approve(answer.ask, turn.signal);
    log.info({ sessionId, tool: answer.ask.tool, approved: verdict.approved }, 'tool permission decided by a person');
    return verdict.approved ? { kind: 'approve-once' } : { kind: 'reject', feedback: `${verdict.reason} Do not retry; answer without it.` };
  } catch (err) {
    log.warn({ sessionId, tool: answer.ask.tool, err: String(err) }, 'tool approval failed; denied');
    return { kind: 'reject', feedback: 'The approval could not be asked for. Do not retry; answer without it.' };
  } finally {
    turn.resume();
  }
}
