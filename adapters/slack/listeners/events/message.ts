/**
 * Plain messages: every DM, and follow-ups without a mention in channel threads (answered as
 * SLACK_REPLY_WITHOUT_MENTION says; the core decides, see `Inbound`). Mentions in channels are
 * left to `app_mention`, so one message never gets two answers.
 */
import type { App } from '@slack/bolt';
import { SpanKind } from '@opentelemetry/api';
import { inSpan } from '../../../../src/infra/tracing.js';
import type { SlackContext } from '../../context.js';
import { receive } from '../../incoming.js';
import { eventBot, isFromPerson, mentions, slackThreadRef, threadOf, workspaceOf, type SlackMessageLike } from '../../thread.js';

export function message(app: App, ctx: SlackContext): void {
  app.event('message', async ({ event, context, client }) => {
    const m = event as unknown as SlackMessageLike;
    const bot = eventBot(context);
    if (!bot || !isFromPerson(m, bot.userId)) return;
    const workspace = workspaceOf(context);
    if (!workspace) return;
    const isDm = m.channel_type === 'im';
    if (!isDm && (mentions(m.text ?? '', bot.userId) || !m.thread_ts)) return;
    const thread = slackThreadRef(workspace, m.channel, threadOf(m), m.user!, ctx.teams.urlOf(workspace));
    await inSpan('slack.message', { 'slack.channel': m.channel, 'slack.ts': m.ts, 'slack.event': 'message' }, () =>
      receive(ctx, client, bot, m, thread, isDm ? 'direct' : 'follow-up'),
    SpanKind.SERVER);
  });
}
