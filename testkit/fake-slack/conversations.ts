/** `conversations.*`: a thread's messages (people's and the bot's, paged), DMs, and private channels' members. */
import { BOT, type Methods, type SlackState } from './state.js';

export function conversationMethods(state: SlackState): Methods {
  return {
    'conversations.replies': (args) => {
      // The thread's first message, then its replies between `oldest` and `latest` (exclusive), a page at a time.
      const all = threadReplies(state, String(args.channel), String(args.ts));
      const [parent, ...replies] = all[0]?.ts === args.ts ? all : [undefined, ...all];
      const within = replies.filter((m) => m !== undefined && (!args.oldest || String(m.ts) > String(args.oldest)) && (!args.latest || String(m.ts) < String(args.latest)));
      const limit = Number(args.limit ?? 1000);
      const from = Number(args.cursor ?? 0);
      const page = within.slice(from, from + limit);
      const more = from + limit < within.length;
      return { ok: true, messages: [...(parent ? [parent] : []), ...page], has_more: more, response_metadata: { next_cursor: more ? String(from + limit) : '' } };
    },
    // The channels the bot sees, a page of `limit` at a time (at most two per page here, so paging is exercised).
    'conversations.list': (args) => {
      const all = [...new Set(['C222', ...state.channelNames.keys(), ...state.privates.keys()])].filter((id) => state.privates.get(id)?.kind !== 'mpim');
      const limit = Math.min(Number(args.limit ?? 100), 2);
      const from = Number(args.cursor ?? 0);
      const more = from + limit < all.length;
      const channels = all.slice(from, from + limit).map((id) => ({ id, name: state.channelNames.get(id) ?? `channel-${id.toLowerCase()}`, is_private: state.privates.has(id) }));
      return { ok: true, channels, response_metadata: { next_cursor: more ? String(from + limit) : '' } };
    },
    'conversations.open': (args) => ({ ok: true, channel: { id: `D${String(args.users)}` } }),
    'conversations.info': (args) => {
      const p = state.privates.get(String(args.channel));
      return { ok: true, channel: { id: args.channel, is_channel: !p || p.kind === 'private', is_private: p?.kind === 'private', is_mpim: p?.kind === 'mpim', is_im: false } };
    },
    'conversations.members': (args) => {
      // Two pages, so a reader that stops at the first page misses the rest.
      const members = state.privates.get(String(args.channel))?.members ?? [];
      const second = args.cursor === 'page2';
      const half = Math.ceil(members.length / 2);
      return { ok: true, members: second ? members.slice(half) : members.slice(0, half), response_metadata: { next_cursor: second ? '' : 'page2' } };
    },
  };
}

/** A thread's messages as Slack would list them, oldest first: people's, and the bot's as last updated. */
function threadReplies(state: SlackState, channel: string, thread: string): Array<Record<string, unknown>> {
  const messages = new Map<string, Record<string, unknown>>();
  for (const m of state.peopleSaid) {
    if (m.channel === channel && (m.thread_ts ?? m.ts) === thread) messages.set(String(m.ts), { ...m, ...(m.thread_ts ? {} : { thread_ts: thread }) });
  }
  for (const c of state.calls) {
    if (!c.result) continue;
    if (c.method === 'chat.postMessage' && c.args.channel === channel && c.args.thread_ts === thread) {
      messages.set(String(c.result.ts), { type: 'message', ts: c.result.ts, thread_ts: thread, user: BOT.userId, bot_id: BOT.botId, text: c.args.text });
    } else if (c.method === 'chat.update' && c.args.channel === channel) {
      const m = messages.get(String(c.args.ts));
      if (m) m.text = c.args.text;
    }
  }
  return [...messages.values()].sort((a, b) => (String(a.ts) < String(b.ts) ? -1 : 1));
}
