/**
 * Scheduled prompts on Slack (core/schedules): each run is posted in its thread as a message of
 * the bot's saying whose schedule it is and what it asks, and that message goes through the same
 * pipeline as a person's (journal, thread context, placeholder, answer) as a turn of its author.
 * Before a run, Slack is asked whether that person is still there: an account deactivated, a
 * private channel they left, a channel archived or gone stops their schedule.
 */
import type { WebClient } from '@slack/web-api';
import type { ThreadRef } from '../../src/core/thread.js';
import { ScheduleGone, type Schedule, type ScheduledRunner } from '../../src/core/schedules/scheduler.js';
import type { TimeZoneLookup } from '../../src/core/conversation.js';
import type { SlackContext } from './context.js';
import { slackThread } from './incoming.js';
import { escapeMrkdwn, defuseBroadcasts, toMrkdwn } from './mrkdwn.js';
import { inChannel } from './visibility.js';

/** How much of the prompt the run's first message repeats (the whole prompt goes to the model). */
const PROMPT_SHOWN = 500;

export function slackScheduledRuns(ctx: SlackContext): ScheduledRunner {
  const teamOf = async (s: Schedule) => {
    const team = await ctx.teams.get(s.thread.workspace);
    if (!team) throw new Error(`no install for workspace ${s.thread.workspace}`);
    return team;
  };
  return {
    async person(s) {
      const team = await ctx.teams.get(s.thread.workspace);
      if (!team) return { gone: 'the app is no longer installed in this workspace' };
      const gone = await stillThere(team.client, s.thread).catch((err: unknown) => {
        // An app installed from an older manifest cannot tell: nothing runs until it is reinstalled.
        if (slackErrorOf(err) === 'missing_scope') throw new Error('missing_scope: scheduled prompts need the users:read, channels:read, groups:read and mpim:read scopes (reinstall the app with adapters/slack/manifest.json)');
        throw err;
      });
      return gone ? { gone } : s.thread;
    },
    async run(s, as) {
      const team = await teamOf(s);
      const name = await ctx.people.nameOf(team.client, as.user);
      const shown = s.prompt.length > PROMPT_SHOWN ? `${s.prompt.slice(0, PROMPT_SHOWN)}…` : s.prompt;
      const text = `⏰ Scheduled by *${safe(name)}* (\`${s.id}\`, ${s.rule.kind === 'once' ? 'once' : safe(s.when)}):\n${shown.split('\n').map((l) => `>${safe(l)}`).join('\n')}`;
      const header = await team.client.chat.postMessage({ channel: as.channel, thread_ts: as.thread, text }).catch((err: unknown) => {
        // Slack says the thread cannot be written to any more: the schedule stops (other failures: tried again).
        const code = slackErrorOf(err);
        if (code && GONE.has(code)) throw new ScheduleGone(`I cannot post in this thread any more (${code})`);
        throw err;
      });
      if (!header.ts) throw new Error('chat.postMessage returned no ts');
      // The run's message is the turn's: the thread's context runs up to it, its answer comes after it.
      const post = ctx.posts.reserve(`${as.channel}/${as.thread}`);
      const arrival = ctx.inbound.arrive({ thread: as, addressed: 'direct' }, post);
      const platform = slackThread(ctx, team.client, { userId: team.botUserId, token: team.token }, as, { post, text: s.prompt });
      // Admitted already (the scheduler asked, as for a message): the pipeline asks only access again.
      await ctx.inbound.handle(arrival, { key: `slack:${as.workspace}:${as.channel}:${header.ts}`, thread: as, id: header.ts, text: s.prompt, addressed: 'direct' }, platform, true);
    },
    async tell(s, reply) {
      const team = await teamOf(s);
      await team.client.chat.postEphemeral({ channel: s.thread.channel, thread_ts: s.thread.thread, user: s.thread.user, text: toMrkdwn(reply.text) });
    },
    async say(s, text) {
      const team = await teamOf(s);
      await team.client.chat.postMessage({ channel: s.thread.channel, thread_ts: s.thread.thread, text: toMrkdwn(text) });
    },
  };
}

/** A person's own time zone, from their Slack profile. */
export function slackTimeZones(ctx: SlackContext): TimeZoneLookup {
  return async (thread) => {
    const team = await ctx.teams.get(thread.workspace);
    const info = await team?.client.users.info({ user: thread.user });
    return info?.user?.tz || undefined;
  };
}

/** Why `thread.user` can no longer be answered in the thread (undefined: they can). Rejects when Slack cannot tell now. */
async function stillThere(client: WebClient, thread: ThreadRef): Promise<string | undefined> {
  const user = await client.users.info({ user: thread.user }).catch(definitely('user_not_found', 'account_inactive'));
  if (!user?.user || user.user.deleted) return 'their Slack account is deactivated';
  const info = await client.conversations.info({ channel: thread.channel }).catch(definitely('channel_not_found'));
  const channel = info?.channel;
  if (!channel) return 'the channel is gone, or I am no longer in it';
  if (channel.is_archived) return 'the channel is archived';
  if (channel.is_im || (!channel.is_private && !channel.is_mpim)) return undefined;
  return (await inChannel(client, thread.channel, thread.user)) ? undefined : 'they are no longer in this channel';
}

/** Slack's answers for a thread the bot cannot write to any more. */
const GONE = new Set(['channel_not_found', 'is_archived', 'not_in_channel', 'thread_not_found', 'account_inactive', 'team_access_not_granted']);

function slackErrorOf(err: unknown): string | undefined {
  return (err as { data?: { error?: string } }).data?.error;
}

/** A Slack error that says the thing is gone resolves to undefined; anything else (a 500, a timeout) rejects. */
function definitely(...codes: string[]) {
  return (err: unknown): undefined => {
    if (codes.includes(slackErrorOf(err) ?? '')) return undefined;
    throw err;
  };
}

function safe(text: string): string {
  return defuseBroadcasts(escapeMrkdwn(text));
}
