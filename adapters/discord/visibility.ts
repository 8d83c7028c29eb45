/**
 * Who may see a Discord thread in `sessions`: whoever may view its channel (Discord's permissions,
 * overwrites included), and for a private thread only its members. What cannot be told (a thread
 * gone, a member not known) is not listed (fail closed).
 */
import { ChannelType, PermissionFlagsBits, type Client } from 'discord.js';
import type { VisibilityCheck } from '../../src/core/conversation.js';
import type { Logger } from '../../src/infra/log.js';

export function discordVisibility(client: Client, logger: Logger): VisibilityCheck {
  return async (asker, records) => {
    const visible = new Set<string>();
    for (const r of records) if (await canSee(client, r.channel, asker.user, logger)) visible.add(r.sessionId);
    return visible;
  };
}

async function canSee(client: Client, channelId: string, user: string, logger: Logger): Promise<boolean> {
  try {
    const channel = client.channels.cache.get(channelId) ?? (await client.channels.fetch(channelId));
    if (!channel?.isThread()) return false;
    // Resolved against the guild's cached member (an interaction or a message of theirs put it there).
    if (!channel.permissionsFor(user)?.has(PermissionFlagsBits.ViewChannel)) return false;
    if (channel.type !== ChannelType.PrivateThread) return true;
    return await channel.members.fetch({ member: user }).then(
      () => true,
      () => false,
    );
  } catch (err) {
    logger.debug({ err: String(err), channel: channelId }, 'Discord: could not tell who may see a thread; not listed');
    return false;
  }
}
