/** What every Slack listener needs, built once by the adapter and passed in. */
import type { Conversation } from '../../src/core/conversation.js';
import type { Logger } from '../../src/log.js';
import type { Dedupe } from '../../src/store/dedupe.js';
import type { ThreadRegistry } from '../../src/store/registry.js';

export interface SlackContext {
  conversation: Conversation;
  registry: ThreadRegistry;
  dedupe: Dedupe;
  logger: Logger;
  botUserId: string;
  replyWithoutMention: boolean;
  /** Messages being handled right now, so two deliveries of one message never both get through. */
  claims: Set<string>;
  /** Turns whose answers are still being posted (for shutdown). */
  pending: Set<Promise<unknown>>;
}
