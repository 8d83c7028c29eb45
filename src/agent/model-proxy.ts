/**
 * The model provider's key stays in the bot process. A sandboxed runtime is given a local
 * address and a placeholder key; this proxy forwards its requests to the real provider (streamed
 * both ways) with the real key put in. A tool that reads the runtime's memory finds no key; at
 * most it finds the proxy's address, which spends the same quota the bot does and reveals nothing.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

export interface ModelUpstream {
  type: 'openai' | 'azure' | 'anthropic';
  baseUrl: string;
  apiKey: string | undefined;
}

export interface ModelProxy {
  /** What the runtime is given as the provider's base URL. */
  baseUrl: string;
  close(): Promise<void>;
}

/** What the runtime sends as the key: anything but the real one. */
export const PLACEHOLDER_KEY = 'held-by-copilot-threads';

/** Headers that carry credentials or belong to one hop only: never forwarded as they came. */
const DROPPED = new Set(['host', 'authorization', 'api-key', 'x-api-key', 'connection', 'keep-alive', 'proxy-authorization', 'transfer-encoding', 'upgrade']);

export async function startModelProxy(upstream: ModelUpstream, logger: Logger): Promise<ModelProxy> {
  const token = randomUUID();
  const base = new URL(upstream.baseUrl.endsWith('/') ? upstream.baseUrl : `${upstream.baseUrl}/`);
  const server = http.createServer((req, res) => {
    const [pathname = '', query] = (req.url ?? '').split('?', 2);
    const prefix = `/${token}/`;
    if (!pathname.startsWith(prefix)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    const target = new URL(pathname.slice(prefix.length).replace(/^\/+/, ''), base);
    if (query) target.search = query;
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!DROPPED.has(name) && value !== undefined) headers[name] = value;
    if (upstream.apiKey) {
      if (upstream.type === 'azure') headers['api-key'] = upstream.apiKey;
      else if (upstream.type === 'anthropic') headers['x-api-key'] = upstream.apiKey;
      else headers.authorization = `Bearer ${upstream.apiKey}`;
    }
    const send = target.protocol === 'https:' ? https.request : http.request;
    const out = send(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    out.on('error', (err) => {
      logger.warn({ err: err.message }, 'model provider request failed');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"message":"the model provider could not be reached"}}');
      else res.destroy();
    });
    // The runtime gave up (turn aborted, timeout): so does the request upstream.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
