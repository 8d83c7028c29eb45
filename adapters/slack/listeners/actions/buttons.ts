/** The buttons on private messages: history pages, forget (after Slack's confirm dialog), transcript, a schedule's Cancel. */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ACTION, decodeTarget } from '../../blocks.js';
import type { SlackContext } from '../../context.js';
import { errorReference, failureNotice } from '../../../../src/core/reply.js';
import { toMrkdwn } from '../../mrkdwn.js';
import { cancelSchedule, forgetThread, respondPrivately, sendTranscript, showHistory, type Actor } from '../../actions.js';
import { describe } from '../../replier.js';
import { containerOf } from '../../thread.js';

export function buttons(app: App, ctx: SlackContext): void {
  // A link button opens its page in the browser; the click Slack sends as well needs only its ack.
  app.action(ACTION.link, async ({ ack }) => {
    await ack();
  });
  const on = (pattern: RegExp, run: (a: Parameters<Parameters<App['action']>[1]>[0], who: Actor, target: NonNullable<ReturnType<typeof decodeTarget>>) => Promise<void>) => {
    app.action<BlockAction<ButtonAction>>(pattern, async (args) => {
      await args.ack();
      const { body, respond } = args;
      const target = decodeTarget(args.action.value);
      const channel = body.channel?.id ?? containerOf(body).channel_id;
      const workspace = body.team?.id ?? body.enterprise?.id;
      // A button only acts on a thread of the channel it was shown in: a payload that names no
      // channel, or another one than its value, is forged or replayed from elsewhere.
      if (!target || !workspace || !channel || channel !== target.c) {
        ctx.logger.warn({ user: body.user.id, workspace, channel, target: args.action.value?.slice(0, 200) }, 'Slack: button refused (forged, or not from the channel it names)');
        return respondPrivately(respond, 'That button is no longer valid.');
      }
      try {
        await ctx.deliveries.track(run(args as never, { workspace, user: body.user.id }, target));
      } catch (err) {
        const ref = errorReference();
        ctx.logger.error({ err: describe(err), channel: target.c, thread: target.t, ref }, 'Slack: button failed');
        await respondPrivately(respond, toMrkdwn(failureNotice(ref))).catch(() => undefined);
      }
    });
  };
  on(new RegExp(`^${ACTION.history}`), ({ respond }, who, target) => showHistory(ctx, respond, who, target, true));
  on(new RegExp(`^${ACTION.forget}$`), ({ respond, client }, who, target) => forgetThread(ctx, client, respond, who, target));
  on(new RegExp(`^${ACTION.transcript}$`), ({ respond, client }, who, target) => sendTranscript(ctx, client, respond, who, target));
  on(new RegExp(`^${ACTION.unschedule}$`), ({ respond }, who, target) => cancelSchedule(ctx, respond, who, target));
}
