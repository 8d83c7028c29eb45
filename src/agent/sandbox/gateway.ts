/**
 * The sandbox's only way out: an HTTP server of the bot's on a unix socket that is bind-mounted
 * into the sandbox (whose own network has nothing but loopback). Inside, a forwarder relays
 * 127.0.0.1:<port> to it. Three kinds of request arrive:
 *
 * - `/<route>/<path>` with the token as the request's key (the model provider: the runtime's
 *   "API key" is the token), or `/<token>/<route>/<path>` (the trace collector, whose exporter
 *   sends no key): a reverse proxy to one fixed upstream per route with the real credential put in
 *   here, so the key never enters the sandbox, and no URL the runtime might print in an error
 *   holds a secret of the model route. Only that origin and path prefix: an absolute URL,
 *   `.`/`..` segments or encoded slashes are refused with 400 and no upstream call. The token is
 *   known to the runtime only, and new at every runtime start.
 * - `CONNECT host:port` and `GET http://host/...` from the runtime (GitHub mode), with the token
 *   as the proxy password: Copilot's own hosts only.
 * - the same from tools (no token): only TOOLS_ALLOWED_HOSTS.
 * - the same from an operation the bot started with a password of its own (`grant`): what that allows.
 * Every connection goes to an address checked when it is made (`chooseAddress`): never loopback,
 * private or link-local unless the operator pinned the host there, never the bot's own endpoints.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../infra/log.js';
import { chooseAddress, needsLookup, type EgressPolicy } from './egress-policy.js';

/** A reverse-proxy target: requests under its route go to `baseUrl` with `headers` set. */
export interface Upstream {
  baseUrl: string;
  headers: Record<string, string>;
}

export interface GatewayOptions {
  /** Unix socket path to listen on (created 0600, owned by `owner` when given). */
  socketPath: string;
  owner?: { uid: number; gid: number };
  /** The runtime's secret (it changes at every runtime start): its key for routes, and its proxy password. */
  token: () => string;
  routes: Record<string, Upstream>;
  /** What the runtime may reach through the proxy (GitHub mode); undefined: nothing. */
  runtimeEgress: EgressPolicy | undefined;
  /** What tools may reach (TOOLS_ALLOWED_HOSTS). */
  toolEgress: EgressPolicy;
  logger: Logger;
  /** Name → addresses (tests pass their own; never called for pinned hosts). */
  resolve?: (host: string) => Promise<string[]>;
  connectTimeoutMs?: number;
}

export interface Gateway {
  /**
   * A proxy password of its own for one operation the bot starts (a thread's repository clone):
   * what `policy` allows, until `revoke()`. The runtime and tools never hold it.
   */
  grant(policy: EgressPolicy): { password: string; revoke(): void };
  close(): Promise<void>;
}

/** Headers that belong to one hop only (the proxy password among them): never forwarded. */
const HOP = ['host', 'connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];
/** A route's: also the credentials the runtime sent (its key is the gateway's token), which the route puts in itself. */
const DROPPED = new Set([...HOP, 'authorization', 'api-key', 'x-api-key']);
/**
 * Through the proxy (a plain-HTTP request for another host): the request's own credentials are
 * its own (an MCP server's header from MCP_CONFIG), and go on.
 */
const DROPPED_PROXIED = new Set(HOP);

/** The model provider as a route: the key goes in the header that provider type expects. */
export function modelUpstream(provider: { type: 'openai' | 'azure' | 'anthropic'; baseUrl: string; apiKey: string | undefined }): Upstream {
  const headers: Record<string, string> = {};
  if (provider.apiKey) {
    if (provider.type === 'azure') headers['api-key'] = provider.apiKey;
    else if (provider.type === 'anthropic') headers['x-api-key'] = provider.apiKey;
    else headers.authorization = `Bearer ${provider.apiKey}`;
  }
  return { baseUrl: provider.baseUrl, headers };
}

const defaultResolve = async (host: string): Promise<string[]> => (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** A route's upstream URL for the rest of a request path, or undefined when it would leave the route's origin or prefix. */
export function routeTarget(baseUrl: string, rest: string, query: string | undefined): URL | undefined {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  // Nothing that a URL parser could read as another origin or another folder.
  if (/%2f|%5c|%2e|%00/i.test(rest) || rest.includes('\\') || rest.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(rest)) return undefined;
  if (rest.split('/').some((s) => s === '..' || s === '.')) return undefined;
  let target: URL;
  try {
    target = new URL(`${base.origin}${base.pathname}${rest}`);
  } catch {
    return undefined;
  }
  if (target.origin !== base.origin || !target.pathname.startsWith(base.pathname)) return undefined;
  if (query) target.search = query;
  return target;
}

/** The key a request carries, as each provider type sends it (Bearer, api-key, x-api-key). */
function requestKey(headers: http.IncomingHttpHeaders): string {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1];
  const key = bearer ?? headers['api-key'] ?? headers['x-api-key'];
  return typeof key === 'string' ? key.trim() : '';
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The password of a `Proxy-Authorization: Basic …` header. */
function proxyPassword(header: string | undefined): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/** `host:port` of a CONNECT request (IPv6 in brackets). */
export function connectTarget(url: string | undefined): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]@]+):(\d{1,5})$/.exec(url ?? '');
  if (!m) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : undefined;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const resolve = options.resolve ?? defaultResolve;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;

  const grants = new Map<string, EgressPolicy>();
  const policyFor = (req: http.IncomingMessage): { who: 'runtime' | 'tool' | 'granted'; policy: EgressPolicy | undefined } => {
    const password = proxyPassword(req.headers['proxy-authorization']);
    if (password !== undefined && sameSecret(password, options.token())) return { who: 'runtime', policy: options.runtimeEgress };
    const granted = password !== undefined ? grants.get(password) : undefined;
    return granted ? { who: 'granted', policy: granted } : { who: 'tool', policy: options.toolEgress };
  };

  /** Where to connect for host:port under `policy`, or why not. */
  const decide = async (host: string, port: number, policy: EgressPolicy | undefined) => {
    if (!policy) return { ok: false as const, reason: 'no network is allowed here' };
    // A name that is not allowed, or a pinned one, is never looked up.
    const addresses = needsLookup(host, policy)
      ? await Promise.race([
          resolve(host.replace(/^\[|\]$/g, '')).catch(() => [] as string[]),
          new Promise<string[]>((r) => setTimeout(() => r([]), connectTimeoutMs).unref()),
        ])
      : [];
    return chooseAddress(host, port, policy, addresses);
  };

  const refuse = (who: string, host: string, port: number, reason: string) => logger.warn({ who, host, port, reason }, 'sandbox network: refused');

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '';
      if (url.startsWith('/')) return reverse(req, res, url);
      // Absolute form: a plain-HTTP request through the proxy.
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return answer(res, 400, 'bad request');
      }
      const { who, policy } = policyFor(req);
      const port = Number(target.port || 80);
      if (target.protocol !== 'http:') return answer(res, 400, 'only http:// requests go through the proxy; use CONNECT for https');
      const decision = await decide(target.hostname, port, policy);
      if (!decision.ok) {
        refuse(who, target.hostname, port, decision.reason);
        return answer(res, 403, `copilot-threads: ${decision.reason}`);
      }
      const headers = forwardHeaders(req.headers, DROPPED_PROXIED);
      headers.host = target.host;
      const out = http.request({ host: decision.address, port, method: req.method, path: `${target.pathname}${target.search}`, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      pipeRequest(req, res, out, logger);
    })().catch((err: unknown) => {
      logger.warn({ err: String(err) }, 'sandbox gateway request failed');
      if (!res.headersSent) answer(res, 502, 'the gateway failed');
      else res.destroy();
    });
  });

  /** `/<route>/<rest>` with the token as key, or `/<token>/<route>/<rest>`: the route's upstream, only with the token. */
  const reverse = (req: http.IncomingMessage, res: http.ServerResponse, url: string) => {
    const token = options.token();
    const q = url.indexOf('?');
    const [rawPath, query] = q < 0 ? [url, undefined] : [url.slice(0, q), url.slice(q + 1)];
    const segments = rawPath.split('/').slice(1);
    const inPath = sameSecret(segments[0] ?? '', token);
    const [route = '', ...restParts] = inPath ? segments.slice(1) : segments;
    const upstream = Object.hasOwn(options.routes, route) ? options.routes[route] : undefined;
    if (!upstream || !(inPath || sameSecret(requestKey(req.headers), token))) return answer(res, 404, 'not found');
    const given = inPath ? segments[0]! : '';
    const target = routeTarget(upstream.baseUrl, restParts.join('/'), query);
    if (!target) {
      logger.warn({ route, path: rawPath.slice(given.length + 1, 200) }, 'sandbox gateway: a path that leaves its route was refused');
      return answer(res, 400, 'that path is not under this route');
    }
    const headers = { ...forwardHeaders(req.headers), ...upstream.headers };
    const send = target.protocol === 'https:' ? https.request : http.request;
    const out = send(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    pipeRequest(req, res, out, logger);
  };

  server.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    void (async () => {
      socket.on('error', () => undefined);
      const { who, policy } = policyFor(req);
      const at = connectTarget(req.url);
      if (!at) return socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      const decision = await decide(at.host, at.port, policy);
      if (!decision.ok) {
        refuse(who, at.host, at.port, decision.reason);
        const body = `copilot-threads: ${decision.reason}\n`;
        return socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      }
      // No Nagle: a tunnel's small writes (TLS records) must not wait for an ACK.
      const upstream = net.connect({ host: decision.address, port: at.port, noDelay: true });
      upstream.setTimeout(connectTimeoutMs, () => upstream.destroy(new Error('connect timed out')));
      upstream.once('connect', () => {
        upstream.setTimeout(0);
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', (err) => {
        logger.info({ who, host: at.host, port: at.port, err: err.message }, 'sandbox network: connection failed');
        if (socket.writable) socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      });
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
    })().catch(() => socket.destroy());
  });

  fs.rmSync(options.socketPath, { force: true });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => resolveListen());
  });
  fs.chmodSync(options.socketPath, 0o600);
  if (options.owner) fs.lchownSync(options.socketPath, options.owner.uid, options.owner.gid);
  return {
    grant(policy) {
      const password = randomBytes(24).toString('hex');
      grants.set(password, policy);
      return { password, revoke: () => grants.delete(password) };
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function answer(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message } }));
}

function forwardHeaders(incoming: http.IncomingHttpHeaders, dropped: ReadonlySet<string> = DROPPED): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) if (!dropped.has(name) && value !== undefined) headers[name] = value;
  return headers;
}

/** Streams the request up and gives up on it when either side goes away. */
function pipeRequest(req: http.IncomingMessage, res: http.ServerResponse, out: http.ClientRequest, logger: Logger): void {
  out.on('timeout', () => out.destroy(new Error('upstream timed out')));
  out.on('error', (err) => {
    logger.warn({ err: err.message }, 'sandbox gateway: upstream request failed');
    if (!res.headersSent) answer(res, 502, 'the upstream could not be reached');
    else res.destroy();
  });
  // The caller gave up (turn aborted, timeout): so does the request upstream.
  res.on('close', () => {
    if (!res.writableFinished) out.destroy();
  });
  req.pipe(out);
}
