/**
 * A Slack thread's earlier messages, as the core's context wants them (`PlatformThread.messages`):
 * `conversations.replies` between two messages, people's names instead of ids (`users.info`,
 * remembered a while), Slack's markup turned into what a person reads.
 */
import type { WebClient } from '@slack/web-api';
import type { ContextMessage } from '../../src/core/thread-context.js';
import { FORGOTTEN_MARK } from '../../src/core/reply.js';
import { filesOf, tsDate, type SlackMessageLike } from './thread.js';

/** Pages of `conversations.replies` read at most (200 messages each): far past any context budget. */
const MAX_PAGES = 10;
const PAGE = 200;

/** Message subtypes that are not something a person said (joins, topic changes, …). */
const SYSTEM_SUBTYPES = new Set(['channel_join', 'channel_leave', 'channel_topic', 'channel_purpose', 'channel_name', 'channel_archive', 'channel_unarchive', 'group_join', 'group_leave', 'pinned_item', 'unpinned_item', 'message_deleted', 'message_changed', 'tombstone']);

interface RawMessage {
  ts?: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  text?: string;
  username?: string;
  bot_profile?: { name?: string };
  files?: SlackMessageLike['files'];
  attachments?: Array<{ is_share?: boolean; is_msg_unfurl?: boolean; text?: string; fallback?: string; author_name?: string; author_subname?: string; ts?: string | number }>;
}

/** Display names by user id, asked of Slack once an hour at most per person (a failed ask: once in 5 minutes). */
export class People {
  private readonly names = new Map<string, { name: string; until: number }>();

  constructor(private readonly ttlMs = 3_600_000, private readonly max = 5_000, private readonly failedTtlMs = 300_000) {}

  async nameOf(client: WebClient, user: string): Promise<string> {
    const known = this.names.get(user);
    if (known && known.until > Date.now()) return known.name;
    const res = await client.users.info({ user }).catch(() => undefined);
    const u = res?.user;
    const name = u?.profile?.display_name || u?.profile?.real_name || u?.real_name || u?.name;
    if (this.names.size >= this.max) this.names.clear();
    // Unknown (deleted, another workspace, Slack down): the id, and not asked again at once.
    this.names.set(user, name ? { name, until: Date.now() + this.ttlMs } : { name: user, until: Date.now() + this.failedTtlMs });
    return name ?? user;
  }

  /** Names of `ids` (the first `MAX_NAMED` of them; the rest stay ids), a few asks at a time. */
  async namesOf(client: WebClient, ids: readonly string[]): Promise<Map<string, string>> {
    const wanted = ids.slice(0, MAX_NAMED);
    const names = new Map<string, string>();
    let next = 0;
    const worker = async () => {
      while (next < wanted.length) {
        const id = wanted[next++]!;
        names.set(id, await this.nameOf(client, id));
      }
    };
    await Promise.all(Array.from({ length: Math.min(NAME_ASKS_AT_ONCE, wanted.length) }, worker));
    return names;
  }
}

/** People named per history read: the newest messages' authors and mentions, far past a context budget. */
const MAX_NAMED = 200;
/** `users.info` calls in flight per history read (Slack allows ~100 a minute). */
const NAME_ASKS_AT_ONCE = 8;

/** Slack ts order (`1700000050.000100`): seconds, then the sequence part. */
export function compareTs(a: string, b: string): number {
  const [as = '', af = ''] = a.split('.');
  const [bs = '', bf = ''] = b.split('.');
  return as.length !== bs.length ? as.length - bs.length : as !== bs ? (as < bs ? -1 : 1) : af.padEnd(6, '0') < bf.padEnd(6, '0') ? -1 : af.padEnd(6, '0') > bf.padEnd(6, '0') ? 1 : 0;
}

/** The thread's messages after `after` and before `before`, oldest first, the bot's own marked `own`. */
export async function threadMessages(
  client: WebClient,
  people: People,
  botUserId: string,
  channel: string,
  thread: string,
  range: { after?: string; before: string },
): Promise<ContextMessage[]> {
  const raw: RawMessage[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.conversations.replies({ channel, ts: thread, latest: range.before, ...(range.after ? { oldest: range.after } : {}), inclusive: false, limit: PAGE, ...(cursor ? { cursor } : {}) });
    raw.push(...((res.messages ?? []) as RawMessage[]));
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!res.has_more || !cursor) break;
  }
  const wanted = raw.filter(
    (m) =>
      m.ts !== undefined &&
      compareTs(m.ts, range.before) < 0 &&
      (range.after === undefined || compareTs(m.ts, range.after) > 0) &&
      m.user !== 'USLACKBOT' &&
      !SYSTEM_SUBTYPES.has(m.subtype ?? ''),
  );
  // One of each (a page may repeat the thread's first message), in order.
  const byTs = new Map(wanted.map((m) => [m.ts!, m]));
  const ordered = [...byTs.values()].sort((a, b) => compareTs(a.ts!, b.ts!));
  // Newest first: the messages a context budget keeps are named before older ones.
  const ids = new Set<string>();
  for (const m of [...ordered].reverse()) {
    if (m.user) ids.add(m.user);
    for (const id of mentionedUsers(m.text ?? '')) ids.add(id);
  }
  ids.delete(botUserId);
  const names = await people.namesOf(client, [...ids]);
  names.set(botUserId, 'Copilot');
  return ordered.map((m) => {
    const said = toContext(m, (id) => names.get(id));
    return m.user === botUserId ? ownMessage(said) : said;
  });
}

/**
 * The bot's own message, marked. Slack may store the emoji the bot posted as its short name
 * (`:broom:`): the forget notice is still known by its mark (`FORGOTTEN_MARK`).
 */
function ownMessage(m: ContextMessage): ContextMessage {
  const text = m.text.startsWith(':broom:') ? `${FORGOTTEN_MARK}${m.text.slice(':broom:'.length)}` : m.text;
  return { ...m, text, own: true };
}

function toContext(m: RawMessage, name: (id: string) => string | undefined): ContextMessage {
  const bot = !m.user || m.bot_id !== undefined || m.subtype === 'bot_message';
  const author = (m.user && name(m.user)) || m.username || m.bot_profile?.name || m.user || 'someone';
  const shared = (m.attachments ?? []).filter((a) => a.is_share || a.is_msg_unfurl).map((a) => `[shared from ${a.author_name ?? a.author_subname ?? 'someone'}: ${renderSlackText(a.text ?? a.fallback ?? '', name)}]`);
  const text = [renderSlackText(m.text ?? '', name), ...shared].filter(Boolean).join(' ');
  const files = (m.files ?? []).map((f) => f.name ?? f.title ?? 'file');
  const attachments = filesOf(m as SlackMessageLike);
  return { id: m.ts!, author, ...(bot ? { bot: true } : {}), at: tsDate(m.ts!), text, ...(files.length ? { files, attachments } : {}) };
}

function mentionedUsers(text: string): string[] {
  return [...text.matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)].map((m) => m[1]!);
}

/**
 * Slack's markup as a person reads it: `<@U1>` → `@Alice`, `<#C1|general>` → `#general`,
 * `<!here>` → `@here`, `<https://x|label>` → `label (https://x)`, and the three escaped characters.
 */
export function renderSlackText(text: string, name: (id: string) => string | undefined): string {
  return text
    .replace(/<([^<>]+)>/g, (_all, inner: string) => {
      const [target = '', label] = inner.split('|', 2) as [string, string | undefined];
      if (target.startsWith('@')) return `@${label ?? name(target.slice(1)) ?? target.slice(1)}`;
      if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
      if (target.startsWith('!subteam^')) return label ?? '@group';
      if (target.startsWith('!')) return `@${target.slice(1).split('^')[0]}`;
      return label && label !== target ? `${label} (${target})` : target;
    })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
