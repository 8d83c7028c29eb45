/**
 * Scheduled prompts on Discord (core/schedules): each run is posted in its thread as a message of
 * the bot's naming whose schedule it is (a mention that does not ping) and what it asks; that
 * message goes through the same pipeline as a person's, as a turn of its author. Before a run,
 * Discord is asked whether that person is still there, with their roles now (ALLOWED roles are
 * asked again): someone who left the server or can no longer see the thread has their schedule stopped.
 */
import { ChannelType, DiscordAPIError, escapeMarkdown, PermissionFlagsBits, type Client, type SendableChannels } from 'discord.js';
import type { ThreadRef } from '../../src/core/thread.js';
import { ScheduleGone, type Schedule, type ScheduledRunner } from '../../src/core/schedules/scheduler.js';
import type { DiscordContext } from './context.js';
import { discordThread } from './listeners/messageCreate.js';
import { NO_PINGS } from './send.js';
import { roleIds } from './thread.js';

/** How much of the prompt the run's first message repeats (the whole prompt goes to the model). */
const PROMPT_SHOWN = 500;
/** Discord's answers for things that are gone: unknown channel, guild, member, user; no access. */
const GONE = new Set([10003, 10004, 10007, 10013, 50001]);
/** And for a thread the bot cannot write to any more: unknown channel, no access, no permission, archived and locked. */
const CANNOT_SEND = new Set([10003, 50001, 50013, 50083]);

export function discordScheduledRuns(client: Client, ctx: DiscordContext): ScheduledRunner {
  const channelOf = async (s: Schedule): Promise<SendableChannels> => {
    const channel = await client.channels.fetch(s.thread.channel);
    if (!channel?.isSendable()) throw new Error(`channel ${s.thread.channel} cannot be written to`);
    return channel;
  };
  return {
    async person(s) {
      try {
        return await stillThere(client, s.thread);
      } catch (err) {
        if (err instanceof DiscordAPIError && typeof err.code === 'number' && GONE.has(err.code)) return { gone: goneBecause(err.code) };
        throw err;
      }
    },
    async run(s, as) {
      const channel = await channelOf(s);
      const shown = s.prompt.length > PROMPT_SHOWN ? `${s.prompt.slice(0, PROMPT_SHOWN)}…` : s.prompt;
      const header = await channel
        .send({
          content: `⏰ Scheduled by <@${as.user}> (\`${s.id}\`, ${s.rule.kind === 'once' ? 'once' : escapeMarkdown(s.when)}):\n${shown.split('\n').map((l) => `> ${escapeMarkdown(l)}`).join('\n')}`,
          allowedMentions: NO_PINGS,
        })
        .catch((err: unknown) => {
          if (err instanceof DiscordAPIError && typeof err.code === 'number' && CANNOT_SEND.has(err.code)) throw new ScheduleGone(`I cannot post in this thread any more (${err.message})`);
          throw err;
        });
      const person = await client.users.fetch(as.user);
      // Admitted already (the scheduler asked, as for a message): the pipeline asks only access again.
      const arrival = ctx.inbound.arrive({ thread: as, addressed: 'direct' });
      await ctx.inbound.handle(arrival, { key: `discord:${header.id}`, thread: as, id: header.id, text: s.prompt, addressed: 'direct' }, discordThread(ctx, header, channel, undefined, person), true);
    },
    async tell(s, reply) {
      // Private on Discord is a DM; one that cannot be sent (DMs closed) is only logged.
      await (await client.users.fetch(s.thread.user)).send({ content: reply.text, allowedMentions: NO_PINGS });
    },
    async say(s, text) {
      const channel = await channelOf(s);
      await channel.send({ content: text, allowedMentions: NO_PINGS });
    },
  };
}

/** The person as they are now (their roles), or why they can no longer be answered there. Rejects when Discord cannot tell now. */
async function stillThere(client: Client, thread: ThreadRef): Promise<ThreadRef | { gone: string }> {
  const channel = await client.channels.fetch(thread.channel);
  if (!channel) return { gone: 'the thread is gone' };
  if (thread.direct) {
    await client.users.fetch(thread.user);
    return thread;
  }
  const guild = await client.guilds.fetch(thread.workspace);
  // Asked of Discord, not the cache: roles change and people leave without a message to show it.
  const member = await guild.members.fetch({ user: thread.user, force: true });
  if (!('permissionsFor' in channel) || !channel.permissionsFor(member)?.has(PermissionFlagsBits.ViewChannel)) return { gone: 'they can no longer see this thread' };
  // A private thread's permissions are its channel's: whether they are still in it is asked of Discord.
  if (channel.type === ChannelType.PrivateThread) {
    const inThread = await channel.members.fetch({ member: thread.user, force: true }).then(
      () => true,
      (err: unknown) => {
        if (err instanceof DiscordAPIError && err.code === 10007) return false;
        throw err;
      },
    );
    if (!inThread) return { gone: 'they are no longer in this private thread' };
  }
  return { ...thread, roles: roleIds(member) };
}

function goneBecause(code: number): string {
  switch (code) {
    case 10004:
      return 'I am no longer in this server';
    case 10007:
      return 'they are no longer in this server';
    case 10013:
      return 'their Discord account is gone';
    default:
      return 'the thread is gone, or I can no longer see it';
  }
}
