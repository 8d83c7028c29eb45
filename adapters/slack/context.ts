/** What every Slack listener needs, built once by the adapter and passed in. */
import type { Conversation } from '../../src/core/conversation.js';
import type { Logger } from '../../src/infra/log.js';
import type { ThreadRegistry, TurnJournal } from '../../src/core/ports.js';
import type { KeyedQueue } from '../../src/core/queue.js';
import type { Deliveries } from '../../src/core/deliveries.js';
import type { Inbound } from '../../src/core/inbound.js';
import type { People } from './thread-messages.js';

export interface SlackContext {
  conversation: Conversation;
  registry: ThreadRegistry;
  logger: Logger;
  botUserId: string;
  /** The workspace's address (auth.test `url`), for thread permalinks; absent on enterprise-wide installs. */
  teamUrl: string | undefined;
  streaming: 'native' | 'edit';
  /** Offered when someone opens a new assistant thread. */
  suggestedPrompts: readonly string[];
  deliveries: Deliveries;
  /** The core's pipeline every person's message goes through. */
  inbound: Inbound;
  /** Files are downloaded with it, and only from `fileOrigins` (files.slack.com, or SLACK_API_URL's origin). */
  botToken: string;
  fileOrigins: ReadonlySet<string>;
  downloadTimeoutMs: number;
  /** How often a running turn says it still runs (assistant status, stream task). */
  keepAliveMs: number;
  /** Names of people in thread context. */
  people: People;
  journal: TurnJournal;
  /** Per thread (`channel/ts`): placeholders are posted in the order their messages arrived. */
  posts: KeyedQueue<string>;
}
