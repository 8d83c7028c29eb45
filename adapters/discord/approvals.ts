/**
 * Approval cards on Discord: a message in the thread with the tool, exactly what it would do and
 * three buttons; after the decision the same message shows who decided and when (no buttons).
 * When the card cannot show the text as it is (see src/core/exact-text.ts), the whole exact text
 * is attached to the card as a file and the card says so.
 */
import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle, type Client } from 'discord.js';
import { type ApprovalCards, type ApprovalChoice, type ApprovalRequest } from '../../src/core/approvals/desk.js';
import { approvalCard } from '../../src/core/approvals/card.js';
import { MESSAGE_LIMIT } from './context.js';
import { NO_PINGS } from './send.js';

export const APPROVAL_BUTTON = 'copilot:approval:';

/** `copilot:approval:<choice>:<request id>` → its parts, or undefined for anything else. */
export function parseApprovalButton(customId: string): { choice: ApprovalChoice; id: string } | undefined {
  const m = /^copilot:approval:(once|always|deny):(.{1,80})$/.exec(customId);
  return m ? { choice: m[1] as ApprovalChoice, id: m[2]! } : undefined;
}

export function approvalMessage(request: ApprovalRequest): { content: string; components: Array<ActionRowBuilder<ButtonBuilder>>; files: AttachmentBuilder[] } {
  const card = approvalCard(request, (u) => `<@${u}>`);
  // A fence inside the text would end the code block early: it is shown with zero-width joiners.
  const detail = card.detail.replaceAll('```', '`\u200d`\u200d`');
  const tail = `${card.notice ? `\n${card.notice}` : ''}${card.intention ? `\n_${card.intention.replace(/[_*`]/g, '')}_` : ''}\n${card.status}`;
  // The card's text is at most 800 characters (escaped), so the message stays under Discord's 2,000.
  const content = `**${card.title}**\n\`\`\`\n${detail}\n\`\`\`${tail}`.slice(0, MESSAGE_LIMIT);
  const files = card.attachment ? [new AttachmentBuilder(Buffer.from(card.attachment.content, 'utf8'), { name: card.attachment.name })] : [];
  const button = (choice: ApprovalChoice, label: string, style: ButtonStyle) =>
    new ButtonBuilder().setCustomId(`${APPROVAL_BUTTON}${choice}:${request.id}`).setLabel(label).setStyle(style);
  const components = card.open
    ? [
        new ActionRowBuilder<ButtonBuilder>().addComponents(
          button('once', 'Approve once', ButtonStyle.Success),
          button('always', 'Always for me in this thread', ButtonStyle.Primary),
          button('deny', 'Deny', ButtonStyle.Danger),
        ),
      ]
    : [];
  return { content, components, files };
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
      // The attachment stays as it was posted (an edit without files keeps it).
      const { files: _kept, ...message } = approvalMessage(request);
      await channel.messages.edit(request.card.message, { ...message, allowedMentions: NO_PINGS });
    },
  };
}
