/** What the bot shows privately on Discord: history pages with buttons, the forget confirmation. */
import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import type { Reply } from '../../src/core/reply.js';
import { BUTTON } from './commands.js';
import { chunks } from './send.js';

export interface View {
  /** First message (editReply / update). */
  content: string;
  /** More messages, when the text did not fit in one (followUps). */
  more: string[];
  components: Array<ActionRowBuilder<ButtonBuilder>>;
  files: AttachmentBuilder[];
}

export function historyView(reply: Extract<Reply, { kind: 'history' }>): View {
  const [content = '', ...more] = chunks(reply.text);
  const row = new ActionRowBuilder<ButtonBuilder>();
  const { page, pages } = reply.page;
  if (page > 1) row.addComponents(new ButtonBuilder().setCustomId(`${BUTTON.historyPage}${page - 1}`).setLabel('◀ Older').setStyle(ButtonStyle.Secondary));
  if (page < pages) row.addComponents(new ButtonBuilder().setCustomId(`${BUTTON.historyPage}${page + 1}`).setLabel('Newer ▶').setStyle(ButtonStyle.Secondary));
  // A long session also comes whole, as a Markdown file.
  const files = pages > 1 ? [new AttachmentBuilder(Buffer.from(reply.transcript, 'utf8'), { name: `${reply.sessionId}.md` })] : [];
  return { content, more, components: row.components.length ? [row] : [], files };
}

export function textView(text: string): View {
  const [content = '', ...more] = chunks(text);
  return { content, more, components: [], files: [] };
}

/** A reply about the person's GitHub account, with a button that opens GitHub's page. */
export function accountView(reply: Reply): View {
  const view = textView(reply.text);
  if (reply.kind !== 'account' || !reply.link) return view;
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setStyle(ButtonStyle.Link).setURL(reply.link.url).setLabel(reply.link.label));
  return { ...view, components: [row] };
}

export function forgetConfirmView(): View {
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(BUTTON.forgetYes).setLabel('Forget it').setStyle(ButtonStyle.Danger),
    new ButtonBuilder().setCustomId(BUTTON.forgetNo).setLabel('Keep it').setStyle(ButtonStyle.Secondary),
  );
  return { content: "**Forget this thread?** Its Copilot session will be deleted for good; the next message starts from scratch.", more: [], components: [row], files: [] };
}

/** Discord takes at most 5 rows of 5 buttons under a message. */
const MAX_BUTTONS = 25;

/** A thread's schedules, with a Cancel button for each the asker may stop; `own`: seen by the asker only (their count elsewhere shows). */
export function schedulesView(reply: Extract<Reply, { kind: 'schedules' }>, own: boolean): View {
  const view = textView(own && reply.footer ? `${reply.text}\n${reply.footer}` : reply.text);
  const cancellable = reply.items.filter((i) => i.cancellable).slice(0, MAX_BUTTONS);
  const rows: Array<ActionRowBuilder<ButtonBuilder>> = [];
  for (let i = 0; i < cancellable.length; i += 5) {
    rows.push(new ActionRowBuilder<ButtonBuilder>().addComponents(cancellable.slice(i, i + 5).map((item) => new ButtonBuilder().setCustomId(`${BUTTON.unschedule}${item.id}`).setLabel(`Cancel ${item.id}`).setStyle(ButtonStyle.Danger))));
  }
  return { ...view, components: rows };
}
