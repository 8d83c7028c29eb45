/**
 * A fake Discord on 127.0.0.1 for real discord.js: REST under /api/v10 and the gateway (ws) on
 * the same port. It enforces what real Discord enforces where it matters here: 2,000-character
 * message content (400, code 50035), and it records the IDENTIFY intents so tests can check
 * MessageContent was asked for. Faults (429 with Retry-After, 500) can be injected per route.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { withBody } from './http.js';

export const IDS = { app: '900000000000000001', bot: '900000000000000001', human: '800000000000000002', other: '800000000000000003' };

export interface Guild {
  id: string;
  /** `hidden`: @everyone may not view it (members of `roles[0]` may). */
  channels: Array<{ id: string; name: string; hidden?: boolean }>;
  /** `members`: a private thread (type 12) with these members. */
  threads: Array<{ id: string; parent_id: string; name: string; owner_id?: string; members?: string[] }>;
  /** Role ids besides @everyone. */
  roles?: string[];
}

export interface RestCall {
  method: string;
  path: string;
  body: unknown;
  raw: string;
  /** The status the fake answered with. */
  status?: number;
  /** What the fake answered. */
  response?: unknown;
}

export interface FakeDiscord {
  url: string;
  apiUrl: string;
  calls: RestCall[];
  identify: Array<{ intents: number }>;
  /** Sends a gateway dispatch (op 0). */
  dispatch(t: string, d: unknown): void;
  /** A message that was in a channel before the test (its history), without a gateway event. */
  said(message: { id: string; channel_id: string } & Record<string, unknown>): void;
  /** Sends a raw frame, well-formed or not. */
  sendRaw(frame: string): void;
  /** Drops the gateway connection the way a network blip does; the client should resume. */
  dropConnection(code?: number): void;
  resumes: number;
  fail(method: string, pathPattern: RegExp, fault: { status: number; retryAfter?: number }, times?: number): void;
  /**
   * Discord's per-channel message limit: at most `limit` creates/edits/deletes per `windowMs` in a
   * channel, announced in X-RateLimit-* headers; one more is answered 429.
   */
  rateLimitMessages(limit: number, windowMs: number): void;
  callsTo(method: string, pathPattern: RegExp): RestCall[];
  /** Told of each REST call once it is answered (the bench waits on it instead of polling `calls`). */
  onCall(listener: (call: RestCall) => void): () => void;
  connected(): Promise<void>;
  /** A file on the fake's CDN (`/attachments/…`): the `attachments` entry a message carries. */
  file(name: string, content: Buffer | string, contentType: string): Record<string, unknown>;
  close(): Promise<void>;
}

let snowflake = 1_000_000_000_000_000n;
export const nextId = () => String(++snowflake);

export async function startFakeDiscord(guilds: Guild[]): Promise<FakeDiscord> {
  const calls: RestCall[] = [];
  const listeners = new Set<(call: RestCall) => void>();
  const identify: Array<{ intents: number }> = [];
  const faults: Array<{ method: string; path: RegExp; status: number; retryAfter?: number }> = [];
  let socket: WebSocket | undefined;
  let seq = 0;
  let onReady: () => void = () => undefined;
  let ready = new Promise<void>((r) => (onReady = r));
  let base = '';
  let messageLimit: { limit: number; windowMs: number } | undefined;
  const windows = new Map<string, { start: number; used: number }>();
  const cdnFiles = new Map<string, { content: Buffer; type: string }>();

  /** Counts a message call against its channel's window: headers to send, or a 429 to answer. */
  function rateLimit(channel: string): { headers: Record<string, string>; limited?: number } {
    if (!messageLimit) return { headers: {} };
    const now = Date.now();
    let w = windows.get(channel);
    if (!w || now - w.start >= messageLimit.windowMs) windows.set(channel, (w = { start: now, used: 0 }));
    const resetAfter = (messageLimit.windowMs - (now - w.start)) / 1000;
    const headers = {
      'x-ratelimit-bucket': `messages-${channel}`,
      'x-ratelimit-limit': String(messageLimit.limit),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-reset': ((w.start + messageLimit.windowMs) / 1000).toFixed(3),
    };
    if (w.used >= messageLimit.limit) return { headers: { ...headers, 'x-ratelimit-remaining': '0', 'x-ratelimit-scope': 'user' }, limited: resetAfter };
    w.used++;
    return { headers: { ...headers, 'x-ratelimit-remaining': String(messageLimit.limit - w.used) } };
  }

  const server = http.createServer(
    withBody((req, res, raw) => {
      const path = decodeURIComponent((req.url ?? '').split('?')[0]!).replace(/^\/api\/v10/, '');
      const cdn = cdnFiles.get(path);
      if (cdn) {
        res.writeHead(200, { 'content-type': cdn.type });
        return res.end(cdn.content);
      }
      const method = req.method ?? 'GET';
      let body: unknown = raw;
      if ((req.headers['content-type'] ?? '').includes('application/json') && raw) body = JSON.parse(raw);
      else if ((req.headers['content-type'] ?? '').includes('multipart/form-data')) body = multipartJson(raw);
      const call: RestCall = { method, path, body, raw };
      calls.push(call);
      const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
        call.status = status;
        call.response = payload;
        res.writeHead(status, payload === undefined ? headers : { 'content-type': 'application/json', ...headers });
        res.end(payload === undefined ? '' : JSON.stringify(payload));
        for (const listener of listeners) listener(call);
      };
      const fault = faults.find((f) => f.method === method && f.path.test(path));
      if (fault) {
        faults.splice(faults.indexOf(fault), 1);
        if (fault.status === 429) return send(429, { message: 'You are being rate limited.', retry_after: fault.retryAfter ?? 0.2, global: false }, { 'retry-after': String(fault.retryAfter ?? 0.2) });
        return send(fault.status, { message: 'Internal Server Error', code: 0 });
      }
      // Real Discord answers 401 to a token it does not know.
      if (/Bot bad-token/.test(String(req.headers.authorization ?? ''))) return send(401, { message: '401: Unauthorized', code: 0 });
      const b = (body ?? {}) as Record<string, unknown>;
      let m: RegExpExecArray | null;
      if (method === 'GET' && path === '/gateway/bot') {
        return send(200, { url: base.replace('http', 'ws'), shards: 1, session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 } });
      }
      if (method === 'GET' && path === '/applications/@me') return send(200, { id: IDS.app, name: 'copilot', flags: 0 });
      if (method === 'PUT' && (m = /^\/applications\/(\d+)(?:\/guilds\/\d+)?\/commands$/.exec(path))) {
        return send(200, (body as Array<Record<string, unknown>>).map((c) => ({ ...c, id: nextId(), application_id: m![1], version: '1', type: 1 })));
      }
      if (method === 'POST' && /^\/channels\/\d+\/typing$/.test(path)) return send(204);
      // A channel's history (newest first, as Discord lists it): what was dispatched in it and what the bot posted.
      if (method === 'GET' && (m = /^\/channels\/(\d+)\/messages$/.exec(path))) {
        const q = new URL(req.url ?? '/', base).searchParams;
        const limit = Number(q.get('limit') ?? 50);
        const before = q.get('before');
        const after = q.get('after');
        const all = [...(history.get(m[1]!) ?? [])].sort((x, y) => compareIds(y.id, x.id));
        const page = after
          ? all.filter((x) => compareIds(x.id, after) > 0).reverse().slice(0, limit).reverse()
          : all.filter((x) => !before || compareIds(x.id, before) < 0).slice(0, limit);
        return send(200, page);
      }
      if (method === 'GET' && (m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path))) {
        const found = (history.get(m[1]!) ?? []).find((x) => x.id === m![2]);
        return found ? send(200, found) : send(404, { message: 'Unknown Message', code: 10008 });
      }
      // Opening a DM with a user (the bot's private notes to someone in a guild).
      if (method === 'POST' && path === '/users/@me/channels') {
        const user = String(b.recipient_id);
        return send(200, { id: `5${user.slice(1)}`, type: 1, last_message_id: null, recipients: [{ id: user, username: `user${user.slice(-2)}`, discriminator: '0', global_name: null, avatar: null }] });
      }
      if (method === 'POST' && (m = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(path))) {
        const thread = { id: m[2], type: 11, guild_id: guildOf(m[1]!), parent_id: m[1], owner_id: IDS.bot, name: b.name, thread_metadata: threadMeta() };
        return send(201, thread);
      }
      if ((m = /^\/channels\/(\d+)\/messages(?:\/\d+)?$/.exec(path)) && method !== 'GET') {
        const limit = rateLimit(m[1]!);
        if (limit.limited !== undefined) return send(429, { message: 'You are being rate limited.', retry_after: limit.limited, global: false }, { ...limit.headers, 'retry-after': String(Math.ceil(limit.limited)) });
        for (const [k, v] of Object.entries(limit.headers)) res.setHeader(k, v);
      }
      if (method === 'DELETE' && /^\/channels\/\d+\/messages\/\d+$/.test(path)) return send(204);
      if ((method === 'POST' && (m = /^\/channels\/(\d+)\/messages$/.exec(path))) || (method === 'PATCH' && (m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path)))) {
        if (typeof b.content === 'string' && b.content.length > 2000) {
          return send(400, { code: 50035, message: 'Invalid Form Body', errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } } });
        }
        const posted = message(m[1]!, m[2] ?? nextId(), String(b.content ?? ''));
        remember(posted);
        return send(200, posted);
      }
      if (method === 'GET' && (m = /^\/channels\/(\d+)\/thread-members\/(\d+)$/.exec(path))) {
        const thread = guilds.flatMap((g) => g.threads).find((t) => t.id === m![1]);
        if (!thread?.members?.includes(m[2]!)) return send(404, { message: 'Unknown Member', code: 10007 });
        return send(200, { id: m[1], user_id: m[2], join_timestamp: new Date().toISOString(), flags: 0 });
      }
      if (method === 'GET' && (m = /^\/channels\/(\d+)$/.exec(path))) {
        const t = guilds.flatMap((g) => g.threads.map((th) => ({ ...th, guild_id: g.id }))).find((th) => th.id === m![1]);
        return t ? send(200, { ...t, type: 11, thread_metadata: threadMeta() }) : send(404, { message: 'Unknown Channel', code: 10003 });
      }
      if (method === 'POST' && /^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) return send(204);
      if ((method === 'PATCH' || method === 'POST') && (m = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(path))) {
        const content = String(b.content ?? '');
        if (content.length > 2000) return send(400, { code: 50035, message: 'Invalid Form Body' });
        return send(200, message('0', nextId(), content));
      }
      send(404, { message: `fake: no route ${method} ${path}`, code: 0 });
    }),
  );

  /** Every message of every channel, as Discord would list it (the bot's edits replace their message). */
  const history = new Map<string, Array<{ id: string; channel_id: string } & Record<string, unknown>>>();
  function remember(msg: { id: string; channel_id: string } & Record<string, unknown>): void {
    const list = history.get(msg.channel_id) ?? [];
    const i = list.findIndex((x) => x.id === msg.id);
    if (i >= 0) list[i] = msg;
    else list.push(msg);
    history.set(msg.channel_id, list);
  }

  function guildOf(channel: string): string | undefined {
    return guilds.find((g) => g.channels.some((c) => c.id === channel) || g.threads.some((t) => t.id === channel))?.id;
  }

  function message(channel: string, id: string, content: string) {
    return {
      id,
      channel_id: channel,
      author: { id: IDS.bot, username: 'copilot', discriminator: '0', global_name: null, avatar: null, bot: true },
      content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
      flags: 0,
    };
  }

  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    socket = ws;
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 45_000 } }));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { op: number; d: { intents?: number } };
      if (frame.op === 1) return ws.send(JSON.stringify({ op: 11 }));
      if (frame.op === 2) {
        identify.push({ intents: frame.d.intents ?? 0 });
        send0('READY', {
          v: 10,
          user: { id: IDS.bot, username: 'copilot', discriminator: '0', global_name: null, avatar: null, bot: true },
          guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
          session_id: 'sess-1',
          resume_gateway_url: base.replace('http', 'ws'),
          shard: [0, 1],
          application: { id: IDS.app, flags: 0 },
          private_channels: [],
          presences: [],
        });
        for (const g of guilds) {
          send0('GUILD_CREATE', {
            id: g.id,
            name: `Guild ${g.id}`,
            unavailable: false,
            owner_id: IDS.human,
            member_count: 2,
            roles: [g.id, ...(g.roles ?? [])].map((id, position) => ({ id, name: position ? `role ${id}` : '@everyone', permissions: '1071698660929', position, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 })),
            channels: g.channels.map((c) => ({
              id: c.id,
              type: 0,
              name: c.name,
              position: 0,
              // VIEW_CHANNEL (1024) denied to @everyone, allowed to the guild's first role.
              permission_overwrites: c.hidden ? [{ id: g.id, type: 0, allow: '0', deny: '1024' }, ...(g.roles?.[0] ? [{ id: g.roles[0], type: 0, allow: '1024', deny: '0' }] : [])] : [],
            })),
            threads: g.threads.map((t) => ({ id: t.id, type: t.members ? 12 : 11, guild_id: g.id, parent_id: t.parent_id, owner_id: t.owner_id ?? IDS.human, name: t.name, thread_metadata: threadMeta(), message_count: 0, member_count: 1 })),
            members: [],
            emojis: [],
            stickers: [],
          });
        }
        onReady();
      }
      if (frame.op === 6) {
        fake.resumes++;
        send0('RESUMED', {});
        onReady();
      }
    });
  });

  function send0(t: string, d: unknown) {
    const msg = d as { id?: unknown; channel_id?: unknown } | null;
    if (t === 'MESSAGE_CREATE' && typeof msg?.id === 'string' && typeof msg.channel_id === 'string') remember(msg as { id: string; channel_id: string });
    socket?.send(JSON.stringify({ op: 0, t, s: ++seq, d }));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeDiscord = {
    url: base,
    apiUrl: `${base}/api`,
    resumes: 0,
    dropConnection: (code = 4000) => socket?.close(code, 'fake: dropped'),
    calls,
    identify,
    dispatch: send0,
    said: remember,
    sendRaw: (frame) => socket?.send(frame),
    rateLimitMessages(limit, windowMs) {
      messageLimit = { limit, windowMs };
    },
    fail(method, path, fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push({ method, path, ...fault });
    },
    callsTo: (method, path) => calls.filter((c) => c.method === method && path.test(c.path)),
    onCall(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    connected: () => ready,
    file(name, content, contentType) {
      const id = nextId();
      const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
      const at = `/attachments/${id}/${name}`;
      cdnFiles.set(at, { content: data, type: contentType });
      return { id, filename: name, size: data.length, url: `${base}${at}`, proxy_url: `${base}${at}`, content_type: contentType };
    },
    close: () =>
      new Promise<void>((resolve) => {
        ready = new Promise<void>((r) => (onReady = r));
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}

function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function threadMeta() {
  return { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false };
}

/** The JSON part (`payload_json`) of a multipart body, plus the raw text of its files. */
function multipartJson(raw: string): unknown {
  const json = /name="payload_json"\r\n(?:[^\r\n]*\r\n)*\r\n([\s\S]*?)\r\n--/.exec(raw)?.[1];
  return { ...(json ? (JSON.parse(json) as object) : {}), _files: raw };
}
