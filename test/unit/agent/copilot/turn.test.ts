/** A turn past SESSION_MAX_AI_CREDITS: the runtime's request to raise the limit is declined (cancel) and the turn ends saying why. */
import type { CopilotSession, SessionEvent } from '@github/copilot-sdk';
import { describe, expect, it, vi } from 'vitest';
import { SessionLimitError } from '../../../../src/agent/agent.js';
import { runTurn } from '../../../../src/agent/copilot/turn.js';
import { failureOf } from '../../../../src/core/failures.js';
import { silentLogger } from '../../../../src/infra/log.js';

function fakeSession(events: (emit: (e: SessionEvent) => void) => void) {
  let listener: (e: SessionEvent) => void = () => undefined;
  const handlePendingSessionLimitsExhausted = vi.fn(async () => ({ success: true }));
  const session = {
    on: (l: (e: SessionEvent) => void) => {
      listener = l;
      return () => undefined;
    },
    send: async () => {
      queueMicrotask(() => events((e) => listener(e)));
      return 'message-1';
    },
    abort: async () => undefined,
    rpc: { ui: { handlePendingSessionLimitsExhausted } },
  };
  return { session: session as unknown as CopilotSession, handlePendingSessionLimitsExhausted };
}

const event = (type: string, data: object) => ({ type, data, id: 'e', parentId: null, timestamp: new Date().toISOString(), ephemeral: true }) as unknown as SessionEvent;

describe('a turn and the session limit', () => {
  it('cancels the blocked model call and fails the turn with the limit, which the person is told', async () => {
    const { session, handlePendingSessionLimitsExhausted } = fakeSession((emit) =>
      emit(event('session_limits_exhausted.requested', { requestId: 'req-1', maxAiCredits: 50, usedAiCredits: 50.5 })),
    );
    const ended: Array<Error | undefined> = [];
    const turn = runTurn(session, 'hello', { timeoutMs: 60_000, placed: [] }, { started: () => undefined, ended: (_t, err) => ended.push(err) });
    const err = await turn.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionLimitError);
    expect(handlePendingSessionLimitsExhausted).toHaveBeenCalledWith({ requestId: 'req-1', response: { action: 'cancel' } });
    expect(ended).toEqual([err]);
    const failure = failureOf(err, silentLogger);
    expect(failure.outcome).toBe('session_limit');
    expect(failure.reply.text).toMatch(/^🪫 This thread has used its 50 AI credits \(SESSION_MAX_AI_CREDITS\)/);
  });

  it('reports each model call’s tokens as the runtime counts them', async () => {
    const { session } = fakeSession((emit) => {
      emit(event('assistant.usage', { model: 'm', inputTokens: 120, outputTokens: 30 }));
      emit(event('assistant.usage', { model: 'm', inputTokens: 7 }));
      emit(event('assistant.message', { content: 'done' }));
      emit(event('session.idle', {}));
    });
    const usage: unknown[] = [];
    const text = await runTurn(session, 'hi', { timeoutMs: 60_000, placed: [], onUsage: (u) => usage.push(u) }, { started: () => undefined, ended: () => undefined });
    expect(text).toBe('done');
    expect(usage).toEqual([
      { model: 'm', inputTokens: 120, outputTokens: 30 },
      { model: 'm', inputTokens: 7, outputTokens: 0 },
    ]);
  });
});
