/**
 * Slack's agent messaging (`agent_view`, which replaces the assistant pane's `assistant_view`):
 * opening the app's Messages tab is `app_home_opened` with `tab: "messages"` (there is no
 * `assistant_thread_started` any more). The bot pins SLACK_SUGGESTED_PROMPTS to the top of the tab
 * (`assistant.threads.setSuggestedPrompts` for the DM channel, without a thread: with one, Slack
 * silently ignores the call for an agent). Each top-level message there starts a thread of its
 * own, answered like any DM (listeners/events/message.ts), one session per thread.
 *
 * The tab is opened often: the prompts are set once per DM channel and hour, not on every open.
 */
import type { App } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { describe } from '../../replier.js';
import { suggestions } from '../assistant.js';

const PROMPTS_KEPT_MS = 60 * 60 * 1000;
const CHANNELS_REMEMBERED = 10_000;

interface HomeOpened {
  user?: string;
  channel?: string;
  tab?: string;
}

export function appHomeOpened(app: App, ctx: SlackContext): void {
  const prompted = new Map<string, number>();
  app.event('app_home_opened', async ({ event, client }) => {
    const { channel, tab, user } = event as HomeOpened;
    if (tab !== 'messages' || !channel || !ctx.suggestedPrompts.length) return;
    const now = Date.now();
    if ((prompted.get(channel) ?? 0) > now - PROMPTS_KEPT_MS) return;
    if (prompted.size >= CHANNELS_REMEMBERED) prompted.clear();
    prompted.set(channel, now);
    try {
      await client.assistant.threads.setSuggestedPrompts({ channel_id: channel, ...suggestions(ctx.suggestedPrompts) });
    } catch (err) {
      prompted.delete(channel);
      ctx.logger.warn({ err: describe(err), channel, user }, 'Slack: could not set the suggested prompts of the Messages tab');
    }
  });
}
