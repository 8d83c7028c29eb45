/** What every Discord listener needs, built once by the adapter and passed in. */
import type { Conversation } from '../../src/core/conversation.js';
import type { Logger } from '../../src/infra/log.js';
import type { ThreadRegistry, TurnJournal } from '../../src/core/ports.js';
import type { Deliveries } from '../../src/core/deliveries.js';
import type { Inbound } from '../../src/core/inbound.js';

export interface DiscordContext {
  conversation: Conversation;
  registry: ThreadRegistry;
  logger: Logger;
  deliveries: Deliveries;
  /** Attachments are downloaded only from these origins (Discord's CDN, or DISCORD_API_URL's origin). */
  fileOrigins: ReadonlySet<string>;
  downloadTimeoutMs: number;
  /** The core's pipeline every person's message goes through. */
  inbound: Inbound;
  journal: TurnJournal;
}

/** Discord's hard limit on message content. */
export const MESSAGE_LIMIT = 2000;
/** Typing lasts ~10 s on Discord; renew it a little before. */
export const TYPING_RENEW_MS = 8000;
/** An answer that takes longer than this shows typing; a quicker one just appears. */
export const TYPING_DELAY_MS = 300;
