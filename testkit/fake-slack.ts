/**
 * A fake Slack Web API on 127.0.0.1 for real Bolt: records every call, answers like Slack,
 * and can be told to fail (429 with Retry-After, 500, `ok: false`). Also receives `respond()`
 * posts (response URLs) and file uploads.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import querystring from 'node:querystring';
import { WebSocketServer, type WebSocket } from 'ws';
import { withBody } from './http.js';
import { slackTs } from './slack-ts.js';

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  /** What the fake answered (absent when it was told to fail). */
  result?: Record<string, unknown>;
}

export interface Fault {
  status?: number;
  retryAfter?: number;
  error?: string;
  /** Never answer (a Web API call that hangs). */
  hang?: boolean;
  /** Carry the call out (it shows in the channel) but never answer: the caller never learns its result. */
  swallow?: boolean;
}

export const BOT = { userId: 'UBOT', botId: 'BBOT', team: 'T111' };

export interface FakeSlack {
  url: string;
  apiUrl: string;
  calls: ApiCall[];
  responses: Array<{ id: string; body: Record<string, unknown> }>;
  uploads: Array<{ id: string; body: string }>;
  /** The next `times` calls to `method` fail as described (`respond` for response_url posts). */
  fail(method: string, fault: Fault, times?: number): void;
  callsTo(method: string): ApiCall[];
  /** Told of each Web API call as it arrives (the bench waits on it instead of polling `calls`). */
  onCall(listener: (call: ApiCall) => void): () => void;
  responseUrl(id: string): string;
  /** Socket Mode: sends an envelope to the connected app; resolves when the app acks it. */
  socketSend(type: 'events_api' | 'slash_commands' | 'interactive', payload: unknown): Promise<unknown>;
  /** Resolves once an app has opened a Socket Mode connection. */
  socketConnected(): Promise<void>;
  /** Slack closes each stream after `appends` appends (as it does after a few minutes): the next append fails. */
  closeStreamsAfter(appends: number | undefined): void;
  /** A message a person wrote (the harness calls it for every message event it sends): it shows in `conversations.replies`. */
  said(message: Record<string, unknown>): void;
  /**
   * A file on Slack's file host (`/files/<id>/<name>`, served only to the bot token): the `files`
   * entry a message event carries. `declared` overrides the size the entry states.
   */
  file(name: string, content: Buffer | string, mimetype: string, declared?: number): Record<string, unknown>;
  /** Every download of a file: the authorization header it came with. */
  fileDownloads: Array<{ path: string; authorization: string | undefined }>;
  /** Display names `users.info` gives (others: `name-<id>`). */
  people(names: Record<string, string>): void;
  /** Makes `channel` private (or a group DM) with these members; unlisted channels are public. */
  privateChannel(channel: string, members: string[], kind?: 'private' | 'mpim'): void;
  close(): Promise<void>;
}

/** `botToken`: the only token its file host serves files to (the bot's SLACK_BOT_TOKEN). */
export async function startFakeSlack(options: { botToken?: string } = {}): Promise<FakeSlack> {
  const botToken = options.botToken ?? 'xoxb-test';
  const calls: ApiCall[] = [];
  const listeners = new Set<(call: ApiCall) => void>();
  const responses: FakeSlack['responses'] = [];
  const uploads: FakeSlack['uploads'] = [];
  const faults = new Map<string, Array<Fault>>();
  const privates = new Map<string, { members: string[]; kind: 'private' | 'mpim' }>();
  let seq = 0;
  const streams = new Map<string, { open: boolean; appends: number }>();
  let closeAfter: number | undefined;
  const nextTs = slackTs;
  /** What people wrote (the harness tells of each event it sends), as `conversations.replies` lists it. */
  const peopleSaid: Array<Record<string, unknown>> = [];
  const names = new Map<string, string>();
  const files = new Map<string, { content: Buffer; mimetype: string }>();
  const fileDownloads: FakeSlack['fileDownloads'] = [];
  let base = '';

  const server = http.createServer(
    withBody((req, res, raw) => {
      const path = (req.url ?? '').split('?')[0]!;
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (path.startsWith('/respond/')) {
        responses.push({ id: path.slice('/respond/'.length), body: JSON.parse(raw || '{}') as Record<string, unknown> });
        if (faults.get('respond')?.shift()?.hang) return;
        return send(200, { ok: true });
      }
      if (path.startsWith('/files/')) {
        fileDownloads.push({ path, authorization: req.headers.authorization });
        const f = files.get(path);
        if (!f) return send(404, { ok: false });
        if (req.headers.authorization !== `Bearer ${botToken}`) return send(403, { ok: false, error: 'not_authed' });
        res.writeHead(200, { 'content-type': f.mimetype });
        return res.end(f.content);
      }
      if (path.startsWith('/upload/')) {
        uploads.push({ id: path.slice('/upload/'.length), body: raw });
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(`OK - ${raw.length}`);
      }
      const method = path.replace(/^\/api\//, '');
      const args = parseArgs(raw, req.headers['content-type']);
      const call: ApiCall = { method, args };
      calls.push(call);
      for (const listener of listeners) listener(call);
      const fault = faults.get(method)?.shift();
      if (fault) {
        if (fault.hang) return;
        if (fault.swallow) {
          call.result = answer(method, args);
          return;
        }
        if (fault.status === 429) return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter ?? 1) });
        if (fault.status) return send(fault.status, { ok: false, error: 'internal_error' });
        return send(200, { ok: false, error: fault.error ?? 'fatal_error' });
      }
      call.result = answer(method, args);
      send(200, call.result);
    }),
  );

  function answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: BOT.userId, bot_id: BOT.botId, team_id: BOT.team, team: 'Test', user: 'copilot', url: 'https://test.slack.com/' };
      case 'chat.postMessage':
        return { ok: true, channel: args.channel, ts: nextTs(), message: { text: args.text } };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts };
      case 'chat.startStream': {
        if (!args.thread_ts) return { ok: false, error: 'invalid_arguments' };
        if (!String(args.channel).startsWith('D') && (!args.recipient_user_id || !args.recipient_team_id)) return { ok: false, error: 'missing_recipient_user_id' };
        const ts = nextTs();
        streams.set(ts, { open: true, appends: 0 });
        return { ok: true, channel: args.channel, ts };
      }
      case 'chat.appendStream': {
        const stream = streams.get(String(args.ts));
        if (!stream?.open) return { ok: false, error: 'message_not_in_streaming_state' };
        if (closeAfter !== undefined && stream.appends >= closeAfter) {
          stream.open = false;
          return { ok: false, error: 'message_not_in_streaming_state' };
        }
        stream.appends++;
        return { ok: true, channel: args.channel, ts: args.ts };
      }
      case 'chat.stopStream': {
        const stream = streams.get(String(args.ts));
        if (!stream?.open) return { ok: false, error: 'message_not_in_streaming_state' };
        stream.open = false;
        return { ok: true, channel: args.channel, ts: args.ts, message: { blocks: args.blocks } };
      }
      case 'conversations.replies': {
        // The thread's first message, then its replies between `oldest` and `latest` (exclusive), a page at a time.
        const all = threadReplies(String(args.channel), String(args.ts));
        const [parent, ...replies] = all[0]?.ts === args.ts ? all : [undefined, ...all];
        const within = replies.filter((m) => m !== undefined && (!args.oldest || String(m.ts) > String(args.oldest)) && (!args.latest || String(m.ts) < String(args.latest)));
        const limit = Number(args.limit ?? 1000);
        const from = Number(args.cursor ?? 0);
        const page = within.slice(from, from + limit);
        const more = from + limit < within.length;
        return { ok: true, messages: [...(parent ? [parent] : []), ...page], has_more: more, response_metadata: { next_cursor: more ? String(from + limit) : '' } };
      }
      case 'users.info': {
        const id = String(args.user);
        return { ok: true, user: { id, name: id.toLowerCase(), real_name: names.get(id) ?? `name-${id}`, profile: { display_name: names.get(id) ?? `name-${id}` } } };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(args.users)}` } };
      case 'conversations.info': {
        const p = privates.get(String(args.channel));
        return { ok: true, channel: { id: args.channel, is_channel: !p || p.kind === 'private', is_private: p?.kind === 'private', is_mpim: p?.kind === 'mpim', is_im: false } };
      }
      case 'conversations.members': {
        // Two pages, so a reader that stops at the first page misses the rest.
        const members = privates.get(String(args.channel))?.members ?? [];
        const second = args.cursor === 'page2';
        const half = Math.ceil(members.length / 2);
        return { ok: true, members: second ? members.slice(half) : members.slice(0, half), response_metadata: { next_cursor: second ? '' : 'page2' } };
      }
      case 'files.getUploadURLExternal':
        return { ok: true, upload_url: `${base}/upload/F${seq + 1}`, file_id: `F${++seq}` };
      case 'apps.connections.open':
        return { ok: true, url: `${base.replace('http', 'ws')}/link` };
      case 'files.completeUploadExternal':
        return { ok: true, files: [{ id: 'F1', title: 'transcript' }] };
      default:
        return { ok: true };
    }
  }

  /** A thread's messages as Slack would list them, oldest first: people's, and the bot's as last updated. */
  function threadReplies(channel: string, thread: string): Array<Record<string, unknown>> {
    const messages = new Map<string, Record<string, unknown>>();
    for (const m of peopleSaid) {
      if (m.channel === channel && (m.thread_ts ?? m.ts) === thread) messages.set(String(m.ts), { ...m, ...(m.thread_ts ? {} : { thread_ts: thread }) });
    }
    for (const c of calls) {
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

  // Socket Mode: the app connects here after apps.connections.open.
  const wss = new WebSocketServer({ server, path: '/link' });
  let socket: WebSocket | undefined;
  let connected: () => void = () => undefined;
  const isConnected = new Promise<void>((resolve) => (connected = resolve));
  const acks = new Map<string, (payload: unknown) => void>();
  let envelopes = 0;
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
      if (msg.envelope_id) acks.get(msg.envelope_id)?.(msg.payload);
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A111' }, debug_info: { host: 'fake', approximate_connection_time: 18060 } }));
    connected();
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    apiUrl: `${base}/api/`,
    calls,
    responses,
    uploads,
    fail(method, fault, times = 1) {
      faults.set(method, [...(faults.get(method) ?? []), ...Array.from({ length: times }, () => fault)]);
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    onCall(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    closeStreamsAfter(appends) {
      closeAfter = appends;
    },
    fileDownloads,
    file(name, content, mimetype, declared) {
      const id = `F${++seq}`;
      const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
      files.set(`/files/${id}/${name}`, { content: data, mimetype });
      return { id, name, title: name, mimetype, size: declared ?? data.length, url_private: `${base}/files/${id}/${name}`, url_private_download: `${base}/files/${id}/${name}` };
    },
    said(message) {
      if (message.subtype === 'message_changed' || message.subtype === 'message_deleted') return;
      const { type: _type, event_ts: _e, team: _t, ...rest } = message;
      peopleSaid.push({ type: 'message', ...rest });
    },
    people(map) {
      for (const [id, name] of Object.entries(map)) names.set(id, name);
    },
    privateChannel(channel, members, kind = 'private') {
      privates.set(channel, { members, kind });
    },
    responseUrl: (id) => `${base}/respond/${id}`,
    socketConnected: () => isConnected,
    socketSend(type, payload) {
      const id = `env-${++envelopes}`;
      return new Promise((resolve, reject) => {
        if (!socket) return reject(new Error('no Socket Mode connection'));
        acks.set(id, resolve);
        socket.send(JSON.stringify({ envelope_id: id, type, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '', payload }));
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseArgs(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const form = querystring.parse(raw);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(form)) {
    const s = Array.isArray(v) ? v[0] : v;
    out[k] = s !== undefined && /^[[{]/.test(s) ? safeJson(s) : s;
  }
  return out;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** Headers Slack signs its requests with (v0 HMAC of timestamp and exact body). */
export function signed(rawBody: string, contentType: string, secret: string, tsSec = Math.floor(Date.now() / 1000)): Record<string, string> {
  const sig = `v0=${createHmac('sha256', secret).update(`v0:${tsSec}:${rawBody}`).digest('hex')}`;
  return { 'content-type': contentType, 'x-slack-request-timestamp': String(tsSec), 'x-slack-signature': sig };
}
