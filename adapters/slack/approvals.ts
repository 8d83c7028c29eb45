/**
 * Approval cards on Slack: a Block Kit message in the thread with the tool, exactly what it would
 * do and three buttons; after the decision the same message shows who decided and when (no
 * buttons). When the card cannot show the text as it is (see src/core/exact-text.ts), the whole
 * exact text goes into the thread first as a snippet file, and the card says so; if the file
 * cannot be posted, neither is the card (the request is denied). A click is acknowledged at once;
 * the core decides, and refusals go to the clicker only.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Teams } from './teams.js';
import { type ApprovalCards, type ApprovalChoice, type ApprovalRequest } from '../../src/core/approvals/desk.js';
import { approvalCard } from '../../src/core/approvals/card.js';
import type { Block } from './blocks.js';
import type { SlackContext } from './context.js';
import { respondPrivately } from './actions.js';
import { escapeMrkdwn } from './mrkdwn.js';
import { describe } from './replier.js';
import { containerOf, slackThreadRef } from './thread.js';

export const APPROVAL_ACTION: Record<ApprovalChoice, string> = { once: 'approval_once', always: 'approval_always', deny: 'approval_deny' };

/** Text inside a code block: Slack escapes, and a ``` inside shown as it is but kept from ending the block (zero-width joiners). */
function code(text: string): string {
  return `\`\`\`${escapeMrkdwn(text).replaceAll('```', '`\u200d`\u200d`')}\`\`\``;
}

export function approvalBlocks(request: ApprovalRequest): { text: string; blocks: Block[] } {
  const card = approvalCard(request, (u) => `<@${u}>`);
  const blocks: Block[] = [
    // A section holds 3,000 characters: the card's text (at most 800, escaped) always fits whole.
    { type: 'section', text: { type: 'mrkdwn', text: `*${card.title}*\n${code(card.detail)}` } },
    ...(card.notice ? [{ type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(card.notice) } }] : []),
    {
      type: 'context',
      elements: [...(card.intention ? [{ type: 'mrkdwn', text: `_${escapeMrkdwn(card.intention)}_` }] : []), { type: 'mrkdwn', text: card.status }],
    },
  ];
  if (card.open) {
    blocks.push({
      type: 'actions',
      block_id: 'approval',
      elements: [
        { type: 'button', action_id: APPROVAL_ACTION.once, text: { type: 'plain_text', text: 'Approve once' }, style: 'primary', value: request.id },
        { type: 'button', action_id: APPROVAL_ACTION.always, text: { type: 'plain_text', text: 'Always for me in this thread' }, value: request.id },
        { type: 'button', action_id: APPROVAL_ACTION.deny, text: { type: 'plain_text', text: 'Deny' }, style: 'danger', value: request.id },
      ],
    });
  }
  const text = card.open ? `Copilot asks to use ${request.tool}` : `Copilot's request to use ${request.tool}: ${card.status}`;
  return { text, blocks };
}

export function slackApprovalCards(teams: Teams): ApprovalCards {
  // Each card is posted with its thread's workspace's bot.
  const clientOf = async (workspace: string): Promise<WebClient> => {
    const team = await teams.get(workspace);
    if (!team) throw new Error(`the Slack app is not installed in workspace ${workspace}`);
    return team.client;
  };
  return {
    async post(request) {
      const web = await clientOf(request.workspace);
      const { attachment } = approvalCard(request, (u) => u);
      if (attachment) {
        await web.filesUploadV2({
          channel_id: request.channel,
          thread_ts: request.thread,
          content: attachment.content,
          filename: attachment.name,
          title: `Exactly what ${request.tool} would run`,
          initial_comment: `The exact text of the ${request.tool} request below.`,
        });
      }
      const res = await web.chat.postMessage({ channel: request.channel, thread_ts: request.thread, ...approvalBlocks(request) });
      if (!res.ts) throw new Error('chat.postMessage returned no ts');
      return { channel: request.channel, ts: res.ts };
    },
    async update(request) {
      if (!request.card?.ts) return;
      const web = await clientOf(request.workspace);
      await web.chat.update({ channel: request.card.channel ?? request.channel, ts: request.card.ts, ...approvalBlocks(request) });
    },
  };
}

export function approvalButtons(app: App, ctx: SlackContext): void {
  for (const [choice, actionId] of Object.entries(APPROVAL_ACTION) as Array<[ApprovalChoice, string]>) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      const channel = body.channel?.id ?? containerOf(body).channel_id;
      const thread = containerOf(body).thread_ts ?? (body.message as { thread_ts?: string } | undefined)?.thread_ts;
      const workspace = body.team?.id ?? body.enterprise?.id;
      if (!channel || !thread || !workspace || typeof action.value !== 'string') {
        ctx.logger.warn({ user: body.user.id, workspace, channel, thread, value: String(action.value).slice(0, 80) }, 'Slack: approval click refused (no channel, thread or request in the payload)');
        await respondPrivately(respond, 'That button is not valid here.').catch(() => undefined);
        return;
      }
      const requestId = action.value;
      await ctx.deliveries.track(
        (async () => {
          const cardTs = containerOf(body).message_ts ?? (body.message as { ts?: string } | undefined)?.ts;
          const clicked = cardTs ? { channel, ts: cardTs } : undefined;
          const answer = await ctx.conversation.decideApproval(slackThreadRef(workspace, channel, thread, body.user.id), requestId, choice, clicked);
          if (!answer.ok) await respondPrivately(respond, escapeMrkdwn(answer.text));
        })().catch((err: unknown) => ctx.logger.error({ err: describe(err), channel, thread }, 'Slack: approval click failed')),
      );
    });
  }
}
