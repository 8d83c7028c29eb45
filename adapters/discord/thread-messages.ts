/**
 * A Discord thread's earlier messages, as the core's context wants them
 * (`PlatformThread.messages`): the channel's history between two messages (and, before the first
 * turn in a thread opened from a channel message, that starter message), mentions as names
 * (discord.js's `cleanContent`); and what a message brings along (a forward, the message it
 * replies to).
 */
import { MessageType, type Message, type SendableChannels } from 'discord.js';
import type { ContextMessage } from '../../src/core/thread-context.js';

/** Discord gives 100 messages a call; this many calls at most (far past any context budget). */
const PAGE = 100;
const MAX_PAGES = 5;

/** Discord snowflakes grow with time: their order is the messages' order. */
export function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export async function threadMessages(channel: SendableChannels, botId: string, range: { after?: string; before: string }): Promise<ContextMessage[]> {
  const found = new Map<string, Message>();
  let starter: Message | null = null;
  if (range.after) {
    // Discord takes one of before/after a call: walk forward from `after` up to `before`.
    let after = range.after;
    for (let page = 0; page < MAX_PAGES; page++) {
      const batch = await channel.messages.fetch({ after, limit: PAGE, cache: false });
      for (const m of batch.values()) if (compareIds(m.id, range.before) < 0) found.set(m.id, m);
      const newest = [...batch.keys()].sort(compareIds).at(-1);
      if (batch.size < PAGE || !newest || compareIds(newest, range.before) >= 0) break;
      after = newest;
    }
  } else {
    let before = range.before;
    for (let page = 0; page < MAX_PAGES; page++) {
      const batch = await channel.messages.fetch({ before, limit: PAGE, cache: false });
      for (const m of batch.values()) found.set(m.id, m);
      const oldest = [...batch.keys()].sort(compareIds)[0];
      if (batch.size < PAGE || !oldest) break;
      before = oldest;
    }
    // A thread opened from a channel message begins with a system message pointing at it (the
    // message itself lives in the parent channel): fetched only then (others have no starter).
    const pointer = [...found.values()].find((m) => m.type === MessageType.ThreadStarterMessage);
    if (pointer && 'fetchStarterMessage' in channel && typeof channel.fetchStarterMessage === 'function') {
      const first = await channel.fetchStarterMessage().catch(() => null);
      if (first && first.id !== range.before) starter = first;
    }
  }
  // The starter came before everything in the thread (the thread's id is its id).
  return [...(starter ? [starter] : []), ...[...found.values()].sort((a, b) => compareIds(a.id, b.id))]
    .filter((m) => !m.system)
    .map((m) => ({ ...toContext(m), ...(m.author.id === botId ? { own: true } : {}) }));
}

function authorOf(m: Message): string {
  return m.member?.displayName ?? m.author.globalName ?? m.author.username;
}

function toContext(m: Message): ContextMessage {
  const files = [...m.attachments.values()].map((a) => a.name);
  const attachments = [...m.attachments.values()].map((a) => ({ id: a.url, name: a.name, ...(a.contentType ? { mimeType: a.contentType } : {}), size: a.size }));
  const stickers = [...m.stickers.values()].map((s) => `[sticker: ${s.name}]`);
  const forwarded = [...(m.messageSnapshots?.values() ?? [])].map((s) => `[forwarded: ${s.content ?? ''}]`);
  const text = [m.cleanContent, ...stickers, ...forwarded].filter(Boolean).join(' ');
  return { id: m.id, author: authorOf(m), ...(m.author.bot ? { bot: true } : {}), at: m.createdAt, text, ...(files.length ? { files, attachments } : {}) };
}

/** What a message brings along: the messages it forwards, and the message it replies to. */
export async function quotedIn(message: Message): Promise<ContextMessage[]> {
  const out: ContextMessage[] = [];
  for (const [id, snap] of message.messageSnapshots ?? []) {
    const files = [...(snap.attachments?.values() ?? [])].map((a) => a.name);
    if (!snap.content && files.length === 0) continue;
    // A forward carries the message, not who wrote it.
    out.push({ id, author: 'a forwarded message', at: snap.createdAt ?? message.createdAt, text: snap.content ?? '', ...(files.length ? { files } : {}) });
  }
  if (message.reference?.messageId && message.type === MessageType.Reply) {
    const replied = await message.fetchReference().catch(() => undefined);
    if (replied) out.push({ ...toContext(replied), author: `${authorOf(replied)} (the message this replies to)` });
  }
  return out;
}
