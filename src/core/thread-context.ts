/**
 * What a thread said that the session has not heard: the thread before the bot's first turn in
 * it, and later what people said between two turns without addressing the bot. Adapters fetch
 * the messages (their platform's history call); this module decides what fits and how the model
 * reads it. Pure.
 */
import type { ContextBudget } from '../domain.js';
import type { GatheredFiles, InboundFile } from './attachments.js';

/** One message of a thread, as the platform showed it (mentions already rendered as names). */
export interface ContextMessage {
  /** The platform's id (a Slack ts, a Discord snowflake): ordered within a thread. */
  id: string;
  /** The author's display name. */
  author: string;
  /** Written by a bot. */
  bot?: boolean;
  /** Written by this bot: already in the session, so never given as context (but it marks where a forgotten session ended). */
  own?: boolean;
  at: Date;
  text: string;
  /** Names of the files it carried. */
  files?: readonly string[];
  /** Those files, for the platform to download (the thread's files come with its context). */
  attachments?: readonly InboundFile[];
}

/** Which part of the thread: everything before the first turn, or what came since the last answer. */
export type ContextKind = 'thread' | 'since';

export type { ContextBudget } from '../domain.js';

export const DEFAULT_CONTEXT_BUDGET: ContextBudget = { messages: 50, chars: 20_000 };

/** The block's first line; history recognises a prompt that carries context by it. */
export const CONTEXT_OPEN = '<thread_context>';
export const CONTEXT_CLOSE = '</thread_context>';

export interface ThreadContext {
  kind: ContextKind;
  /** Oldest first. */
  messages: readonly ContextMessage[];
  /** How many older ones did not fit. */
  leftOut: number;
  /** The files of those messages, read as a message's own are (see `core/attachments.ts`). */
  attached?: GatheredFiles;
}

/** The newest messages that fit the budget (oldest first), and how many were left out. */
export function withinBudget(kind: ContextKind, messages: readonly ContextMessage[], budget: ContextBudget): ThreadContext {
  const kept: ContextMessage[] = [];
  let chars = 0;
  for (let i = messages.length - 1; i >= 0 && kept.length < budget.messages; i--) {
    const line = renderLine(messages[i]!);
    // The newest message always goes in (cut if it alone is over the budget): it is what the question is about.
    if (kept.length > 0 && chars + line.length > budget.chars) break;
    chars += line.length;
    kept.unshift(messages[i]!);
  }
  return { kind, messages: kept, leftOut: messages.length - kept.length };
}

/** The prompt the model receives: the context block (when there is any), then the person's words. */
export function withContext(context: ThreadContext | undefined, question: string, budget: ContextBudget = DEFAULT_CONTEXT_BUDGET): string {
  if (!context || context.messages.length === 0) return question;
  const heading =
    context.kind === 'thread'
      ? `Earlier messages of this chat thread, before you were asked (${count(context.messages.length)}${context.leftOut ? `; ${count(context.leftOut, 'older message')} left out` : ''}):`
      : `Since your last answer, people in the thread said (${count(context.messages.length)}${context.leftOut ? `; ${count(context.leftOut, 'older message')} left out` : ''}), not addressed to you:`;
  const lines = context.messages.map((m) => cut(renderLine(m), budget.chars));
  return [CONTEXT_OPEN, heading, ...lines, CONTEXT_CLOSE, '', question].join('\n');
}

/** The person's words, then what their message brought along (a share, a forward, the message it replies to). */
export function withQuoted(question: string, quoted: readonly ContextMessage[]): string {
  if (quoted.length === 0) return question;
  const block = ['Brought along with this message (shared, forwarded or replied to):', ...quoted.map(renderLine)].join('\n');
  return question ? `${question}\n\n${block}` : block;
}

/** How a turn's prompt says whose it is (COPILOT_AUTH=per-user): a first line history reads back. */
const AUTHOR = /^<turn_author github="([A-Za-z0-9-]{1,39})"\/>\n/;

/**
 * The person's words, with the GitHub account the turn runs as (per-user) in front: the model
 * knows who asks in a thread several people share, and history shows who ran each turn. Words
 * that themselves start like the marker are set apart (a space), so nobody poses as someone else.
 */
export function withAuthor(login: string | undefined, question: string): string {
  const own = question.startsWith('<turn_author') ? ` ${question}` : question;
  return login ? `<turn_author github="${login}"/>\n${own}` : own;
}

/** The author a prompt names (see `withAuthor`), and the words after it. */
export function splitAuthor(question: string): { author?: string; question: string } {
  const m = AUTHOR.exec(question);
  return m ? { author: m[1]!, question: question.slice(m[0].length) } : { question };
}

/** A prompt as history shows it: the person's words, and how much thread context came with them. */
export function splitContext(prompt: string): { question: string; context?: string } {
  if (!prompt.startsWith(`${CONTEXT_OPEN}\n`)) return { question: prompt };
  const end = prompt.indexOf(`\n${CONTEXT_CLOSE}\n`);
  if (end < 0) return { question: prompt };
  const block = prompt.slice(CONTEXT_OPEN.length + 1, end).split('\n');
  // One line per message starts with its time; a message's own further lines are indented.
  const n = block.slice(1).filter((l) => /^\[(?:\d{4}-\d{2}-\d{2}|\?{4}-\?\?-\?\?) /.test(l)).length;
  const since = block[0]!.startsWith('Since your last answer');
  return { question: prompt.slice(end + CONTEXT_CLOSE.length + 2).replace(/^\n/, ''), context: since ? `${count(n)} said in the thread since the last answer` : `${count(n)} of the thread before` };
}

/** Any line break a platform passes (also `\r`, U+2028/2029, NEL). */
const LINE_BREAK = /\r\n|[\n\r\u0085\u2028\u2029]/g;

/**
 * `[2026-12-06 14:05 UTC] Alice: text`. A message's further lines are indented and names and file
 * names kept on one line, so nothing a person writes can end the block or pose as another message.
 */
function renderLine(m: ContextMessage): string {
  const when = Number.isNaN(m.at.getTime()) ? '????-??-?? ??:??' : m.at.toISOString().slice(0, 16).replace('T', ' ');
  const oneLine = (s: string) => s.replace(LINE_BREAK, ' ');
  const files = m.files?.length ? ` [files: ${m.files.map(oneLine).join(', ')}]` : '';
  const text = m.text.replace(LINE_BREAK, '\n  ');
  return `[${when} UTC] ${oneLine(m.author)}${m.bot ? ' (bot)' : ''}: ${text}${files}`;
}

function cut(line: string, max: number): string {
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

function count(n: number, what = 'message'): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
