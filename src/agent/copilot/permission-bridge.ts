/**
 * The runtime's permission requests, answered: the policy decides (deny, allow, or ask a
 * person); a request that needs a person goes to the running turn's approver, with the turn's
 * clock stopped while they decide. Anything that goes wrong denies: nobody to ask (a request
 * re-raised on resume), an approval that could not be asked for.
 */
import type { Logger } from '../../infra/log.js';
import { decidePermission, describeAsk, toolOfRequest, type PermissionAnswer, type PermissionAsk, type PermissionPolicy } from '../permissions.js';
import type { PermissionRecord } from '../agent.js';
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
    const tool = toolOfRequest(request, toolName);
    const described = describeAsk(request, tool);
    tell(turn, { tool, detail: described.detail, digest: described.digest, ...(answer.kind === 'reject' ? { decision: 'denied', reason: answer.feedback.replace(/ Do not retry; answer without it\.$/, '') } : { decision: 'allowed' }) });
    return answer.kind === 'reject' ? answer : withinBudget(turn, tool, log, sessionId);
  }
  // Nobody to ask (no turn of ours runs here: a request re-raised on resume): fail closed.
  if (!turn?.approve || turn.signal.aborted) {
    log.warn({ sessionId, tool: answer.ask.tool }, 'tool permission: needs approval, nobody to ask; denied');
    tell(turn, { tool: answer.ask.tool, detail: answer.ask.detail, digest: answer.ask.digest, decision: 'denied', reason: 'it needs approval and nobody could be asked' });
    return { kind: 'reject', feedback: 'This tool needs a person to approve it, and nobody could be asked. Do not retry; answer without it.' };
  }
  tell(turn, { tool: answer.ask.tool, detail: answer.ask.detail, digest: answer.ask.digest, decision: 'asked' });
  turn.pause();
  try {
    const verdict = await turn.approve(answer.ask, turn.signal);
    log.info({ sessionId, tool: answer.ask.tool, approved: verdict.approved }, 'tool permission decided by a person');
    return verdict.approved ? await withinBudget(turn, answer.ask.tool, log, sessionId) : { kind: 'reject', feedback: `${verdict.reason} Do not retry; answer without it.` };
  } catch (err) {
    log.warn({ sessionId, tool: answer.ask.tool, err: String(err) }, 'tool approval failed; denied');
    return { kind: 'reject', feedback: 'The approval could not be asked for. Do not retry; answer without it.' };
  } finally {
    turn.resume();
  }
}

/** The turn hears of the request (for the audit trail); a listener that throws changes no answer. */
function tell(turn: RunningTurn | undefined, record: PermissionRecord): void {
  try {
    turn?.onPermission?.(record);
  } catch {
    // The answer stands whatever a listener does.
  }
}

/** An allowed tool runs only while its author's daily budget lasts; a budget that cannot be asked denies. */
async function withinBudget(turn: RunningTurn | undefined, tool: string, log: Logger, sessionId: string): Promise<Exclude<PermissionAnswer, { kind: 'ask' }>> {
  // No turn of ours runs here (a request re-raised as a session resumes): nothing to count it against, so it does not run.
  if (!turn) return { kind: 'reject', feedback: 'No turn is running to use this tool in. Do not retry.' };
  if (!turn.toolBudget) return { kind: 'approve-once' };
  const refusal = await turn.toolBudget(tool).catch((err: unknown) => {
    log.warn({ sessionId, tool, err: String(err) }, 'tool budget could not be checked; denied');
    return 'the daily tool budget could not be checked';
  });
  if (refusal === undefined) return { kind: 'approve-once' };
  log.info({ sessionId, tool, refusal }, 'tool refused: budget');
  return { kind: 'reject', feedback: `Not run: ${refusal}. Do not retry; tell the person.` };
}
