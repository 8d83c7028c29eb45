/**
 * A fake Discord on 127.0.0.1 for real discord.js: REST under /api/v10 and the gateway (ws) on
 * the same port. It enforces what real Discord enforces where it matters here: 2,000-character
 * message content (400, code 50035), and it records the IDENTIFY intents so tests can check
 * MessageContent was asked for. Faults (429 with Retry-After, 500) can be injected per route.
 * The gateway, channel histories, the message rate limit and Discord's object shapes are under
 * fake-discord/.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { withBody } from './http.js';
import { fakeGateway } from './fake-discord/gateway.js';
import { ChannelHistory, type StoredMessage } from './fake-discord/history.js';
import { MessageRateLimit } from './fake-discord/rate-limit.js';
import { botMessage, IDS, nextId, threadMeta, type Guild } from './fake-discord/shapes.js';

export { IDS, nextId, type Guild } from './fake-discord/shapes.js';

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
  /** A person's roles in a guild now (`GET /guilds/:id/members/:user`; everyone is a member with none until told). */
  memberRoles(guild: string, user: string, roles: string[]): void;
  /** A person left a guild: asking for them as a member is answered Unknown Member. */
  leaveGuild(guild: string, user: string): void;
  close(): Promise<void>;
}

export async function startFakeDiscord(guilds: Guild[]): Promise<FakeDiscord> {
  const calls: RestCall[] = [];
  const listeners = new Set<(call: RestCall) => void>();
  const faults: Array<{ method: string; path: RegExp; status: number; retryAfter?: number }> = [];
  let base = '';
  const limits = new MessageRateLimit();
  const history = new ChannelHistory();
  const cdnFiles = new Map<string, { content: Buffer; type: string }>();
  const roles = new Map<string, string[]>();
  const left = new Set<string>();
  const user = (id: string) => ({ id, username: `user${id.slice(-2)}`, discriminator: '0', global_name: null, avatar: null });

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
        return send(200, history.page(m[1]!, { limit, before, after }));
      }
      if (method === 'GET' && (m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path))) {
        const found = history.find(m[1]!, m[2]!);
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
        const limit = limits.take(m[1]!);
        if (limit.limited !== undefined) return send(429, { message: 'You are being rate limited.', retry_after: limit.limited, global: false }, { ...limit.headers, 'retry-after': String(Math.ceil(limit.limited)) });
        for (const [k, v] of Object.entries(limit.headers)) res.setHeader(k, v);
      }
      if (method === 'DELETE' && /^\/channels\/\d+\/messages\/\d+$/.test(path)) return send(204);
      if ((method === 'POST' && (m = /^\/channels\/(\d+)\/messages$/.exec(path))) || (method === 'PATCH' && (m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path)))) {
        if (typeof b.content === 'string' && b.content.length > 2000) {
          return send(400, { code: 50035, message: 'Invalid Form Body', errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } } });
        }
        const posted = botMessage(m[1]!, m[2] ?? nextId(), String(b.content ?? ''));
        history.remember(posted);
        return send(200, posted);
      }
      if (method === 'GET' && (m = /^\/guilds\/(\d+)\/members\/(\d+)$/.exec(path))) {
        const key = `${m[1]}:${m[2]}`;
        if (left.has(key) || !guilds.some((g) => g.id === m![1])) return send(404, { message: 'Unknown Member', code: 10007 });
        return send(200, { user: user(m[2]!), roles: roles.get(key) ?? [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 });
      }
      if (method === 'GET' && (m = /^\/users\/(\d+)$/.exec(path))) return send(200, user(m[1]!));
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
        return send(200, botMessage('0', nextId(), content));
      }
      send(404, { message: `fake: no route ${method} ${path}`, code: 0 });
    }),
  );

  function guildOf(channel: string): string | undefined {
    return guilds.find((g) => g.channels.some((c) => c.id === channel) || g.threads.some((t) => t.id === channel))?.id;
  }

  const gateway = fakeGateway(server, guilds, () => base, (t, d) => {
    const msg = d as { id?: unknown; channel_id?: unknown } | null;
    if (t === 'MESSAGE_CREATE' && typeof msg?.id === 'string' && typeof msg.channel_id === 'string') history.remember(msg as StoredMessage);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeDiscord = {
    url: base,
    apiUrl: `${base}/api`,
    get resumes() {
      return gateway.resumes;
    },
    dropConnection: (code = 4000) => gateway.drop(code),
    calls,
    identify: gateway.identify,
    dispatch: (t, d) => gateway.dispatch(t, d),
    said: (message) => history.remember(message),
    sendRaw: (frame) => gateway.sendRaw(frame),
    rateLimitMessages(limit, windowMs) {
      limits.set(limit, windowMs);
    },
    fail(method, path, fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push({ method, path, ...fault });
    },
    callsTo: (method, path) => calls.filter((c) => c.method === method && path.test(c.path)),
    onCall(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    connected: () => gateway.connected(),
    file(name, content, contentType) {
      const id = nextId();
      const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
      const at = `/attachments/${id}/${name}`;
      cdnFiles.set(at, { content: data, type: contentType });
      return { id, filename: name, size: data.length, url: `${base}${at}`, proxy_url: `${base}${at}`, content_type: contentType };
    },
    memberRoles(guild, id, list) {
      roles.set(`${guild}:${id}`, list);
    },
    leaveGuild(guild, id) {
      left.add(`${guild}:${id}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        gateway.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}

/** The JSON part (`payload_json`) of a multipart body, plus the raw text of its files. */
function multipartJson(raw: string): unknown {
  const json = /name="payload_json"\r\n(?:[^\r\n]*\r\n)*\r\n([\s\S]*?)\r\n--/.exec(raw)?.[1];
  return { ...(json ? (JSON.parse(json) as object) : {}), _files: raw };
}
