/**
 * One turn of a session: the prompt sent, the answer streamed and gathered, progress (tools,
 * messages) reported, and a deadline that counts the turn's own work only: while a person decides
 * on a tool, the clock stands still. The turn ends on the session's idle event, an error, the
 * deadline (which aborts it) or `fail` from outside (its state can no longer be trusted).
 */
import type { CopilotSession } from '@github/copilot-sdk';
import { SessionLimitError, TurnFailedError, TurnTimeoutError, type TurnOptions } from '../agent.js';
import type { SdkAttachment } from './attached-files.js';
import { turnRefusal } from './accounts.js';

export interface RunningTurn {
  /** Fails the turn (its state can no longer be trusted). */
  readonly fail: (err: Error) => void;
  approve: TurnOptions['approve'];
  onPermission: TurnOptions['onPermission'];
  toolBudget: TurnOptions['toolBudget'];
  signal: AbortSignal;
  /** The turn's timeout stands still while a person decides. */
  readonly pause: () => void;
  readonly resume: () => void;
  /** Tool call id → tool name, from `tool.execution_start` (permission requests do not name built-in tools). */
  toolNames: Map<string, string>;
}

/** Tools that start processes: the processes of a turn that used one are killed when it ends. */
export const PROCESS_TOOLS = new Set(['bash', 'powershell', 'read_bash', 'write_bash']);

/** What the agent does as a turn starts and ends (track it, stop its tools' processes). */
export interface TurnHooks {
  started(turn: RunningTurn): void;
  /** The turn is over, with its error if it failed, and the tools it ran. */
  ended(turn: RunningTurn, err: Error | undefined, toolsRun: ReadonlySet<string>): void;
}

export function runTurn(session: CopilotSession, prompt: string, options: TurnOptions & { placed: readonly SdkAttachment[] }, hooks: TurnHooks): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let answer = '';
    let settled = false;
    const aborted = new AbortController();
    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      aborted.abort();
      hooks.ended(running, err, new Set(toolNames.values()));
      if (err) reject(err);
      else resolve(answer);
    };
    const toolNames = new Map<string, string>();
    const unsubscribe = session.on((event) => {
      switch (event.type) {
        case 'assistant.message_delta':
          options.onDelta?.(event.data.deltaContent);
          break;
        case 'assistant.message':
          if (event.data.content) answer = event.data.content;
          options.onProgress?.({ kind: 'message-end' });
          break;
        case 'tool.execution_start':
          toolNames.set(event.data.toolCallId, event.data.toolName);
          options.onProgress?.({ kind: 'tool', name: event.data.toolName, phase: 'start' });
          break;
        case 'tool.execution_complete':
          options.onProgress?.({ kind: 'tool', name: toolNames.get(event.data.toolCallId) ?? 'tool', phase: 'end', ok: event.data.success });
          break;
        case 'assistant.usage':
          options.onUsage?.({ inputTokens: event.data.inputTokens ?? 0, outputTokens: event.data.outputTokens ?? 0, model: event.data.model });
          break;
        case 'session_limits_exhausted.requested':
          // Nobody raises a thread's limit from a chat: the blocked model call is cancelled, the turn ends saying why.
          void session.rpc.ui.handlePendingSessionLimitsExhausted({ requestId: event.data.requestId, response: { action: 'cancel' } }).catch(() => undefined);
          finish(new SessionLimitError(event.data.maxAiCredits, event.data.usedAiCredits));
          break;
        case 'session.error':
          finish(turnRefusal(event.data, options.as) ?? new TurnFailedError(event.data.message));
          break;
        case 'session.idle':
          finish(undefined);
          break;
        default:
          break;
      }
    });
    // The timeout counts the turn's own work: time spent waiting for a person does not count.
    let remaining = options.timeoutMs;
    let armedAt = 0;
    let pauses = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      armedAt = Date.now();
      timer = setTimeout(() => {
        void session.abort().catch(() => undefined);
        finish(new TurnTimeoutError(options.timeoutMs));
      }, remaining);
    };
    const running: RunningTurn = {
      fail: finish,
      approve: options.approve,
      onPermission: options.onPermission,
      toolBudget: options.toolBudget,
      signal: aborted.signal,
      toolNames,
      pause: () => {
        if (pauses++ > 0 || settled) return;
        clearTimeout(timer);
        remaining = Math.max(0, remaining - (Date.now() - armedAt));
      },
      resume: () => {
        if (--pauses === 0 && !settled) arm();
      },
    };
    hooks.started(running);
    arm();
    session.send({ prompt, ...(options.placed.length ? { attachments: [...options.placed] } : {}) }).catch((err: unknown) => finish(err instanceof Error ? err : new TurnFailedError(String(err))));
  });
}
