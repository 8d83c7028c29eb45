/**
 * A fake Slack Web API on 127.0.0.1 for real Bolt: records every call, answers like Slack,
 * and can be told to fail (429 with Retry-After, 500, `ok: false`). Also receives `respond()`
 * posts (response URLs) and file uploads. The Web API's answers are by family, under
 * fake-slack/ (chat, conversations, files, workspace), as is Socket Mode.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import querystring from 'node:querystring';
import { withBody } from './http.js';
import { chatMethods } from './fake-slack/chat.js';
import { conversationMethods } from './fake-slack/conversations.js';
import { fileMethods } from './fake-slack/files.js';
import { socketMode } from './fake-slack/socket-mode.js';
import type { ApiCall, InstalledBot, Methods, SlackState } from './fake-slack/state.js';
import { workspaceMethods } from './fake-slack/workspace.js';

export interface Fault {
  status?: number;
  retryAfter?: number;
  error?: string;
  /** Never answer (a Web API call that hangs). */
  hang?: boolean;
  /** Carry the call out (it shows in the channel) but never answer: the caller never learns its result. */
  swallow?: boolean;
}

export { BOT, type ApiCall, type InstalledBot } from './fake-slack/state.js';

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
  /**
   * Slack's consent screen, done: `code` (what Slack sends back to the app's redirect) installs the
   * app in `bot.team` (or org-wide in `bot.enterprise`) with `bot.token`.
   */
  consent(code: string, bot: InstalledBot): void;
  /** The app was removed from a workspace: its token stops working. */
  uninstalled(token: string): void;
  /** Display names `users.info` gives (others: `name-<id>`). */
  people(names: Record<string, string>): void;
  /** A person's time zone in their profile (`users.info`'s tz; others: America/Los_Angeles). */
  timeZone(user: string, tz: string): void;
  /** A person's account is deactivated (`users.info` says deleted). */
  deactivate(user: string): void;
  /** Makes `channel` private (or a group DM) with these members; unlisted channels are public. */
  privateChannel(channel: string, members: string[], kind?: 'private' | 'mpim'): void;
  /** Names a channel as `conversations.list` shows it (C222 is `general`). */
  nameChannel(channel: string, name: string): void;
  close(): Promise<void>;
}

/** `botToken`: the only token its file host serves files to (the bot's SLACK_BOT_TOKEN). */
export async function startFakeSlack(options: { botToken?: string } = {}): Promise<FakeSlack> {
  const botToken = options.botToken ?? 'xoxb-test';
  const state: SlackState = {
    base: '',
    calls: [],
    streams: new Map(),
    closeAfter: undefined,
    peopleSaid: [],
    names: new Map(),
    zones: new Map(),
    deactivated: new Set(),
    privates: new Map(),
    channelNames: new Map([['C222', 'general']]),
    files: new Map(),
    seq: 0,
    bots: new Map(),
    installs: new Map(),
    token: undefined,
    revoked: new Set(),
  };
  const { calls, files } = state;
  const listeners = new Set<(call: ApiCall) => void>();
  const responses: FakeSlack['responses'] = [];
  const uploads: FakeSlack['uploads'] = [];
  const faults = new Map<string, Array<Fault>>();
  const fileDownloads: FakeSlack['fileDownloads'] = [];
  const methods: Methods = { ...workspaceMethods(state), ...chatMethods(state), ...conversationMethods(state), ...fileMethods(state) };
  // Any other method is answered `ok` (the bot's calls are all listed above; a new one shows in `calls`).
  const answer = (method: string, args: Record<string, unknown>) => methods[method]?.(args) ?? { ok: true };

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
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (bearer !== botToken && !(bearer && state.bots.has(bearer))) return send(403, { ok: false, error: 'not_authed' });
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
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? (typeof args.token === 'string' ? args.token : undefined);
      const call: ApiCall = { method, args, ...(token ? { token } : {}) };
      state.token = token;
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

  const socket = socketMode(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const base = state.base;
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
      state.closeAfter = appends;
    },
    fileDownloads,
    file(name, content, mimetype, declared) {
      const id = `F${++state.seq}`;
      const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
      files.set(`/files/${id}/${name}`, { content: data, mimetype });
      return { id, name, title: name, mimetype, size: declared ?? data.length, url_private: `${base}/files/${id}/${name}`, url_private_download: `${base}/files/${id}/${name}` };
    },
    said(message) {
      if (message.subtype === 'message_changed' || message.subtype === 'message_deleted') return;
      const { type: _type, event_ts: _e, team: _t, ...rest } = message;
      state.peopleSaid.push({ type: 'message', ...rest });
    },
    people(map) {
      for (const [id, name] of Object.entries(map)) state.names.set(id, name);
    },
    timeZone(user, tz) {
      state.zones.set(user, tz);
    },
    deactivate(user) {
      state.deactivated.add(user);
    },
    nameChannel(channel, name) {
      state.channelNames.set(channel, name);
    },
    privateChannel(channel, members, kind = 'private') {
      state.privates.set(channel, { members, kind });
    },
    consent(code, bot) {
      state.installs.set(code, bot);
    },
    uninstalled(token) {
      state.bots.delete(token);
      state.revoked.add(token);
    },
    responseUrl: (id) => `${base}/respond/${id}`,
    socketConnected: () => socket.connected,
    socketSend: (type, payload) => socket.send(type, payload),
    close: () =>
      new Promise<void>((resolve) => {
        socket.close();
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
