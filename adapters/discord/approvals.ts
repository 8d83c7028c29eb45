/**
 * Approval cards on Discord: a message in the thread with the tool, what it would do and three
 * buttons; after the decision the same message shows who decided and when (no buttons).
 */
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, type Client } from 'discord.js';
import { approvalCard, type ApprovalCards, type ApprovalChoice, type ApprovalRequest } from '../../src/core/approvals.js';
import { MESSAGE_LIMIT } from './context.js';
import { NO_PINGS } from './send.js';

export const APPROVAL_BUTTON = 'copilot:approval:';

/** `copilot:approval:<choice>:<request id>` → its parts, or undefined for anything else. */
export function parseApprovalButton(customId: string): { choice: ApprovalChoice; id: string } | undefined {
  const m = /^copilot:approval:(once|always|deny):(.{1,80})$/.exec(customId);
  return m ? { choice: m[1] as ApprovalChoice, id: m[2]! } : undefined;
}

export function approvalMessage(request: ApprovalRequest): { content: string; components: Array<ActionRowBuilder<ButtonBuilder>> } {
  const card = approvalCard(request, (u) => `<@${u}>`);
  const detail = card.detail.replaceAll('```', "'''");
  const tail = `${card.intention ? `\n_${card.intention.replace(/[_*`]/g, '')}_` : ''}\n${card.status}`;
  const room = MESSAGE_LIMIT - card.title.length - tail.length - 20;
  const content = `**${card.title}**\n\`\`\`\n${detail.slice(0, Math.max(100, room))}\n\`\`\`${tail}`.slice(0, MESSAGE_LIMIT);
  const button = (choice: ApprovalChoice, label: string, style: ButtonStyle) =>
    new ButtonBuilder().setCustomId(`${APPROVAL_BUTTON}${choice}:${request.id}`).setLabel(label).setStyle(style);
  const components = card.open
    ? [
        new ActionRowBuilder<ButtonBuilder>().addComponents(
          button('once', 'Approve once', ButtonStyle.Success),
          button('always', 'Always in this thread', ButtonStyle.Primary),
          button('deny', 'Deny', ButtonStyle.Danger),
        ),
      ]
    : [];
  return { content, components };
}

export function discordApprovalCards(client: Client): ApprovalCards {
  const channelOf = async (id: string) => {
    const channel = await client.channels.fetch(id);
    if (!channel?.isSendable()) throw new Error(`channel ${id} cannot be written to`);
    return channel;
  };
  return {
    async post(request) {
      const sent = await (await channelOf(request.channel)).send({ ...approvalMessage(request), allowedMentions: NO_PINGS });
      return { channel: request.channel, message: sent.id };
    },
    async update(request) {
      if (!request.card?.message) return;
      const channel = await channelOf(request.card.channel ?? request.channel);
      await channel.messages.edit(request.card.message, { ...approvalMessage(request), allowedMentions: NO_PINGS });
    },
  };
}
