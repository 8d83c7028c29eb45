/**
 * What the Discord adapter mends after an unclean stop or a bad gateway payload:
 * - turns a crash cut off get a reply saying so (the journal knows which);
 * - a thread dropped from discord.js's cache (a malformed CHANNEL_UPDATE or THREAD_LIST_SYNC
 *   removes it, and discord.js then silently drops that thread's messages) is fetched again when
 *   the registry knows it or the bot is mentioned, and its held messages are replayed in order.
 */
import { Routes, type Client } from 'discord.js';
import { INTERRUPTED_NOTICE } from '../../src/core/reply.js';
import { sessionIdFor } from '../../src/core/thread.js';
import type { DiscordContext } from './context.js';
import { NO_PINGS } from './send.js';
import { guildThreadRef } from './thread.js';

export async function recoverInterrupted(client: Client, ctx: DiscordContext): Promise<void> {
  const turns = await ctx.journal.interrupted('discord').catch((err: unknown) => {
    ctx.logger.warn({ err: String(err) }, 'Discord: could not read the turns interrupted by the last stop');
    return [];
  });
  for (const t of turns) {
    try {
      if (!(await ctx.journal.claimNotice(t.key))) continue;
      await client.rest.post(Routes.channelMessages(t.channel), {
        body: {
          content: INTERRUPTED_NOTICE,
          message_reference: { message_id: t.message, fail_if_not_exists: false },
          allowed_mentions: { parse: NO_PINGS.parse, replied_user: NO_PINGS.repliedUser },
        },
      });
      if (t.sessionId) await ctx.conversation.expireAbandonedApprovals(t.sessionId, t.instance);
      await ctx.journal.end(t.key);
      ctx.logger.info({ channel: t.channel, since: t.startedAt }, 'Discord: told a thread its answer was interrupted');
    } catch (err) {
      ctx.logger.warn({ err: String(err), channel: t.channel }, 'Discord: could not tell a thread its answer was interrupted');
    }
  }
}

interface Packet {
  t?: unknown;
  d?: { channel_id?: unknown; guild_id?: unknown; channel_type?: unknown; author?: { id?: unknown }; mentions?: Array<{ id?: unknown }> };
}

type Handle = (packet: Packet) => void;

/**
 * Wraps the gateway's packet handler: a MESSAGE_CREATE for a guild channel missing from the cache
 * is held while the channel is fetched (if the bot has a reason to care), then handled; later
 * packets for that channel wait behind it, so the thread's order is kept.
 */
export function refetchDroppedThreads(client: Client, ctx: DiscordContext): (packet: Packet, handle: Handle) => boolean {
  const held = new Map<string, Packet[]>();
  return (packet, handle) => {
    const d = packet.d;
    if (packet.t !== 'MESSAGE_CREATE' || typeof d?.channel_id !== 'string') return false;
    // A message with no guild is a DM; `channel_type` is optional, and discord.js drops a message
    // of an uncached channel it cannot type. Said here, it reaches the listener like any DM.
    if (d.guild_id === undefined && d.channel_type === undefined && !client.channels.cache.has(d.channel_id)) d.channel_type = 1;
    if (typeof d.guild_id !== 'string') return false;
    const channel = d.channel_id;
    const queue = held.get(channel);
    if (queue) {
      queue.push(packet);
      return true;
    }
    if (client.channels.cache.has(channel)) return false;
    held.set(channel, [packet]);
    const guild = d.guild_id;
    void (async () => {
      try {
        const botId = client.user?.id;
        const mentioned = Array.isArray(d.mentions) && d.mentions.some((m) => m?.id === botId);
        const known = mentioned || (await ctx.registry.get(sessionIdFor(guildThreadRef(guild, channel, 'any'))).catch(() => undefined)) !== undefined;
        if (known) {
          await client.channels.fetch(channel, { force: true });
          ctx.logger.info({ channel }, 'Discord: fetched a thread missing from the cache');
        }
      } catch (err) {
        ctx.logger.warn({ err: String(err), channel }, 'Discord: could not fetch a thread missing from the cache');
      } finally {
        const packets = held.get(channel) ?? [];
        held.delete(channel);
        for (const p of packets) handle(p);
      }
    })();
    return true;
  };
}
