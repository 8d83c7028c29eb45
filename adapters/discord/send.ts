/**
 * Sending to Discord: answers split at safe points into ≤ 2,000-character messages (fences
 * closed and reopened), a typing indicator while a turn runs, and never a ping: the client's
 * default `allowedMentions` parses nothing, and each send says so again.
 */
import type { MessageCreateOptions, SendableChannels } from 'discord.js';
import { chunkMarkdown } from '../shared/chunk.js';
import { MESSAGE_LIMIT, TYPING_DELAY_MS, TYPING_RENEW_MS } from './context.js';

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

/**
 * Shows "copilot is typing…" from `delayMs` on until the returned stop function is called. An
 * answer quicker than the delay shows no typing at all: each indicator is a REST call, and
 * discord.js holds every call of the bot to Discord's global 50 per second, so typing for answers
 * that appear at once would halve how many a busy bot can post before its messages queue.
 */
export function keepTyping(channel: SendableChannels, onError: (err: unknown) => void, delayMs = TYPING_DELAY_MS): () => void {
  const type = () => void channel.sendTyping().catch(onError);
  let timer: NodeJS.Timeout = setTimeout(() => {
    type();
    timer = setInterval(type, TYPING_RENEW_MS);
  }, delayMs);
  // Node's clearTimeout clears the delay or the interval, whichever is running.
  return () => clearTimeout(timer);
}
