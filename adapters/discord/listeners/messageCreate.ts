/**
 * Messages → the core's inbound pipeline (`src/core/inbound.ts`), with Discord's side of it: a
 * mention in a thread or a DM is answered there; a mention in a text channel opens a thread from
 * that message and is answered in it; follow-ups without a mention in a thread are answered as
 * DISCORD_REPLY_WITHOUT_MENTION says (the core decides). Bots, system messages and edits (a
 * different event) are ignored. Forwards, replies and stickers reach the model as what they carry.
 */
import { ChannelType, Events, MessageType, type Client, type Message, type SendableChannels, type User } from 'discord.js';
import type { AnswerView, InboundMessage, PlatformThread } from '../../../src/core/inbound.js';
import type { InboundFile } from '../../../src/core/attachments.js';
import { downloadCapped, FileHostError } from '../../shared/download.js';
import { WAITING_FOR_APPROVAL, type Reply } from '../../../src/core/reply.js';
import type { ThreadRef } from '../../../src/core/thread.js';
import { SpanKind } from '@opentelemetry/api';
import { inSpan } from '../../../src/infra/tracing.js';
import type { DiscordContext } from '../context.js';
import { NO_PINGS, sendChunks } from '../send.js';
import { DiscordStream } from '../stream.js';
import { dmThreadRef, guildThreadRef, mentionsBot, roleIds, stripMention, threadName } from '../thread.js';
import { quotedIn, threadMessages } from '../thread-messages.js';
import { accountView, forgetConfirmView, schedulesView } from '../views.js';

export function messageCreate(client: Client, ctx: DiscordContext): void {
  client.on(Events.MessageCreate, (message) => {
    if (message.author.bot || message.system) return;
    // The message's trace starts here; its place in the thread is still taken before any await.
    void inSpan('discord.message', { 'discord.channel': message.channelId, 'discord.message': message.id }, () => onMessage(client, ctx, message), SpanKind.SERVER).catch((err: unknown) =>
      ctx.logger.error({ err: String(err), channel: message.channelId, message: message.id }, 'Discord: a message could not be read'),
    );
  });
}

async function onMessage(client: Client, ctx: DiscordContext, message: Message): Promise<void> {
  const botId = client.user?.id;
  if (!botId || message.author.bot || message.system) return;
  if (message.type !== MessageType.Default && message.type !== MessageType.Reply) return;
  const mentioned = message.mentions.users.has(botId) || mentionsBot(message.content, botId);
  const channel = message.channel;
  const text = ownWords(message, botId);
  const files: InboundFile[] = [...message.attachments.values()].map((a) => ({ id: a.url, name: a.name, ...(a.contentType ? { mimeType: a.contentType } : {}), size: a.size }));
  const base = { key: `discord:${message.id}`, id: message.id, text, files };

  if (channel.type === ChannelType.DM || !message.guildId) {
    const thread = dmThreadRef(channel.id, message.author.id);
    const arrival = ctx.inbound.arrive({ thread, addressed: 'direct' });
    return ctx.inbound.handle(arrival, async () => ({ ...base, thread, addressed: 'direct', quoted: await quotedIn(message) }), discordThread(ctx, message, channel as SendableChannels));
  }
  if (channel.isThread()) {
    const thread = guildThreadRef(message.guildId, channel.id, message.author.id, { parent: channel.parentId, roles: roleIds(message.member) });
    const addressed = mentioned ? 'mention' : 'follow-up';
    const arrival = ctx.inbound.arrive({ thread, addressed });
    return ctx.inbound.handle(arrival, async () => ({ ...base, thread, addressed, quoted: await quotedIn(message) }), discordThread(ctx, message, channel));
  }
  if ((channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement) && mentioned) {
    const guildId = message.guildId;
    // The thread does not exist yet: no place to take; access is asked of the channel it is opened in.
    const asking = guildThreadRef(guildId, channel.id, message.author.id, { roles: roleIds(message.member) });
    const arrival = ctx.inbound.arrive(undefined);
    const inbound = async (): Promise<InboundMessage> => ({ ...base, thread: asking, addressed: 'mention', quoted: await quotedIn(message) });
    return ctx.inbound.handle(arrival, inbound, discordThread(ctx, message, channel, async () => {
      const started = await message.startThread({ name: threadName(text || 'Copilot'), autoArchiveDuration: 1440 });
      return { thread: guildThreadRef(guildId, started.id, message.author.id, { parent: channel.id, roles: roleIds(message.member) }), target: started };
    }));
  }
}

/** What the person wrote: the bot's mention removed; a sticker-only message says which sticker. */
function ownWords(message: Message, botId: string): string {
  const words = stripMention(message.content, botId);
  if (words || message.stickers.size === 0) return words;
  return [...message.stickers.values()].map((s) => `[sticker: ${s.name}]`).join(' ');
}

/**
 * The core's calls, made on Discord (see `PlatformThread`). `opens`: the message is in a text
 * channel and its answer goes to a thread opened from it. `author`: whom private replies go to
 * (the message's author; for a scheduled run, whose message is the bot's, the person it runs as).
 */
export function discordThread(ctx: DiscordContext, message: Message, channel: SendableChannels, opens?: () => Promise<{ thread: ThreadRef; target: SendableChannels }>, author: User = message.author): PlatformThread {
  let target = channel;
  let opened = !opens;
  const safely = (what: string, work: () => Promise<unknown>) =>
    work().then(
      () => undefined,
      (err: unknown) => ctx.logger.warn({ err: String(err), channel: target.id }, `Discord: could not ${what}`),
    );
  return {
    ...(opens
      ? {
          open: async () => {
            const made = await opens();
            target = made.target;
            opened = true;
            return made.thread;
          },
        }
      : {}),
    messages: (range) => threadMessages(target, message.client.user.id, range),
    download: (file, maxBytes) =>
      downloadCapped(file.id, { origins: ctx.fileOrigins, maxBytes, timeoutMs: ctx.downloadTimeoutMs }).catch((err: unknown) => {
        if (err instanceof FileHostError) ctx.logger.warn({ file: file.name, reason: err.message }, 'Discord: a file was not downloaded (only Discord’s file hosts are asked)');
        throw err;
      }),
    async deliver(_thread: ThreadRef, reply: Reply) {
      // Refused before anything showed: privately (a DM), or as a reply where no thread was opened.
      if (reply.kind === 'refusal') {
        await author.send({ content: reply.text, allowedMentions: NO_PINGS }).catch((err: unknown) =>
          ctx.logger.info({ err: String(err), user: author.id }, 'Discord: could not send why a message was not answered (DMs closed?)'),
        );
        return;
      }
      // About their GitHub account (a sign-in code, a refused seat): a message can only be private as a DM.
      // Where DMs are closed, the thread hears only how to get it privately.
      if (reply.kind === 'account') {
        const view = accountView(reply);
        const sent = await author.send({ content: view.content, components: view.components, allowedMentions: NO_PINGS }).then(
          () => true,
          (err: unknown) => {
            ctx.logger.info({ err: String(err), user: author.id }, 'Discord: could not DM a person about their GitHub account (DMs closed?)');
            return false;
          },
        );
        // Only a sign-in prompt is pointed to publicly (it is how they go on); other news stays unsaid.
        if (!sent && reply.link) await message.reply({ content: `<@${author.id}> I could not send you a private message. Use \`/copilot login\` here: what it shows is only for you.`, allowedMentions: { users: [author.id] } });
        return;
      }
      if (!opened) return void (await message.reply({ content: reply.text, allowedMentions: NO_PINGS }));
      // A thread's schedules, with a Cancel button on each (the core decides who may press it).
      if (reply.kind === 'schedules') {
        const view = schedulesView(reply, false);
        await target.send({ content: view.content, components: view.components, allowedMentions: NO_PINGS });
        return;
      }
      await sendChunks(target, reply.text);
    },
    async confirmForget() {
      const view = forgetConfirmView();
      await target.send({ content: view.content, components: view.components, allowedMentions: NO_PINGS });
    },
    answer(_thread: ThreadRef, behindApproval: boolean): AnswerView {
      const stream = new DiscordStream(target, ctx.logger);
      return {
        onDelta: (d) => stream.onDelta(d),
        onProgress: () => undefined,
        start() {
          if (behindApproval) void safely('say the message waits', () => target.send({ content: WAITING_FOR_APPROVAL, allowedMentions: NO_PINGS }));
        },
        finish: (reply) => inSpan('discord reply', { 'discord.channel': target.id }, () => stream.finish(reply.text), SpanKind.CLIENT),
      };
    },
  };
}

