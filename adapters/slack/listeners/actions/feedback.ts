/**
 * A 👍/👎 under an answer. The payload names the message's channel and thread; the vote is
 * counted on that thread's registry record (shown in history and by the CLI) and thanked privately.
 */
import type { App, BlockAction } from '@slack/bolt';
import { FEEDBACK_ACTION } from '../../blocks.js';
import type { SlackContext } from '../../context.js';
import { respondPrivately } from '../../actions.js';
import { toMrkdwn } from '../../mrkdwn.js';
import { describe } from '../../replier.js';
import { containerOf, slackThreadRef } from '../../thread.js';

interface FeedbackAction {
  type: 'feedback_buttons';
  action_id: string;
  value?: string;
}

export function feedbackButtons(app: App, ctx: SlackContext): void {
  app.action<BlockAction>(FEEDBACK_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    const vote = (action as unknown as FeedbackAction).value;
    const channel = body.channel?.id ?? containerOf(body).channel_id;
    const message = body.message as { ts?: string; thread_ts?: string } | undefined;
    const thread = message?.thread_ts ?? containerOf(body).thread_ts;
    const workspace = body.team?.id ?? body.enterprise?.id;
    if ((vote !== 'up' && vote !== 'down') || !channel || !thread || !workspace) {
      ctx.logger.warn({ user: body.user.id, channel, vote: String(vote).slice(0, 20) }, 'Slack: feedback click refused (malformed)');
      return respondPrivately(respond, 'That button is no longer valid.');
    }
    try {
      const reply = await ctx.conversation.recordFeedback(slackThreadRef(workspace, channel, thread, body.user.id), vote);
      await respondPrivately(respond, toMrkdwn(reply.text));
    } catch (err) {
      ctx.logger.error({ err: describe(err), channel, thread }, 'Slack: could not record feedback');
    }
  });
}
