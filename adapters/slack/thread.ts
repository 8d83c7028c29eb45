/** Slack's shapes → the core's `ThreadRef`, and the rules for which messages the bot answers. */
import type { ThreadRef } from '../../src/core/thread.js';
import type { ContextMessage } from '../../src/core/thread-context.js';
import type { InboundFile } from '../../src/core/attachments.js';

export interface SlackMessageLike {
  type: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
  files?: Array<{ id?: string; name?: string; title?: string; mimetype?: string; size?: number; url_private_download?: string; url_private?: string }>;
  /** Shares and unfurls of Slack messages (`is_share`, `is_msg_unfurl`). */
  attachments?: Array<{ is_share?: boolean; is_msg_unfurl?: boolean; text?: string; fallback?: string; author_name?: string; author_subname?: string; ts?: string | number }>;
}

/** Where the answer goes: the thread the message is in, or a new thread under it. */
export function threadOf(event: Pick<SlackMessageLike, 'ts' | 'thread_ts'>): string {
  return event.thread_ts ?? event.ts;
}

/** The bot an event is for, as Bolt looked it up before calling the listener (its workspace's token). */
export interface EventBot {
  userId: string;
  token: string;
}

export function eventBot(context: { botUserId?: string; botToken?: string }): EventBot | undefined {
  return context.botUserId && context.botToken ? { userId: context.botUserId, token: context.botToken } : undefined;
}

/** Enterprise-grid installs may carry no team id; the enterprise id keeps the workspace distinct. */
export function workspaceOf(ids: { teamId?: string; enterpriseId?: string }): string | undefined {
  return ids.teamId || ids.enterpriseId || undefined;
}

/** Slack DM channel ids start with D. `teamUrl` (auth.test's `url`) gives the thread its permalink. */
export function slackThreadRef(workspace: string, channel: string, threadTs: string, user: string, teamUrl?: string): ThreadRef {
  const link = permalink(teamUrl, channel, threadTs);
  return { platform: 'slack', workspace, channel, thread: threadTs, user, ...(channel.startsWith('D') ? { direct: true } : {}), ...(link ? { link } : {}) };
}

/** The link Slack's "Copy link" gives a thread's first message: `https://x.slack.com/archives/C123/p1700000050000100`. */
export function permalink(teamUrl: string | undefined, channel: string, threadTs: string): string | undefined {
  if (!teamUrl || !/^https:\/\/[^/]+\/?$/.test(teamUrl) || !/^\d+\.\d+$/.test(threadTs)) return undefined;
  return `${teamUrl.replace(/\/$/, '')}/archives/${channel}/p${threadTs.replace('.', '')}`;
}

/**
 * What a person posts carries these subtypes (an "Also send to channel" reply, a message with a
 * file, `/me`); every other subtype is the system's (edits, deletes, joins, bot messages).
 */
const PEOPLE_SUBTYPES = new Set(['thread_broadcast', 'file_share', 'me_message']);

/** Messages from people only: no edits, deletes, joins, bots, Slackbot, or the bot itself. */
export function isFromPerson(event: SlackMessageLike, botUserId: string): boolean {
  return (
    (event.subtype === undefined || PEOPLE_SUBTYPES.has(event.subtype)) &&
    !event.bot_id &&
    !!event.user &&
    event.user !== botUserId &&
    event.user !== 'USLACKBOT' &&
    (typeof event.text === 'string' || (event.files?.length ?? 0) > 0 || (event.attachments?.length ?? 0) > 0)
  );
}

/** The files on a message, as the core takes them (downloaded by `url_private_download`, with the bot token). */
export function filesOf(event: SlackMessageLike): InboundFile[] {
  return (event.files ?? []).map((f) => ({
    id: f.url_private_download ?? f.url_private ?? '',
    name: f.name ?? f.title ?? f.id ?? 'file',
    ...(f.mimetype ? { mimeType: f.mimetype } : {}),
    ...(typeof f.size === 'number' ? { size: f.size } : {}),
  }));
}

/** The Slack messages a message shares (a share, with or without a comment): given to the model with it. */
export function quotedIn(event: SlackMessageLike): ContextMessage[] {
  return (event.attachments ?? [])
    .filter((a) => (a.is_share || a.is_msg_unfurl) && (a.text ?? a.fallback))
    .map((a) => ({
      id: String(a.ts ?? ''),
      author: a.author_name ?? a.author_subname ?? 'someone',
      at: a.ts !== undefined ? tsDate(a.ts) : new Date(),
      text: String(a.text ?? a.fallback ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
    }));
}

/** A Slack ts as a time; a ts that is not one (a share's is the sharer's to set) is now. */
export function tsDate(ts: string | number): Date {
  const at = new Date(Math.floor(Number(ts) * 1000));
  return Number.isNaN(at.getTime()) ? new Date() : at;
}

export function mentions(text: string, botUserId: string): boolean {
  return text.includes(`<@${botUserId}>`) || text.includes(`<@${botUserId}|`);
}

/** Removes the bot's own mention(s); other people's mentions stay part of the prompt. */
export function stripMention(text: string, botUserId: string): string {
  return text.replace(new RegExp(`<@${botUserId}(?:\\|[^>]*)?>`, 'g'), '').replace(/\s+/g, ' ').trim();
}

/**
 * A thread permalink → channel and thread ts:
 * `https://x.slack.com/archives/C123/p1700000050000100?thread_ts=1700000050.000100&cid=C123`.
 * The `p` number is the message ts without its dot; a reply's link carries the parent's ts in
 * `thread_ts`.
 */
export function parsePermalink(text: string): { channel: string; thread: string } | undefined {
  const raw = text.trim().replace(/^<|>$/g, '').split('|')[0]!;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  const m = /\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})\/?$/.exec(url.pathname);
  if (!m) return undefined;
  const threadTs = url.searchParams.get('thread_ts');
  const thread = threadTs && /^\d{10}\.\d{6}$/.test(threadTs) ? threadTs : `${m[2]}.${m[3]}`;
  return { channel: m[1]!, thread };
}

/** Where a block action was clicked: Bolt types a payload's `container` loosely, so it is read here once. */
export interface ClickContainer {
  channel_id?: string;
  message_ts?: string;
  thread_ts?: string;
}

export function containerOf(body: { container?: unknown }): ClickContainer {
  const c = body.container;
  if (typeof c !== 'object' || c === null) return {};
  const text = (k: keyof ClickContainer) => (typeof (c as Record<string, unknown>)[k] === 'string' ? ((c as Record<string, unknown>)[k] as string) : undefined);
  return { channel_id: text('channel_id'), message_ts: text('message_ts'), thread_ts: text('thread_ts') };
}
