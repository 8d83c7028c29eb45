/**
 * `/copilot history [page] | forget | sessions | help` and the buttons the bot shows. Every
 * interaction is deferred at once (Discord allows 3 s), then edited; what it shows is private
 * (ephemeral) except the thread's own "forgotten" notice.
 */
import {
  ChannelType,
  Events,
  MessageFlags,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Client,
  type Interaction,
} from 'discord.js';
import { parseInput, type Command } from '../../../src/core/commands/parse.js';
import { helpText } from '../../../src/core/conversation.js';
import { errorReference, failureNotice, FORGOTTEN_MARK, type Reply } from '../../../src/core/reply.js';
import type { ThreadRef } from '../../../src/core/thread.js';
import { BUTTON, COMMAND_NAME } from '../commands.js';
import type { DiscordContext } from '../context.js';
import { NO_PINGS } from '../send.js';
import { dmThreadRef, guildThreadRef, roleIds } from '../thread.js';
import { accountView, forgetConfirmView, historyView, schedulesView, textView, type View } from '../views.js';
import { APPROVAL_BUTTON, parseApprovalButton } from '../approvals.js';

export function interactionCreate(client: Client, ctx: DiscordContext): void {
  client.on(Events.InteractionCreate, (interaction) => {
    void ctx.deliveries.track(
      onInteraction(ctx, interaction).catch(async (err: unknown) => {
        const ref = errorReference();
        ctx.logger.error({ err: String(err), channel: interaction.channelId, ref }, 'Discord: interaction failed');
        if (interaction.isRepliable() && (interaction.deferred || interaction.replied)) {
          await interaction.followUp({ content: failureNotice(ref), flags: MessageFlags.Ephemeral }).catch(() => undefined);
        }
      }),
    );
  });
}

async function onInteraction(ctx: DiscordContext, interaction: Interaction): Promise<void> {
  if (interaction.isChatInputCommand() && interaction.commandName === COMMAND_NAME) return slash(ctx, interaction);
  if (interaction.isButton() && interaction.customId.startsWith('copilot:')) return button(ctx, interaction);
}

/** The thread an interaction happened in, if it is one the bot keeps sessions for. */
function threadOf(interaction: ChatInputCommandInteraction | ButtonInteraction): ThreadRef | undefined {
  const channel = interaction.channel;
  const user = interaction.user.id;
  if (channel?.isThread() && interaction.guildId) return guildThreadRef(interaction.guildId, channel.id, user, { parent: channel.parentId, roles: roleIds(interaction.member) });
  if (channel?.type === ChannelType.DM || (!interaction.guildId && interaction.channelId)) return dmThreadRef(interaction.channelId, user);
  return undefined;
}

const NOT_A_THREAD = 'Use this inside a thread where I have a Copilot session (mention me in a channel to start one).';

async function slash(ctx: DiscordContext, interaction: ChatInputCommandInteraction): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const sub = interaction.options.getSubcommand();
  const thread = threadOf(interaction);
  switch (sub) {
    case 'help':
      return show(interaction, textView(helpText()));
    case 'sessions': {
      const where = thread ?? { platform: 'discord', workspace: interaction.guildId ?? 'dm', channel: interaction.channelId, thread: interaction.channelId, user: interaction.user.id };
      const reply = await ctx.conversation.runCommand(where, { kind: 'sessions' });
      return show(interaction, textView(reply.text));
    }
    case 'usage': {
      const where = thread ?? { platform: 'discord', workspace: interaction.guildId ?? 'dm', channel: interaction.channelId, thread: interaction.channelId, user: interaction.user.id };
      return show(interaction, textView((await ctx.conversation.runCommand(where, { kind: 'usage' })).text));
    }
    case 'login':
    case 'logout':
    case 'whoami': {
      const where = thread ?? { platform: 'discord', workspace: interaction.guildId ?? 'dm', channel: interaction.channelId, thread: interaction.channelId, user: interaction.user.id, roles: roleIds(interaction.member) };
      // A sign-in's outcome comes later, as a private follow-up (Discord keeps the interaction 15 minutes).
      const tell = async (r: Reply) => {
        const view = accountView(r);
        await interaction.followUp({ content: view.content, components: view.components, flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
      };
      return show(interaction, accountView(await ctx.conversation.runCommand(where, { kind: sub }, tell)));
    }
    case 'history':
      if (!thread) {
        // In a channel: its threads that have sessions, so one can be opened and asked there.
        if (!interaction.guildId) return show(interaction, textView(NOT_A_THREAD));
        const where = { platform: 'discord', workspace: interaction.guildId, channel: interaction.channelId, thread: interaction.channelId, user: interaction.user.id, roles: roleIds(interaction.member) };
        const reply = await ctx.conversation.runCommand(where, { kind: 'sessions', in: interaction.channelId });
        const hint = reply.kind === 'sessions' && reply.records.length > 0 ? '\n_Open a thread and use `/copilot history` there to read it._' : `\n${NOT_A_THREAD}`;
        return show(interaction, textView(reply.text + hint));
      }
      return show(interaction, await historyOf(ctx, thread, interaction.options.getInteger('page') ?? 0));
    case 'forget':
      if (!thread) return show(interaction, textView(NOT_A_THREAD));
      return show(interaction, forgetConfirmView());
    case 'model':
    case 'agent': {
      if (!thread) return show(interaction, textView(NOT_A_THREAD));
      const name = interaction.options.getString('name')?.trim();
      // The same words as in a message (`@Copilot model NAME`): one parser says what a valid name is.
      const parsed = parseInput(`${sub}${name ? ` ${name}` : ''}`, { explicit: true });
      if (parsed.kind !== 'command') return show(interaction, textView(parsed.kind === 'invalid' ? parsed.message : 'Try `/copilot help`.'));
      return show(interaction, textView((await ctx.conversation.runCommand(thread, parsed.command)).text));
    }
    case 'repo': {
      if (!thread) return show(interaction, textView(NOT_A_THREAD));
      const words = [interaction.options.getString('what')?.trim(), interaction.options.getString('ref')?.trim()].filter(Boolean);
      // The same words as in a message (`@Copilot repo owner/name ref`).
      const parsed = parseInput(['repo', ...words].join(' '), { explicit: true });
      if (parsed.kind !== 'command') return show(interaction, textView(parsed.kind === 'invalid' ? parsed.message : 'Try `/copilot help`.'));
      return show(interaction, textView((await ctx.conversation.runCommand(thread, parsed.command)).text));
    }
    case 'schedule':
    case 'schedules':
    case 'unschedule': {
      // `unschedule ID` needs no thread: a person stops their own schedules from anywhere.
      const where = thread ?? (sub === 'unschedule' ? { platform: 'discord', workspace: interaction.guildId ?? 'dm', channel: interaction.channelId, thread: interaction.channelId, user: interaction.user.id, roles: roleIds(interaction.member) } : undefined);
      if (!where) return show(interaction, textView(NOT_A_THREAD));
      // The when has its own option: quotes typed around it (as in a message) are not part of it.
      const when = (interaction.options.getString('when') ?? '').trim().replace(/^["“”„'‘’](.*)["“”„'‘’]$/, '$1').trim();
      const words = sub === 'schedule' ? `"${when}" ${interaction.options.getString('prompt')?.trim() ?? ''}` : sub === 'unschedule' ? (interaction.options.getString('id')?.trim() ?? '') : '';
      // The same words as in a message (`@Copilot schedule "every 2h" …`): one parser for both.
      const parsed = parseInput(`${sub} ${words}`.trim(), { explicit: true });
      if (parsed.kind !== 'command') return show(interaction, textView(parsed.kind === 'invalid' ? parsed.message : 'Try `/copilot help`.'));
      const reply = await ctx.conversation.runCommand(where, parsed.command);
      return show(interaction, reply.kind === 'schedules' ? schedulesView(reply, true) : textView(reply.text));
    }
    default:
      return show(interaction, textView('Unknown subcommand. Try `/copilot help`.'));
  }
}

async function button(ctx: DiscordContext, interaction: ButtonInteraction): Promise<void> {
  const thread = threadOf(interaction);
  if (interaction.customId.startsWith(APPROVAL_BUTTON)) return approvalButton(ctx, interaction, thread);
  if (interaction.customId === BUTTON.forgetNo) {
    await interaction.update({ content: 'Kept: nothing was deleted.', components: [] });
    return;
  }
  await interaction.deferUpdate();
  if (!thread) {
    await interaction.followUp({ content: NOT_A_THREAD, flags: MessageFlags.Ephemeral });
    return;
  }
  if (interaction.customId === BUTTON.forgetYes) {
    const reply = await ctx.conversation.runCommand(thread, { kind: 'forget' } satisfies Command);
    if (reply.kind !== 'forgotten') {
      // Refused or nothing to forget: tell the presser only, leave the question standing.
      await interaction.followUp({ content: reply.text, flags: MessageFlags.Ephemeral });
      return;
    }
    await interaction.editReply({ content: reply.text, components: [] });
    if (interaction.message.flags.has(MessageFlags.Ephemeral) && interaction.channel?.isSendable()) {
      await interaction.channel.send({ content: `${FORGOTTEN_MARK} <@${interaction.user.id}> made me forget this thread: its Copilot session is deleted. The next message starts fresh.`, allowedMentions: NO_PINGS });
    }
    return;
  }
  if (interaction.customId.startsWith(BUTTON.unschedule)) {
    const id = interaction.customId.slice(BUTTON.unschedule.length);
    const parsed = parseInput(`unschedule ${id}`, { explicit: true });
    if (parsed.kind !== 'command') {
      await interaction.followUp({ content: 'That button is not valid here.', flags: MessageFlags.Ephemeral });
      return;
    }
    const stopped = await ctx.conversation.runCommand(thread, parsed.command);
    // To the presser only; a private list is shown again as it is now (a list in the thread stays, its buttons answer "no schedule" once used).
    await interaction.followUp({ content: stopped.text, flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
    if (interaction.message.flags.has(MessageFlags.Ephemeral)) {
      const list = await ctx.conversation.runCommand(thread, { kind: 'schedules' });
      if (list.kind === 'schedules') {
        const view = schedulesView(list, true);
        await interaction.editReply({ content: view.content, components: view.components });
      }
    }
    return;
  }
  if (interaction.customId.startsWith(BUTTON.historyPage)) {
    const page = Number(interaction.customId.slice(BUTTON.historyPage.length));
    const view = await historyOf(ctx, thread, Number.isInteger(page) && page > 0 ? page : 0);
    await interaction.editReply({ content: view.content, components: view.components, files: view.files });
    for (const content of view.more) await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
  }
}

/** A click on an approval card: the card changes for everyone; a refusal is told to the clicker only. */
async function approvalButton(ctx: DiscordContext, interaction: ButtonInteraction, thread: ThreadRef | undefined): Promise<void> {
  await interaction.deferUpdate();
  const parsed = parseApprovalButton(interaction.customId);
  if (!parsed || !thread) {
    ctx.logger.warn({ user: interaction.user.id, channel: interaction.channelId, customId: interaction.customId.slice(0, 100) }, 'Discord: approval click refused (malformed, or not in a thread)');
    await interaction.followUp({ content: 'That button is not valid here.', flags: MessageFlags.Ephemeral });
    return;
  }
  const answer = await ctx.conversation.decideApproval(thread, parsed.id, parsed.choice, { channel: interaction.channelId, message: interaction.message.id });
  if (!answer.ok) await interaction.followUp({ content: answer.text, flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
}

async function historyOf(ctx: DiscordContext, thread: ThreadRef, page: number): Promise<View> {
  const reply = await ctx.conversation.runCommand(thread, { kind: 'history', page });
  return reply.kind === 'history' ? historyView(reply) : textView(reply.text);
}

async function show(interaction: ChatInputCommandInteraction, view: View): Promise<void> {
  await interaction.editReply({ content: view.content, components: view.components, files: view.files, allowedMentions: NO_PINGS });
  for (const content of view.more) await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
}
