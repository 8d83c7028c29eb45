/**
 * Every way a turn, a command or a click can fail, in one table: the outcome the metrics count,
 * what goes to the log (details, upstream words, under a reference), and the short reply the
 * person sees. The first row whose error class matches wins; anything unknown is the last row.
 */
import { AccountRefusedError, AgentStoppedError, RuntimeExitedError, SessionBusyError, SessionLimitError, TurnFailedError, TurnTimeoutError } from '../agent/agent.js';
import { StoreUnavailableError } from '../infra/store-calls.js';
import type { Logger } from '../infra/log.js';
import type { TurnOutcome } from '../infra/metrics.js';
import { errorReference, type Reply } from './reply.js';

export interface Failure {
  outcome: TurnOutcome;
  reply: Reply;
}

interface Row<E extends Error> {
  error: abstract new (...args: never[]) => E;
  outcome: TurnOutcome | ((err: E) => TurnOutcome);
  /** Logs what an operator needs and returns what the person is told. */
  tell: (err: E, log: Logger) => Reply;
}

const row = <E extends Error>(r: Row<E>): Row<Error> => r as unknown as Row<Error>;

const FAILURES: ReadonlyArray<Row<Error>> = [
  row({
    error: TurnTimeoutError,
    outcome: 'timeout',
    tell: (err, log) => {
      log.warn({ timeoutMs: err.timeoutMs }, 'turn timed out');
      return { kind: 'error', text: `⏱️ Copilot took longer than ${Math.round(err.timeoutMs / 1000)} s, so I stopped it. The thread is intact: ask again, perhaps in smaller steps.` };
    },
  }),
  row({
    error: RuntimeExitedError,
    outcome: 'runtime_exited',
    tell: (_err, log) => {
      log.warn('the Copilot runtime stopped during the turn');
      return { kind: 'error', text: '⚠️ The Copilot runtime stopped unexpectedly while answering and has been restarted. The thread is intact: please try again.' };
    },
  }),
  row({
    error: SessionLimitError,
    outcome: 'session_limit',
    tell: (err, log) => {
      log.info({ maxAiCredits: err.maxAiCredits, usedAiCredits: err.usedAiCredits }, 'turn stopped: session limit');
      return {
        kind: 'error',
        text: `🪫 This thread has used its ${err.maxAiCredits} AI credits (SESSION_MAX_AI_CREDITS), so I stopped before asking the model again. Start a new thread, or ask the people who run me to raise the limit.`,
      };
    },
  }),
  row({
    error: AccountRefusedError,
    outcome: (err) => (err.why === 'no-seat' ? 'no_seat' : 'signed_out'),
    tell: (err, log) => {
      log.info({ login: err.login, why: err.why, reason: err.message }, 'turn refused: the person’s GitHub account');
      return err.why === 'no-seat'
        ? {
            kind: 'account',
            text: `🚫 @${err.login} has no GitHub Copilot seat (or Copilot is turned off for it), so I did not answer. Ask your organization’s admins for a seat, or \`logout\` and connect an account that has one.`,
          }
        : { kind: 'account', text: `🔌 GitHub no longer accepts your connection (@${err.login}): it was revoked or has expired. Send your message again to connect anew.` };
    },
  }),
  row({
    error: TurnFailedError,
    outcome: 'failed',
    tell: (err, log) => {
      const ref = errorReference();
      log.warn({ reason: err.message, ref }, 'turn failed');
      // The upstream's words go with the reply for an operator's eyes (the console), never into a chat.
      return { kind: 'error', text: `⚠️ Copilot could not answer this time (ref \`${ref}\`). The thread is intact: please try again.`, reason: err.message };
    },
  }),
  row({
    error: StoreUnavailableError,
    outcome: 'store_unavailable',
    tell: (err, log) => {
      const ref = errorReference();
      log.error({ err: err.message, ref }, 'store unavailable');
      return { kind: 'error', text: `⚠️ My storage is unavailable right now, so I cannot work on this thread (ref \`${ref}\`). Please try again in a few minutes.` };
    },
  }),
  row({
    error: AgentStoppedError,
    outcome: 'stopped',
    tell: () => ({ kind: 'error', text: '🔄 I am restarting. Please send that again in a minute.' }),
  }),
  row({
    error: SessionBusyError,
    outcome: 'busy',
    tell: (err, log) => {
      log.warn({ holder: err.holder }, 'session open in another process');
      return busyReply(err);
    },
  }),
];

export function failureOf(err: unknown, log: Logger): Failure {
  const match = FAILURES.find((r) => err instanceof r.error);
  if (match) return { outcome: typeof match.outcome === 'function' ? match.outcome(err as Error) : match.outcome, reply: match.tell(err as Error, log) };
  const ref = errorReference();
  log.error({ err, ref }, 'failed');
  return { outcome: 'error', reply: { kind: 'error', text: `⚠️ Something went wrong on my side (ref \`${ref}\`). The thread is intact: please try again.` } };
}

export function busyReply(err: SessionBusyError): Reply {
  return { kind: 'error', text: `⏳ ${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}. Please try again in a moment.` };
}
