/**
 * Plain messages: every DM, and follow-ups in a channel thread that already has a session
 * (without a new mention, unless SLACK_REPLY_WITHOUT_MENTION=false). Mentions in channels are
 * left to `app_mention`, so one message never gets two answers.
 */
import type { App } from '@slack/bolt';
import { sessionIdFor } from '../../../../src/core/thread.js';
import { SpanKind } from '@opentelemetry/api';
import { inSpan } from '../../../../src/tracing.js';
import type { SlackContext } from '../../context.js';
import { arrive, handleIncoming } from '../../incoming.js';
import { describe } from '../../replier.js';
import { isFromPerson, mentions, slackThreadRef, threadOf, workspaceOf, type SlackMessageLike } from '../../thread.js';

export function message(app: App, ctx: SlackContext): void {
  app.event('message', async ({ event, context, client }) => {
    const m = event as unknown as SlackMessageLike;
    if (!isFromPerson(m, ctx.botUserId)) return;
    const workspace = workspaceOf(context);
    if (!workspace) return;
    const isDm = m.channel_type === 'im';
    if (!isDm && (mentions(m.text ?? '', ctx.botUserId) || !ctx.replyWithoutMention || !m.thread_ts)) return;
    const thread = slackThreadRef(workspace, m.channel, threadOf(m), m.user!, ctx.teamUrl);
    // A turn of this thread queued here means it has (or is about to have) a session.
    const active = ctx.conversation.active(thread);
    await inSpan('slack.message', { 'slack.channel': m.channel, 'slack.ts': m.ts, 'slack.event': 'message' }, async (span) => {
      const arrival = arrive(ctx, thread);
      if (!isDm && !active) {
        const known = await ctx.registry.get(sessionIdFor(thread)).catch((err: unknown) => {
          ctx.logger.warn({ err: describe(err), channel: m.channel, ts: m.ts }, 'Slack: could not check whether a thread has a session');
          return undefined;
        });
        if (!known) {
          span.setAttribute('copilot_threads.ignored', 'no session in this thread');
          return arrival.cancel();
        }
      }
      await handleIncoming(ctx, client, m, arrival).catch((err: unknown) =>
        ctx.logger.error({ err: describe(err), channel: m.channel, ts: m.ts }, 'Slack: message failed'),
      );
    }, SpanKind.SERVER);
  });
}
