/**
 * Messages: a mention in a thread or a DM is answered there; a mention in a text channel opens a
 * thread from that message and is answered in it; follow-ups in a thread the bot owns or has a
 * session for need no mention (DISCORD_REPLY_WITHOUT_MENTION). Bots, system messages and edits
 * (a different event) are ignored.
 */
import { ChannelType, Events, MessageType, type Client, type Message, type SendableChannels } from 'discord.js';
import { parseInput } from '../../../src/core/commands.js';
import { sessionIdFor, type ThreadRef } from '../../../src/core/thread.js';
import type { DiscordContext } from '../context.js';
import { keepTyping, NO_PINGS, sendChunks } from '../send.js';
import { dmThreadRef, guildThreadRef, mentionsBot, stripMention, threadName } from '../thread.js';
import { forgetConfirmView } from '../views.js';

export function messageCreate(client: Client, ctx: DiscordContext): void {
  client.on(Events.MessageCreate, (message) => {
    void ctx.deliveries.track(
      onMessage(client, ctx, message).catch((err: unknown) =>
        ctx.logger.error({ err: String(err), channel: message.channelId, message: message.id }, 'Discord: message failed'),
      ),
    );
  });
}

async function onMessage(client: Client, ctx: DiscordContext, message: Message): Promise<void> {
  const botId = client.user?.id;
  if (!botId || message.author.bot || message.system) return;
  if (message.type !== MessageType.Default && message.type !== MessageType.Reply) return;
  const mentioned = message.mentions.users.has(botId) || mentionsBot(message.content, botId);
  const channel = message.channel;

  let resolve: () => Promise<{ thread: ThreadRef; target: SendableChannels } | undefined>;
  if (channel.type === ChannelType.DM) {
    resolve = async () => ({ thread: dmThreadRef(channel.id, message.author.id), target: channel });
  } else if (channel.isThread() && message.guildId) {
    const thread = guildThreadRef(message.guildId, channel.id, message.author.id);
    if (!mentioned) {
      if (!ctx.replyWithoutMention) return;
      if (channel.ownerId !== botId && !(await ctx.registry.get(sessionIdFor(thread)))) return;
    }
    resolve = async () => ({ thread, target: channel });
  } else if ((channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement) && message.guildId) {
    if (!mentioned) return;
    const guildId = message.guildId;
    resolve = async () => {
      const started = await message.startThread({ name: threadName(stripMention(message.content, botId)), autoArchiveDuration: 1440 });
      return { thread: guildThreadRef(guildId, started.id, message.author.id), target: started };
    };
  } else {
    return;
  }

  await ctx.deliveries.once(`discord:${message.id}`, async (queued) => {
    const where = await resolve().catch(async (err: unknown) => {
      ctx.logger.error({ err: String(err), channel: channel.id }, 'Discord: could not open a thread');
      await message.reply({ content: '⚠️ I could not open a thread for this. Please try again.', allowedMentions: NO_PINGS }).catch(() => undefined);
      return undefined;
    });
    if (where) await answer(ctx, where.thread, where.target, stripMention(message.content, botId), queued);
  });
}

async function answer(ctx: DiscordContext, thread: ThreadRef, target: SendableChannels, text: string, queued: () => Promise<void>): Promise<void> {
  const parsed = parseInput(text);
  if (parsed.kind === 'command' && parsed.command.kind === 'forget') {
    await queued();
    const view = forgetConfirmView();
    await target.send({ content: view.content, components: view.components, allowedMentions: NO_PINGS });
    return;
  }
  const stopTyping = parsed.kind === 'prompt' ? keepTyping(target, (err) => ctx.logger.debug({ err: String(err) }, 'typing failed')) : () => undefined;
  try {
    // handleMessage queues the turn before its first await; only then is the delivery remembered.
    const pending = ctx.conversation.handleMessage(thread, text);
    await queued();
    const reply = await pending;
    stopTyping();
    await sendChunks(target, reply.text);
  } finally {
    stopTyping();
  }
}
