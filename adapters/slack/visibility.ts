/**
 * Who may see a Slack thread in `sessions`: a public channel's threads, everyone in the workspace;
 * a private channel's or a group DM's, only its members. Slack tells (`conversations.info`,
 * `conversations.members`); what it does not answer is treated as private (fail closed).
 */
import type { WebClient } from '@slack/web-api';
import type { Teams } from './teams.js';
import type { VisibilityCheck } from '../../src/core/conversation.js';
import type { Logger } from '../../src/infra/log.js';
import { describe } from './replier.js';

export function slackVisibility(teams: Teams, logger: Logger): VisibilityCheck {
  return async (asker, records) => {
    const visible = new Set<string>();
    const channels = new Map<string, boolean>();
    // Asked of the asker's own workspace (its bot sees its channels); a workspace the app left shows nothing.
    const team = await teams.get(asker.workspace);
    if (!team) return visible;
    for (const r of records) {
      if (!channels.has(r.channel)) channels.set(r.channel, await canSee(team.client, r.channel, asker.user, asker.channel, logger));
      if (channels.get(r.channel)) visible.add(r.sessionId);
    }
    return visible;
  };
}

async function canSee(client: WebClient, channel: string, user: string, askedIn: string, logger: Logger): Promise<boolean> {
  // Where the asker typed the command: they are in it, or it is public.
  if (channel === askedIn) return true;
  try {
    const info = await client.conversations.info({ channel });
    const c = info.channel;
    if (c && !c.is_private && !c.is_mpim && !c.is_im) return true;
    return await inChannel(client, channel, user);
  } catch (err) {
    // A channel the bot left, or an install without the read scopes: not listed.
    logger.warn({ err: describe(err), channel }, 'Slack: could not tell who may see a channel (needs channels:read, groups:read, mpim:read); its threads are not listed');
    return false;
  }
}

/** Whether `user` is a member of `channel`, page by page (Slack pages members); rejects when Slack cannot tell. */
export async function inChannel(client: WebClient, channel: string, user: string): Promise<boolean> {
  let cursor: string | undefined;
  do {
    const page = await client.conversations.members({ channel, limit: 1000, ...(cursor ? { cursor } : {}) });
    if (page.members?.includes(user)) return true;
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return false;
}
