/**
 * Sending to Discord: answers split at safe points into ≤ 2,000-character messages (fences
 * closed and reopened), a typing indicator while a turn runs, and never a ping: the client's
 * default `allowedMentions` parses nothing, and each send says so again.
 */
import type { MessageCreateOptions, SendableChannels } from 'discord.js';
import { chunkMarkdown } from '../shared/chunk.js';
import { MESSAGE_LIMIT, TYPING_RENEW_MS } from './context.js';

export const NO_PINGS = { parse: [] as never[], repliedUser: false };

export function chunks(text: string): string[] {
  const parts = chunkMarkdown(text, MESSAGE_LIMIT);
  return parts.length ? parts : ['_(empty answer)_'];
}

export async function sendChunks(channel: SendableChannels, text: string, extra: Omit<MessageCreateOptions, 'content'> = {}): Promise<void> {
  const parts = chunks(text);
  for (const [i, content] of parts.entries()) {
    await channel.send({ content, allowedMentions: NO_PINGS, ...(i === parts.length - 1 ? extra : {}) });
  }
}

/** Shows "copilot is typing…" until the returned stop function is called. */
export function keepTyping(channel: SendableChannels, onError: (err: unknown) => void): () => void {
  const type = () => void channel.sendTyping().catch(onError);
  type();
  const timer = setInterval(type, TYPING_RENEW_MS);
  return () => clearInterval(timer);
}
