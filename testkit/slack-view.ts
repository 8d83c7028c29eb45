/** What a person would see in a Slack thread, rebuilt from the calls the fake API recorded. */
import type { FakeSlack } from './fake-slack.js';

export interface Visible {
  ts: string;
  text: string;
  /** A native stream: still streaming (`open`) or stopped; absent for posted messages. */
  stream?: 'open' | 'stopped';
  /** Tasks shown in a stream (`Thinking`, `Running bash`) with their last status. */
  tasks?: Map<string, { title: string; status: string }>;
  blocks?: unknown[];
}

type Chunk = { type: string; text?: string; id?: string; title?: string; status?: string };

/** The Markdown a stream call adds (the word joiners that defuse `<` are invisible, so left out). */
function streamedText(args: Record<string, unknown>): string {
  const chunks = (args.chunks as Chunk[] | undefined) ?? [];
  return (chunks.filter((c) => c.type === 'markdown_text').map((c) => c.text ?? '').join('') + String(args.markdown_text ?? '')).replaceAll('\u2060', '');
}

/** The bot's messages in a thread, each with its latest text after `chat.update`s, and streamed messages as streamed. */
export function threadMessages(slack: FakeSlack, channel: string, thread: string): Visible[] {
  const messages = new Map<string, Visible>();
  for (const call of slack.calls) {
    if (!call.result || call.result.ok === false) continue;
    const m = messages.get(String(call.args.ts));
    if (call.method === 'chat.postMessage' && call.args.channel === channel && call.args.thread_ts === thread) {
      const ts = String(call.result.ts);
      messages.set(ts, { ts, text: String(call.args.text), ...(call.args.blocks ? { blocks: call.args.blocks as unknown[] } : {}) });
    } else if (call.method === 'chat.update' && call.args.channel === channel) {
      if (m) m.text = String(call.args.text);
      if (m && call.args.blocks) m.blocks = call.args.blocks as unknown[];
    } else if (call.method === 'chat.startStream' && call.args.channel === channel && call.args.thread_ts === thread) {
      const ts = String(call.result.ts);
      messages.set(ts, { ts, text: '', stream: 'open', tasks: new Map() });
      addChunks(messages.get(ts)!, call.args);
    } else if ((call.method === 'chat.appendStream' || call.method === 'chat.stopStream') && call.args.channel === channel && m?.stream) {
      addChunks(m, call.args);
      if (call.method === 'chat.stopStream') {
        m.stream = 'stopped';
        if (call.args.blocks) m.blocks = call.args.blocks as unknown[];
      }
    }
  }
  return [...messages.values()];
}

function addChunks(m: Visible, args: Record<string, unknown>): void {
  m.text += streamedText(args);
  for (const c of (args.chunks as Chunk[] | undefined) ?? []) if (c.type === 'task_update' && c.id) m.tasks!.set(c.id, { title: c.title ?? '', status: c.status ?? '' });
}

export function threadTexts(slack: FakeSlack, channel: string, thread: string): string[] {
  return threadMessages(slack, channel, thread).map((m) => m.text);
}

export type Blocks = Array<{ type: string; block_id?: string; text?: { text: string }; elements?: Array<{ action_id?: string; value?: string; text?: unknown }> }>;

/** The tool approval card in a thread: its ts and its blocks as last posted or updated. */
export function approvalCardIn(slack: FakeSlack, thread: string, channel = 'C222'): { ts: string; blocks: Blocks; text: string } | undefined {
  let found: { ts: string; blocks: Blocks; text: string } | undefined;
  for (const c of slack.calls) {
    if (!c.result) continue;
    const blocks = c.args.blocks as Blocks | undefined;
    if (c.method === 'chat.postMessage' && c.args.thread_ts === thread && c.args.channel === channel && blocks?.some((b) => b.block_id === 'approval')) {
      found = { ts: String(c.result.ts), blocks, text: String(c.args.text) };
    } else if (c.method === 'chat.update' && found && c.args.ts === found.ts) {
      found = { ...found, blocks: c.args.blocks as Blocks, text: String(c.args.text) };
    }
  }
  return found;
}

export const approvalButtons = (blocks: Blocks) => blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));

/**
 * The block_actions payload Slack sends for a button click: on a card in a thread (`thread`), or
 * on a private message (`ephemeral`, no thread); `noThread` makes a payload that names none.
 */
export function blockAction(
  slack: FakeSlack,
  actionId: string,
  value: string,
  o: { user?: string; channel?: string; thread?: string; message?: string; responseId?: string; noThread?: boolean; ephemeral?: boolean; blockId?: string } = {},
): Record<string, unknown> {
  const channel = o.channel ?? 'C222';
  const thread = o.noThread || o.thread === undefined ? {} : { thread_ts: o.thread };
  return {
    type: 'block_actions',
    team: { id: 'T111', domain: 'test' },
    user: { id: o.user ?? 'UHUMAN', username: 'human', name: 'human', team_id: 'T111' },
    api_app_id: 'A111',
    token: 'x',
    container: { type: 'message', message_ts: o.message ?? '1.1', channel_id: channel, is_ephemeral: o.ephemeral ?? false, ...thread },
    trigger_id: 'trig',
    channel: { id: channel, name: 'general' },
    ...(o.ephemeral ? {} : { message: { type: 'message', ts: o.message ?? '1.1', ...thread, text: 'card' } }),
    response_url: slack.responseUrl(o.responseId ?? 'approval'),
    actions: [{ type: 'button', action_id: actionId, block_id: o.blockId ?? 'approval', value, action_ts: '1.2', text: { type: 'plain_text', text: 'x' } }],
  };
}
