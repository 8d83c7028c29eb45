/**
 * Slack's AI assistant pane (Bolt's `Assistant`, the `assistant_view` surface): a new assistant thread is greeted with
 * suggested prompts (SLACK_SUGGESTED_PROMPTS); each message in it is a turn of that thread's
 * session (`slack-<team>-<D…>-<thread_ts>`, the same scheme as every thread), with "is thinking…"
 * and the running tool as the thread's status, and the thread titled after its first prompt.
 * The middleware also receives replies in threads of ordinary DMs: they are answered the same way.
 */
import { Assistant, type App } from '@slack/bolt';
import { SpanKind } from '@opentelemetry/api';
import { inSpan } from '../../../src/infra/tracing.js';
import type { SlackContext } from '../context.js';
import { receive } from '../incoming.js';
import { describe } from '../replier.js';
import { eventBot, isFromPerson, slackThreadRef, workspaceOf, type SlackMessageLike } from '../thread.js';

export const ASSISTANT_GREETING =
  'Hi! I am Copilot. Each thread here is a conversation I remember, even days later. Ask me anything, or pick a suggestion below. `history` shows what this thread holds, `forget` deletes it.';

/** SLACK_SUGGESTED_PROMPTS as Slack shows them: a short title (40 characters) and the whole message. */
export function suggestions(prompts: readonly string[]): { title: string; prompts: Array<{ title: string; message: string }> } {
  return { title: 'Try asking', prompts: prompts.map((p) => ({ title: p.length > 40 ? `${p.slice(0, 39)}…` : p, message: p })) };
}

/**
 * Installs made from a manifest with `assistant_view` (before Slack's agent messaging): the pane's
 * threads start with `assistant_thread_started`. Apps on `agent_view` get `app_home_opened` instead
 * (listeners/events/app_home_opened.ts); their messages arrive through this middleware too.
 */
export function assistant(app: App, ctx: SlackContext): void {
  app.assistant(
    new Assistant({
      threadStarted: async ({ event, client, setSuggestedPrompts }) => {
        const { channel_id: channel, thread_ts: thread } = event.assistant_thread;
        try {
          await client.chat.postMessage({ channel, thread_ts: thread, text: ASSISTANT_GREETING });
          if (ctx.suggestedPrompts.length) await setSuggestedPrompts(suggestions(ctx.suggestedPrompts));
        } catch (err) {
          ctx.logger.warn({ err: describe(err), channel, thread }, 'Slack: could not greet a new assistant thread');
        }
      },
      // The pane's context (which channel the user looks at) is not used: nothing to save.
      threadContextChanged: async () => undefined,
      userMessage: async ({ message, context, client, setStatus, setTitle }) => {
        const m = message as unknown as SlackMessageLike;
        const bot = eventBot(context);
        if (!bot || !isFromPerson(m, bot.userId) || !m.thread_ts) return;
        const workspace = workspaceOf(context);
        if (!workspace) return;
        const thread = m.thread_ts;
        await inSpan('slack.message', { 'slack.channel': m.channel, 'slack.ts': m.ts, 'slack.event': 'assistant' }, () =>
          receive(ctx, client, bot, m, slackThreadRef(workspace, m.channel, thread, m.user!, ctx.teams.urlOf(workspace)), 'direct', { setStatus: (status) => setStatus(status), setTitle: (title) => setTitle(title) }),
        SpanKind.SERVER);
      },
    }),
  );
}
