/**
 * The Discord adapter on discord.js: every Discord thread is a Copilot session. Connects to the
 * gateway with Guilds, GuildMessages, MessageContent and DirectMessages; REST 429s are waited
 * out by discord.js itself; a listener error is logged, never fatal.
 */
import { DISCORD_NAMES } from './thread.js';
import { Client, Events, GatewayIntentBits, Partials, PermissionFlagsBits as P, RESTEvents } from 'discord.js';
import type { PlatformMetrics } from '../../src/infra/metrics.js';
import type { DiscordConfig } from '../../src/config.js';
import { requireFrom } from '../../src/infra/require-from.js';
import type { Conversation } from '../../src/core/conversation.js';
import type { Logger } from '../../src/infra/log.js';
import type { Dedupe, ThreadRegistry, TurnJournal } from '../../src/core/ports.js';
import { recoverInterrupted, refetchDroppedThreads } from './recovery.js';
import { discordScheduledRuns } from './schedules.js';
import type { ScheduledRunner } from '../../src/core/schedules/scheduler.js';
import { startRecovery } from '../shared/recovery.js';
import { discordVisibility } from './visibility.js';
import { discordApprovalCards } from './approvals.js';
import type { DiscordContext } from './context.js';
import { Deliveries } from '../../src/core/deliveries.js';
import { Inbound } from '../../src/core/inbound.js';
import { allowedOrigins } from '../shared/download.js';
import { interactionCreate } from './listeners/interactionCreate.js';
import { messageCreate } from './listeners/messageCreate.js';
import { NO_PINGS } from './send.js';

export const INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.DirectMessages];

/** What the invite link asks for (docs/discord.md): read, answer, open and answer in threads, attach transcripts. */
export const INVITE_PERMISSIONS = P.ViewChannel | P.SendMessages | P.SendMessagesInThreads | P.CreatePublicThreads | P.ReadMessageHistory | P.AttachFiles;

export interface DiscordDeps {
  config: DiscordConfig;
  conversation: Conversation;
  registry: ThreadRegistry;
  dedupe: Dedupe;
  journal: TurnJournal;
  logger: Logger;
  metrics?: PlatformMetrics;
}

export interface DiscordAdapter {
  client: Client;
  /** Runs scheduled prompts of Discord threads (the entry point hands it to the core's scheduler). */
  scheduledRuns: ScheduledRunner;
  start(): Promise<void>;
  /** Waits for answers being sent, then leaves the gateway. */
  stop(): Promise<void>;
}

export class DiscordStartError extends Error {
  override name = 'DiscordStartError';
}

export function createDiscordAdapter(deps: DiscordDeps): DiscordAdapter {
  const { config, logger } = deps;
  const rest = restDispatcher();
  const client = new Client({
    intents: INTENTS,
    // DM channels are not cached until their first message; partials let those messages through.
    partials: [Partials.Channel],
    allowedMentions: NO_PINGS,
    rest: { ...(config.apiUrl ? { api: config.apiUrl } : {}), timeout: config.timeoutMs, retries: 2, agent: rest.agent as never },
  });
  const deliveries = new Deliveries(deps.dedupe, logger, () => deps.metrics?.deduplicatedDelivery('discord'));
  const ctx: DiscordContext = {
    conversation: deps.conversation,
    registry: deps.registry,
    deliveries,
    inbound: new Inbound({
      platform: 'discord',
      conversation: deps.conversation,
      registry: deps.registry,
      deliveries,
      journal: deps.journal,
      logger,
      replyRule: config.replyWithoutMention,
      contextBudget: deps.conversation.contextBudget,
    }),
    journal: deps.journal,
    logger,
    fileOrigins: allowedOrigins(['cdn.discordapp.com', 'media.discordapp.net'], config.apiUrl),
    downloadTimeoutMs: Math.max(30_000, config.timeoutMs),
  };
  messageCreate(client, ctx);
  interactionCreate(client, ctx);
  deps.conversation.useVisibility('discord', discordVisibility(client, logger));
  deps.conversation.useThreadNames('discord', DISCORD_NAMES);
  deps.conversation.useApprovalCards('discord', discordApprovalCards(client));
  guardGateway(client, logger, refetchDroppedThreads(client, ctx));
  // Every REST call, by its rate-limit route (`/channels/:id/messages`) and status.
  const metrics = deps.metrics;
  if (metrics) client.rest.on(RESTEvents.Response, (request, response) => metrics.apiCall('discord', `${request.method} ${request.route}`, response.status, response.status < 400));
  // Without an 'error' listener an error in a listener would kill the process.
  client.on(Events.Error, (err) => logger.error({ err: String(err) }, 'Discord client error'));
  client.on(Events.ShardError, (err) => logger.warn({ err: String(err) }, 'Discord gateway error'));
  client.on(Events.ShardReconnecting, () => logger.info('Discord gateway reconnecting'));
  client.on(Events.ShardResume, () => logger.info('Discord gateway resumed'));

  let stopRecovery = (): void => undefined;
  return {
    client,
    scheduledRuns: discordScheduledRuns(client, ctx),
    async start() {
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      try {
        await client.login(config.token);
      } catch (err) {
        await client.destroy().catch(() => undefined);
        await rest.close();
        // Discord answered (401 and the like): the token. No answer at all: the network.
        if (typeof (err as { status?: unknown }).status !== 'number' && !/token/i.test(String(err))) {
          const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.message : String(err));
          throw new DiscordStartError(`cannot reach Discord at ${config.apiUrl ?? 'https://discord.com/api'}: ${cause} (check the network${config.apiUrl ? ' and DISCORD_API_URL' : ''})`);
        }
        throw new DiscordStartError(`Discord login failed: ${err instanceof Error ? err.message : String(err)} (check DISCORD_TOKEN${config.apiUrl ? ' and DISCORD_API_URL' : ''})`);
      }
      await ready;
      logger.info({ bot: client.user?.id, guilds: client.guilds.cache.size }, 'Discord adapter ready');
      stopRecovery = startRecovery(ctx.deliveries, () => recoverInterrupted(client, ctx));
    },
    async stop() {
      stopRecovery();
      await ctx.deliveries.settled();
      // destroy() reports one "reconnecting" on its way out; it is not one.
      client.removeAllListeners(Events.ShardReconnecting);
      await client.destroy();
      await rest.close();
    },
  };
}

/**
 * discord.js parses gateway dispatches synchronously in the socket's event handler: a malformed
 * payload throws there, outside any listener, and would take the whole process down. Wrapping
 * its packet handler turns that into one log line. (`handlePacket` is discord.js's own
 * per-packet entry point; if a future version renames it, this does nothing.)
 */
function guardGateway(client: Client, logger: Logger, intercept: ReturnType<typeof refetchDroppedThreads>): void {
  const ws = client.ws as unknown as { handlePacket?: (packet: unknown, shard: unknown) => boolean };
  const original = ws.handlePacket;
  if (typeof original !== 'function') return;
  const handle = (packet: unknown, shard: unknown): boolean => {
    try {
      return original.call(ws, packet, shard);
    } catch (err) {
      const t = (packet as { t?: unknown } | undefined)?.t;
      logger.warn({ err: String(err), event: typeof t === 'string' ? t : undefined }, 'Discord: malformed gateway payload ignored');
      return true;
    }
  };
  ws.handlePacket = (packet, shard) => {
    if (packet && typeof packet === 'object' && intercept(packet, (p) => void handle(p, shard))) return true;
    return handle(packet, shard);
  };
}

/**
 * discord.js sends REST calls with its own undici (v6) through undici's process-wide dispatcher.
 * Whichever undici loads first installs that dispatcher, and Bolt brings undici 7: with both
 * adapters in one process, undici 7 then receives undici 6's multipart bodies and every file
 * upload fails ("action is not a function"). A dispatcher of discord.js's own undici, passed
 * explicitly, makes uploads independent of what else the process loads.
 */
function restDispatcher(): { agent: unknown; close(): Promise<void> } {
  const { Agent } = requireFrom<{ Agent: new () => { close(): Promise<void> } }>(['discord.js', '@discordjs/rest'], 'undici');
  const agent = new Agent();
  return { agent, close: () => agent.close().catch(() => undefined) };
}
