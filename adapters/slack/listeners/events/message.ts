/**
 * Plain messages: every DM, and follow-ups in a channel thread that already has a session
 * (without a new mention, unless SLACK_REPLY_WITHOUT_MENTION=false). Mentions in channels are
 * left to `app_mention`, so one message never gets two answers.
 */
import type { App } from '@slack/bolt';
import { sessionIdFor } from '../../../../src/core/thread.js';
import type { SlackContext } from '../../context.js';
import { handleIncoming } from '../../incoming.js';
import { describe } from '../../replier.js';
import { isFromPerson, mentions, slackThreadRef, workspaceOf, type SlackMessageLike } from '../../thread.js';

export function message(app: App, ctx: SlackContext): void {
  app.event('message', async ({ event, context, client }) => {
    const m = event as unknown as SlackMessageLike;
    if (!isFromPerson(m, ctx.botUserId)) return;
    const workspace = workspaceOf(context);
    if (!workspace) return;
    const isDm = m.channel_type === 'im';
    if (!isDm) {
      if (mentions(m.text ?? '', ctx.botUserId) || !ctx.replyWithoutMention || !m.thread_ts) return;
      const known = await ctx.registry.get(sessionIdFor(slackThreadRef(workspace, m.channel, m.thread_ts, m.user!)));
      if (!known) return;
    }
    await handleIncoming(ctx, client, m, workspace).catch((err: unknown) =>
      ctx.logger.error({ err: describe(err), channel: m.channel, ts: m.ts }, 'Slack: message failed'),
    );
  });
}
