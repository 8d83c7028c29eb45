/** What every Slack listener needs, built once by the adapter and passed in. */
import type { Conversation } from '../../src/core/conversation.js';
import type { Logger } from '../../src/infra/log.js';
import type { ThreadRegistry, TurnJournal } from '../../src/core/ports.js';
import type { KeyedQueue } from '../../src/core/queue.js';
import type { Deliveries } from '../../src/core/deliveries.js';
import type { Inbound } from '../../src/core/inbound.js';
import type { People } from './thread-messages.js';
import type { Teams } from './teams.js';

export interface SlackContext {
  conversation: Conversation;
  registry: ThreadRegistry;
  logger: Logger;
  /** Each workspace's bot (one for every workspace with SLACK_BOT_TOKEN; its own per install otherwise). */
  teams: Teams;
  streaming: 'native' | 'edit';
  /** Offered when someone opens a new assistant thread. */
  suggestedPrompts: readonly string[];
  deliveries: Deliveries;
  /** The core's pipeline every person's message goes through. */
  inbound: Inbound;
  /** Files are downloaded with the workspace's bot token, and only from these (files.slack.com, or SLACK_API_URL's origin). */
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
