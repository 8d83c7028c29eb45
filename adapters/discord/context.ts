/** What every Discord listener needs, built once by the adapter and passed in. */
import type { Conversation } from '../../src/core/conversation.js';
import type { Logger } from '../../src/log.js';
import type { Dedupe } from '../../src/store/dedupe.js';
import type { ThreadRegistry } from '../../src/store/registry.js';

export interface DiscordContext {
  conversation: Conversation;
  registry: ThreadRegistry;
  dedupe: Dedupe;
  logger: Logger;
  replyWithoutMention: boolean;
  /** Messages being handled right now (a gateway resume can replay one). */
  claims: Set<string>;
  /** Turns whose answers are still being sent (for shutdown). */
  pending: Set<Promise<unknown>>;
}

/** Discord's hard limit on message content. */
export const MESSAGE_LIMIT = 2000;
/** Typing lasts ~10 s on Discord; renew it a little before. */
export const TYPING_RENEW_MS = 8000;
