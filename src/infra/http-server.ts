/**
 * The bot's HTTP endpoint: `GET /healthz` (readiness: 200 only when the store and the Copilot
 * runtime answer, with JSON naming each part) and the platform webhooks mounted as routes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (req: http.IncomingMessage, res: http.ServerResponse) => boolean | Promise<boolean>;

/** Each part's state: `ok`, or what is wrong with it; an object is information (what the tool sandbox enforces), not a check. */
export type HealthCheck = () => Promise<Record<string, string | Record<string, string>>>;

export interface HttpServer {
  port: number;
  setReady(ready: boolean): void;
  close(): Promise<void>;
}

/** The port is taken: the message names PORT so the fix is obvious. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(port: number) {
    super(`PORT ${port} is already in use by another process: stop it, or set PORT to a free port`);
  }
}

export async function startHttpServer(options: { port: number; host?: string; routes?: Route[]; health?: HealthCheck }): Promise<HttpServer> {
  let ready = false;
  const routes = options.routes ?? [];
  const server = http.createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/healthz') {
        const parts = ready ? ((await options.health?.()) ?? {}) : { process: 'not ready' };
        const ok = Object.values(parts).every((v) => typeof v !== 'string' || v === 'ok');
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok, ...parts }));
        return;
      }
      for (const route of routes) if (await route(req, res)) return;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found' }));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(options.port) : err));
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    setReady(value) {
      ready = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
        // A keep-alive client must not hold shutdown open.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}
