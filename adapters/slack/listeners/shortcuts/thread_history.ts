/** Message shortcut “Copilot: thread history”: the history of the thread the message is in. */
import type { App, MessageShortcut } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { errorReference, failureNotice } from '../../../../src/core/reply.js';
import { toMrkdwn } from '../../mrkdwn.js';
import { respondPrivately, showHistory } from '../../actions.js';
import { describe } from '../../replier.js';

export const THREAD_HISTORY_CALLBACK = 'copilot_thread_history';

export function threadHistory(app: App, ctx: SlackContext): void {
  app.shortcut<MessageShortcut>({ callback_id: THREAD_HISTORY_CALLBACK, type: 'message_action' }, async ({ shortcut, ack, respond }) => {
    await ack();
    const workspace = shortcut.team?.id ?? shortcut.enterprise?.id;
    if (!workspace) return;
    const thread = (shortcut.message.thread_ts as string | undefined) ?? shortcut.message.ts;
    try {
      await ctx.deliveries.track(showHistory(ctx, respond, { workspace, user: shortcut.user.id }, { c: shortcut.channel.id, t: thread, p: 0 }));
    } catch (err) {
      const ref = errorReference();
      ctx.logger.error({ err: describe(err), channel: shortcut.channel.id, ref }, 'Slack: history shortcut failed');
      await respondPrivately(respond, toMrkdwn(failureNotice(ref))).catch(() => undefined);
    }
  });
}
