/** What the core answers; adapters decide how each kind looks on their platform. */
import { randomUUID } from 'node:crypto';
import type { Page } from './history.js';
import type { ThreadRecord } from '../store/registry.js';
import type { SessionId } from './thread.js';

export type Reply =
  | { kind: 'answer'; text: string; sessionId: SessionId; created: boolean }
  /**
   * A turn that failed; the thread still works. `reason`: the upstream's words, for an operator's
   * eyes only (the console shows it; chat platforms do not, as it may name internal hosts).
   */
  | { kind: 'error'; text: string; reason?: string }
  /** A command's outcome or a usage hint. */
  | { kind: 'notice'; text: string }
  /** The thread's session was deleted on request. */
  | { kind: 'forgotten'; text: string; sessionId: SessionId }
  | { kind: 'history'; text: string; sessionId: SessionId; page: Page; transcript: string }
  | { kind: 'sessions'; text: string; records: ThreadRecord[] }
  /** A thread's schedules; the asker may cancel those marked `cancellable` (a button each). */
  | { kind: 'schedules'; text: string; items: ScheduleItem[]; footer?: string }
  /** Not allowed here, or over a limit: said to the sender only, and nothing else happened. */
  | { kind: 'refusal'; text: string }
  /**
   * About the person's own GitHub account (COPILOT_AUTH=per-user): how to connect it, that it is
   * connected, that it has no Copilot seat. To them only; `link` is a button to open (GitHub's page).
   */
  | { kind: 'account'; text: string; link?: { url: string; label: string } };

/** One schedule in a list: `line` is Markdown (its id, when, next run, prompt), `by` who made it (named as each platform names people). */
export interface ScheduleItem {
  id: string;
  line: string;
  by: string;
  cancellable: boolean;
}

/** History is shown only to whoever asked; answers and notices belong to the thread. */
export function isPrivate(reply: Reply): boolean {
  switch (reply.kind) {
    case 'history':
    case 'sessions':
    case 'schedules':
    case 'refusal':
    case 'account':
      return true;
    case 'answer':
    case 'error':
    case 'notice':
    case 'forgotten':
      return false;
  }
}

/**
 * How every notice of a forgotten session starts, on every platform: the thread's context for a
 * new session starts after the bot's last message that starts so.
 */
export const FORGOTTEN_MARK = '🧹';

/** Said in the thread when its session is deleted. */
export const FORGOTTEN_NOTICE = '🧹 Forgotten: this thread’s Copilot session is deleted. The next message starts a fresh one.';

/** Shown where a turn was cut off by a crash or a kill, once the bot is back (see `TurnJournal`). */
export const INTERRUPTED_NOTICE = '⚠️ I was restarted before I could finish answering this. The thread is intact: please send your message again.';

/** Said in the thread for a message that waits behind a turn waiting for a tool approval. */
export const WAITING_FOR_APPROVAL = '⏳ Queued: I will answer this once the approval request above is decided.';

/** A short id that ties what a person sees to the log line that has the details. */
export function errorReference(): string {
  return randomUUID().slice(0, 8);
}

/** What a person sees when something failed on the bot's side; the details are logged under `ref`. */
export function failureNotice(ref: string): string {
  return `⚠️ That did not work (ref \`${ref}\`). Please try again.`;
}
