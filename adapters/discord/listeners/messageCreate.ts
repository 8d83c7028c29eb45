/**
 * Messages: a mention in a thread or a DM is answered there; a mention in a text channel opens a
 * thread from that message and is answered in it; follow-ups in a thread the bot owns or has a
 * session for need no mention (DISCORD_REPLY_WITHOUT_MENTION). Bots, system messages and edits
 * (a different event) are ignored. A message's place in its thread is taken on arrival, before
 * any await, and its turn is journaled until answered (see `recovery.ts`).
 */
import { ChannelType, Events, MessageType, type Client, type Message, type SendableChannels } from 'discord.js';
import { parseInput } from '../../../src/core/commands.js';
import { NO_RESERVATION, type Reservation } from '../../../src/core/queue.js';
import { isPrivate, WAITING_FOR_APPROVAL } from '../../../src/core/reply.js';
import { sessionIdFor, type ThreadRef } from '../../../src/core/thread.js';
import { SpanKind } from '@opentelemetry/api';
import { inSpan } from '../../../src/tracing.js';
import type { DiscordContext } from '../context.js';
import { NO_PINGS, sendChunks } from '../send.js';
import { DiscordStream } from '../stream.js';
import { dmThreadRef, guildThreadRef, mentionsBot, roleIds, stripMention, threadName } from '../thread.js';
import { forgetConfirmView } from '../views.js';

export function messageCreate(client: Client, ctx: DiscordContext): void {
  client.on(Events.MessageCreate, (message) => {
    if (message.author.bot || message.system) return;
    // The message's trace starts here; its place in the thread is still taken before any await.
    const handled = inSpan('discord.message', { 'discord.channel': message.channelId, 'discord.message': message.id }, () => onMessage(client, ctx, message), SpanKind.SERVER);
    void ctx.deliveries.track(handled.catch((err: unknown) => ctx.logger.error({ err: String(err), channel: message.channelId, message: message.id }, 'Discord: message failed')));
  });
}

async function onMessage(client: Client, ctx: DiscordContext, message: Message): Promise<void> {
  const botId = client.user?.id;
  if (!botId || message.author.bot || message.system) return;
  if (message.type !== MessageType.Default && message.type !== MessageType.Reply) return;
  const mentioned = message.mentions.users.has(botId) || mentionsBot(message.content, botId);
  const channel = message.channel;

  let resolve: () => Promise<{ thread: ThreadRef; target: SendableChannels } | undefined>;
  let place: Reservation = NO_RESERVATION;
  if (channel.type === ChannelType.DM) {
    const thread = dmThreadRef(channel.id, message.author.id);
    place = ctx.conversation.reserve(thread);
    resolve = async () => ({ thread, target: channel });
  } else if (channel.isThread() && message.guildId) {
    const thread = guildThreadRef(message.guildId, channel.id, message.author.id, { parent: channel.parentId, roles: roleIds(message.member) });
    if (!mentioned && !ctx.replyWithoutMention) return;
    // A turn of this thread queued here means it has (or is about to have) a session.
    const active = ctx.conversation.active(thread);
    place = ctx.conversation.reserve(thread);
    if (!mentioned && channel.ownerId !== botId && !active) {
      const known = await ctx.registry.get(sessionIdFor(thread)).catch((err: unknown) => {
        ctx.logger.warn({ err: String(err), channel: channel.id }, 'Discord: could not check whether a thread has a session');
        return undefined;
      });
      if (!known) return place.cancel();
    }
    resolve = async () => ({ thread, target: channel });
  } else if ((channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement) && message.guildId) {
    if (!mentioned) return;
    const guildId = message.guildId;
    resolve = async () => {
      const started = await message.startThread({ name: threadName(stripMention(message.content, botId)), autoArchiveDuration: 1440 });
      return { thread: guildThreadRef(guildId, started.id, message.author.id, { parent: channel.id, roles: roleIds(message.member) }), target: started };
    };
  } else {
    return;
  }

  const key = `discord:${message.id}`;
  try {
    await ctx.deliveries.once(key, async () => {
      // Asked before anything shows (a new thread, typing): refused people see one private note.
      const asking = channel.isThread() || channel.type === ChannelType.DM ? undefined : guildThreadRef(message.guildId!, channel.id, message.author.id, { roles: roleIds(message.member) });
      if (asking && !(await admitted(ctx, asking, stripMention(message.content, botId), message))) return;
      const where = await resolve().catch(async (err: unknown) => {
        ctx.logger.error({ err: String(err), channel: channel.id }, 'Discord: could not open a thread');
        await message.reply({ content: '⚠️ I could not open a thread for this. Please try again.', allowedMentions: NO_PINGS }).catch(() => undefined);
        return undefined;
      });
      if (!where) return;
      const text = stripMention(message.content, botId);
      if (!asking && !(await admitted(ctx, where.thread, text, message))) return place.cancel();
      await answer(ctx, where, text, { key, id: message.id, place });
    });
  } finally {
    place.cancel();
  }
}

/**
 * Whether the message may go on (see `Conversation.admit`). A refusal goes to the sender as a DM;
 * a failure (the store is down) is a reply to the message, like any turn's failure.
 */
async function admitted(ctx: DiscordContext, thread: ThreadRef, text: string, message: Message): Promise<boolean> {
  const admission = await ctx.conversation.admit(thread, text);
  if (admission.ok) return true;
  const reply = admission.reply;
  if (!reply) return false;
  const sent = isPrivate(reply)
    ? message.author.send({ content: reply.text, allowedMentions: NO_PINGS })
    : message.reply({ content: reply.text, allowedMentions: NO_PINGS });
  await sent.catch((err: unknown) => ctx.logger.info({ err: String(err), user: message.author.id }, 'Discord: could not send why a message was not answered (DMs closed?)'));
  return false;
}

async function answer(
  ctx: DiscordContext,
  where: { thread: ThreadRef; target: SendableChannels },
  text: string,
  message: { key: string; id: string; place: Reservation },
): Promise<void> {
  const { thread, target } = where;
  const parsed = parseInput(text);
  if (parsed.kind === 'command' && parsed.command.kind === 'forget') {
    message.place.cancel();
    const view = forgetConfirmView();
    await target.send({ content: view.content, components: view.components, allowedMentions: NO_PINGS });
    return;
  }
  const isTurn = parsed.kind === 'prompt' && parsed.text !== '';
  const safely = (what: string, work: () => Promise<void>) =>
    work().catch((err: unknown) => ctx.logger.warn({ err: String(err), channel: thread.channel }, `Discord: could not ${what}`));
  if (!isTurn) {
    const reply = await ctx.conversation.handleMessage(thread, text, { reservation: message.place, admitted: true });
    await sendChunks(target, reply.text);
    return;
  }
  const stream = new DiscordStream(target, ctx.logger);
  const behindApproval = ctx.conversation.awaitingApproval(thread);
  const pending = ctx.conversation.handleMessage(thread, text, { reservation: message.place, admitted: true, onDelta: (d) => stream.onDelta(d) });
  if (behindApproval) await safely('say the message waits', async () => void (await target.send({ content: WAITING_FOR_APPROVAL, allowedMentions: NO_PINGS })));
  await safely('journal the turn', () => ctx.journal.begin({ key: message.key, platform: 'discord', channel: target.id, thread: target.id, message: message.id, sessionId: sessionIdFor(thread) }));
  const reply = await pending;
  await inSpan('discord reply', { 'discord.channel': target.id }, () => stream.finish(reply.text), SpanKind.CLIENT);
  await safely('close the journal entry', () => ctx.journal.end(message.key));
}
