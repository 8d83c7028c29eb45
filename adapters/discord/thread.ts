/** Discord's shapes → the core's `ThreadRef`; which messages the bot answers. Pure. */
import { escapeMarkdown } from 'discord.js';
import type { ThreadNames } from '../../src/core/listing.js';
import type { ThreadRef } from '../../src/core/thread.js';

/**
 * Discord threads are channels: the thread id is globally unique, so it is the session's key. The
 * parent channel and the sender's roles only serve the access rules (ALLOWED_CHANNELS, roles).
 */
export function guildThreadRef(guildId: string, threadId: string, user: string, who: { parent?: string | null; roles?: readonly string[] } = {}): ThreadRef {
  return {
    platform: 'discord',
    workspace: guildId,
    channel: threadId,
    thread: threadId,
    user,
    ...(who.parent ? { parent: who.parent } : {}),
    ...(who.roles?.length ? { roles: who.roles } : {}),
    link: `https://discord.com/channels/${guildId}/${threadId}`,
  };
}

/** A guild member's role ids, from discord.js's member (roles resolved against the guild) or an interaction's raw member. */
export function roleIds(member: unknown): string[] {
  const m = member as { roles?: { cache?: Map<string, unknown> } | string[] } | null | undefined;
  if (Array.isArray(m?.roles)) return m.roles;
  return m?.roles?.cache ? [...m.roles.cache.keys()] : [];
}

/** One session per DM channel: `discord-dm-<channel>`. */
export function dmThreadRef(channelId: string, user: string): ThreadRef {
  return { platform: 'discord', workspace: 'dm', channel: channelId, thread: channelId, user, direct: true, link: `https://discord.com/channels/@me/${channelId}` };
}

export function mentionsBot(content: string, botId: string): boolean {
  return new RegExp(`<@!?${botId}>`).test(content);
}

export function stripMention(content: string, botId: string): string {
  return content.replace(new RegExp(`<@!?${botId}>`, 'g'), '').replace(/[ \t]+/g, ' ').trim();
}

/** Thread names are 1–100 characters; take the prompt's first line. */
export const THREAD_NAME_LIMIT = 100;

export function threadName(prompt: string): string {
  const line = prompt.split('\n').find((l) => l.trim())?.trim() ?? '';
  const clean = line.replace(/<[@#][!&]?\d+>/g, '').replace(/\s+/g, ' ').trim();
  if (!clean) return 'Copilot';
  return clean.length > THREAD_NAME_LIMIT ? `${clean.slice(0, THREAD_NAME_LIMIT - 1)}…` : clean;
}

/**
 * Places and people as Discord shows them: `<#id>` and `<@id>` render as names, and every send
 * parses no mentions (`NO_PINGS`), so a list notifies nobody.
 */
export const DISCORD_NAMES: ThreadNames = {
  place: (r) => (r.direct ? 'a direct message' : r.parent ? `<#${r.channel}> in <#${r.parent}>` : `<#${r.channel}>`),
  person: (u) => (/^\d+$/.test(u) ? `<@${u}>` : escapeMarkdown(u)),
  link: (r, label) => {
    const url = r.link ?? (r.direct ? `https://discord.com/channels/@me/${r.channel}` : `https://discord.com/channels/${r.workspace}/${r.channel}`);
    return `[${label}](<${url}>)`;
  },
  literal: (t) => escapeMarkdown(t),
};
