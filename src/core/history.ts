/**
 * Renders a session's event log for people: what was said, which tools ran, and every other
 * event kind through a default branch, so nothing the session holds is silently dropped.
 * Pure: events in, Markdown lines out.
 */

import { splitAuthor, splitContext } from './thread-context.js';
import type { TranscriptEvent } from '../domain.js';
import type { ApprovalEntry } from '../store/approvals.js';
import { decisionLine } from './approvals/card.js';
import { maskSecrets } from './redact.js';
import { absoluteTime } from './listing.js';

/** The shape shared by every runtime event; kinds this file does not know still render. */
export type { TranscriptEvent } from '../domain.js';

export type EntryKind = 'user' | 'assistant' | 'tool' | 'error' | 'system';

export interface Entry {
  kind: EntryKind;
  at: string | undefined;
  text: string;
  /** Tool entries: the call they belong to, so a call and its result read as one line. */
  callId?: string;
  /**
   * A person's message whose turn failed (an error, a timeout, a crash) before any answer. It
   * stays in the session: the runtime recorded it, and later turns see it (docs/operations.md, Troubleshooting).
   */
  failed?: true;
}

/** Events that only mark progress inside a turn; they carry nothing a reader needs. */
const TRANSIENT = new Set([
  'assistant.message_delta',
  'assistant.message_start',
  'assistant.streaming_delta',
  'assistant.reasoning_delta',
  'assistant.tool_call_delta',
  'tool.execution_partial_result',
  'tool.execution_progress',
  'session.usage_info',
  'assistant.usage',
]);

/**
 * Events that keep the session's books (its system prompt, turn boundaries, resumes, the permission
 * round-trip the approval record already tells): shown only when everything is asked for. A kind
 * not listed here, one a newer runtime adds, still shows in the conversation.
 */
const BOOKKEEPING = new Set([
  'session.start',
  'session.resume',
  'session.shutdown',
  'session.idle',
  'session.info',
  'session.model_change',
  'session.mode_changed',
  'session.title_changed',
  'session.context_changed',
  'session.usage_checkpoint',
  'session.tools_updated',
  'session.skills_loaded',
  'session.mcp_servers_loaded',
  'session.extensions_loaded',
  'session.custom_agents_updated',
  'session.permissions_changed',
  'session.remote_steerable_changed',
  'session.managed_settings_resolved',
  'session.auto_mode_resolved',
  'session.background_tasks_changed',
  'session.completion_receipt',
  'system.message',
  'system.notification',
  'assistant.turn_start',
  'assistant.turn_end',
  'assistant.idle',
  'assistant.intent',
  'model.call_finished',
  'pending_messages.modified',
  'commands.changed',
  'capabilities.changed',
  'hook.start',
  'hook.end',
  'permission.requested',
  'permission.completed',
]);

const SHORT = 300;

export function stripDatetime(text: string): string {
  return text.replace(/^\s*<current_datetime>[\s\S]*?<\/current_datetime>\s*/, '');
}

function field(data: unknown, ...path: string[]): unknown {
  let v: unknown = data;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function text(data: unknown, ...path: string[]): string {
  const v = field(data, ...path);
  return typeof v === 'string' ? v : '';
}

export function clip(s: string, max = SHORT): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function compactJson(v: unknown): string {
  if (v === undefined) return '';
  try {
    return clip(typeof v === 'string' ? v : JSON.stringify(v), 120);
  } catch {
    return '[unprintable]';
  }
}

/**
 * Who reads: `chat` (anyone in the thread) never sees the addresses an error names (the model
 * provider's URL, an internal host a tool could not reach); `operator` (the admin CLI) sees it all.
 */
export type Audience = 'chat' | 'operator';

/** Error texts for the chat: every `scheme://host[:port]` (with what follows) becomes a placeholder. */
export function hideAddresses(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>),;]+/gi, '[address hidden]');
}

/**
 * One event → one entry, or undefined for transient progress events. `toolNames` maps tool
 * call ids to names: completion events do not repeat the name their start event carried.
 */
export function renderEvent(event: TranscriptEvent, toolNames: ReadonlyMap<string, string> = new Map(), audience: Audience = 'chat'): Entry | undefined {
  const errorText = (t: string) => (audience === 'chat' ? hideAddresses(t) : t);
  const at = event.timestamp;
  const d = event.data;
  switch (event.type) {
    case 'user.message': {
      // The thread's context came with the words; history shows the words and how much came along.
      const { question: said, context } = splitContext(stripDatetime(text(d, 'content')));
      // Per-user: who ran the turn, as GitHub knows them.
      const { author, question } = splitAuthor(said);
      const attached = field(d, 'attachments');
      const names = Array.isArray(attached) ? attached.map((a) => text(a, 'displayName') || text(a, 'path').split('/').pop() || 'file') : [];
      const files = names.length ? `\n📎 ${names.join(', ')}` : '';
      const by = author ? `_(as @${author})_ ` : '';
      return { kind: 'user', at, text: `${by}${context ? `${question}\n_(with ${context})_` : question}${files}` };
    }
    case 'assistant.message': {
      const content = text(d, 'content');
      const tools = field(d, 'toolRequests');
      if (!content && Array.isArray(tools) && tools.length) {
        const callId = tools.length === 1 ? text(tools[0], 'toolCallId') : '';
        return { kind: 'tool', at, text: `asked for ${tools.map((t) => text(t, 'name') || '?').join(', ')}`, ...(callId ? { callId } : {}) };
      }
      return { kind: 'assistant', at, text: content };
    }
    case 'tool.execution_start':
      // A command's secrets are shown on its approval card, but masked in the record.
      return { kind: 'tool', at, text: `${text(d, 'toolName') || 'tool'}(${maskSecrets(compactJson(field(d, 'arguments')))}) started`, ...callIdOf(d) };
    case 'tool.execution_complete': {
      const ok = field(d, 'success') === true;
      const detail = ok ? compactJson(field(d, 'result', 'content')) : errorText(text(d, 'error', 'message') || compactJson(field(d, 'error')));
      const name = text(d, 'toolName') || toolNames.get(text(d, 'toolCallId')) || 'tool';
      return { kind: 'tool', at, text: `${name} ${ok ? 'done' : 'failed'}${detail ? `: ${clip(maskSecrets(detail), 160)}` : ''}`, ...callIdOf(d) };
    }
    case 'permission.requested':
      return { kind: 'tool', at, text: `permission asked: ${text(d, 'permissionRequest', 'kind') || '?'}` };
    case 'permission.completed':
      return { kind: 'tool', at, text: `permission ${text(d, 'result', 'kind') || 'answered'}` };
    case APPROVAL_EVENT: {
      const entry = d as ApprovalEntry;
      const detail = entry.detail ? ` \`${clip(entry.detail, 120).replace(/`/g, "'")}\`` : '';
      return { kind: 'tool', at, text: `🔐 ${entry.tool}${detail} asked by ${entry.requestedBy}: ${decisionLine(entry, (u) => u)} · digest ${entry.digest.slice(0, 12)}` };
    }
    case 'session.error':
      return { kind: 'error', at, text: `error: ${clip(errorText(text(d, 'message') || compactJson(d)))}` };
    case 'session.start':
      return { kind: 'system', at, text: `session started${text(d, 'selectedModel') ? ` (${text(d, 'selectedModel')})` : ''}` };
    case 'session.resume':
      return { kind: 'system', at, text: 'session resumed' };
    case 'session.shutdown':
      return { kind: 'system', at, text: 'session closed' };
    case 'system.message':
      return { kind: 'system', at, text: `system prompt (${text(d, 'content').length} chars)` };
    case 'assistant.turn_start':
      return { kind: 'system', at, text: 'turn started' };
    case 'assistant.turn_end':
      return { kind: 'system', at, text: 'turn ended' };
    case 'abort':
      return { kind: 'error', at, text: 'turn stopped before it finished' };
    default:
      if (TRANSIENT.has(event.type)) return undefined;
      // Any kind we do not know (or that a newer runtime adds) still shows, by name.
      return { kind: 'system', at, text: event.type || 'unknown event' };
  }
}

function callIdOf(d: unknown): { callId?: string } {
  const id = text(d, 'toolCallId');
  return id ? { callId: id } : {};
}

/** The bot's own record of tool approvals, shown among the session's events. */
export const APPROVAL_EVENT = 'copilot-threads.approval';

/** The session's events with its approval record merged in, by time (events are in time order). */
export function withApprovals(events: readonly TranscriptEvent[], approvals: readonly ApprovalEntry[]): TranscriptEvent[] {
  if (approvals.length === 0) return [...events];
  const extra = approvals.map((a): TranscriptEvent => ({ type: APPROVAL_EVENT, timestamp: a.at, data: a }));
  const out: TranscriptEvent[] = [];
  let i = 0;
  for (const e of events) {
    while (i < extra.length && e.timestamp !== undefined && extra[i]!.timestamp! < e.timestamp) out.push(extra[i++]!);
    out.push(e);
  }
  return out.concat(extra.slice(i));
}

export interface TranscriptOptions {
  audience?: Audience;
  /**
   * Everything the session holds, bookkeeping included (system prompt, turn start and end,
   * resumes), one line per event: the CLI's `show --all`. Otherwise the conversation: what
   * people and Copilot said, each tool call with its result on one line, approvals, errors, and
   * any event kind this file does not know.
   */
  all?: boolean;
}

/** Renders a log into entries; runs of system events fold into one line so a turn reads as question, tools, answer. */
export function renderTranscript(events: readonly TranscriptEvent[], options: TranscriptOptions = {}): Entry[] {
  const out: Entry[] = [];
  const toolNames = new Map<string, string>();
  /** Where each tool call's line is, to fold its start and result into it. */
  const calls = new Map<string, Entry>();
  for (const event of events) {
    if (event.type === 'tool.execution_start') toolNames.set(text(event.data, 'toolCallId'), text(event.data, 'toolName'));
    const entry = renderEvent(event, toolNames, options.audience);
    if (!entry || (!options.all && BOOKKEEPING.has(event.type))) continue;
    const last = out.at(-1);
    if (entry.kind === 'system' && last?.kind === 'system') {
      last.text = `${last.text} · ${entry.text}`;
      continue;
    }
    if (options.all) {
      out.push(entry);
      continue;
    }
    const call = entry.callId ? calls.get(entry.callId) : undefined;
    if (call && event.type === 'tool.execution_start') {
      call.text = entry.text;
      continue;
    }
    if (call && event.type === 'tool.execution_complete') {
      call.text = `${call.text.replace(/ started$/, '')} → ${entry.text.replace(/^\S+ /, '')}`;
      continue;
    }
    if (entry.callId) calls.set(entry.callId, entry);
    out.push(entry);
  }
  markUnanswered(out);
  return out;
}

/**
 * Marks each person's message that got no answer: one followed by another message before any
 * answer (its turn died with the process), or by an error or a stop. The newest message with
 * neither is left alone: its turn may still be running.
 */
function markUnanswered(entries: Entry[]): void {
  let asked: Entry | undefined;
  let failure = false;
  for (const entry of entries) {
    if (entry.kind === 'user') {
      if (asked) asked.failed = true;
      asked = entry;
      failure = false;
    } else if (entry.kind === 'assistant' && entry.text.trim()) asked = undefined;
    else if (entry.kind === 'error') failure = true;
  }
  if (asked && failure) asked.failed = true;
}

export interface Page {
  entries: Entry[];
  /** 1-based. */
  page: number;
  pages: number;
  total: number;
}

/** Page 0 means "the newest page": that is what someone asking for history usually wants. */
export function paginate(entries: readonly Entry[], page: number, pageSize: number): Page {
  const pages = Math.max(1, Math.ceil(entries.length / pageSize));
  const p = page === 0 ? pages : Math.min(Math.max(1, page), pages);
  return { entries: entries.slice((p - 1) * pageSize, p * pageSize), page: p, pages, total: entries.length };
}

const LABEL: Record<EntryKind, string> = {
  user: '**user**',
  assistant: '**copilot**',
  tool: '_tool_',
  error: '_error_',
  system: '_system_',
};

const NOT_ANSWERED = 'not answered: the turn failed';

export function formatEntry(entry: Entry, maxChars = 600): string {
  const body = entry.kind === 'system' || entry.kind === 'tool' ? entry.text : clip(entry.text, maxChars);
  return `${LABEL[entry.kind]}${entry.failed ? ` (${NOT_ANSWERED})` : ''}: ${body}`;
}

/** The full transcript as Markdown, for a download. */
export function transcriptMarkdown(title: string, entries: readonly Entry[]): string {
  const lines = [`# ${title}`, ''];
  for (const e of entries) {
    const when = e.at ? ` (${absoluteTime(e.at)})` : '';
    if (e.kind === 'user' || e.kind === 'assistant') lines.push(`## ${e.kind}${when}${e.failed ? ` (${NOT_ANSWERED})` : ''}`, '', e.text, '');
    else lines.push(`> ${e.kind}${when}: ${e.text}`, '');
  }
  return lines.join('\n');
}
