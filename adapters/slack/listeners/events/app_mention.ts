/** `@copilot …` in a channel: answer in the thread, or start one under a top-level message. */
import type { App } from '@slack/bolt';
import { SpanKind } from '@opentelemetry/api';
import { inSpan } from '../../../../src/infra/tracing.js';
import type { SlackContext } from '../../context.js';
import { receive } from '../../incoming.js';
import { eventBot, isFromPerson, slackThreadRef, threadOf, workspaceOf, type SlackMessageLike } from '../../thread.js';

export function appMention(app: App, ctx: SlackContext): void {
  app.event('app_mention', async ({ event, context, client }) => {
    const message = { ...(event as unknown as SlackMessageLike), type: 'message' };
    const bot = eventBot(context);
    // An edited mention arrives again with `edited`; only the original is a request.
    if ((event as { edited?: unknown }).edited || !bot || !isFromPerson(message, bot.userId)) return;
    const workspace = workspaceOf(context);
    if (!workspace) return ctx.logger.warn({ channel: message.channel }, 'Slack: mention without a team or enterprise id ignored');
    // The message's trace starts here, and its place in the thread is taken before any await.
    await inSpan('slack.message', { 'slack.channel': message.channel, 'slack.ts': message.ts, 'slack.event': 'app_mention' }, () =>
      receive(ctx, client, bot, message, slackThreadRef(workspace, message.channel, threadOf(message), message.user!, ctx.teams.urlOf(workspace)), 'mention'),
    SpanKind.SERVER);
  });
}
