/**
 * The sandbox's gateway, spoken to over its unix socket as the forwarder inside the sandbox does.
 * Every upstream here is a server on 127.0.0.1; "other hosts" are names the test resolves itself
 * (nothing is looked up, nothing leaves the machine).
 */
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectTarget, modelUpstream, routeTarget, startGateway, type Gateway, type GatewayOptions } from '../../../../src/agent/sandbox/gateway.js';
import { silentLogger } from '../../../../src/infra/log.js';

const TOKEN = 'a'.repeat(48);
let gateway: Gateway | undefined;
const servers: http.Server[] = [];
let dir: string;

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function upstream(): Promise<{ url: string; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      setTimeout(() => res.end('data: two\n\n'), 20);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/v1`, port, seen };
}

async function start(options: Partial<GatewayOptions>): Promise<string> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-gateway-'));
  const socketPath = path.join(dir, 'gateway.sock');
  gateway = await startGateway({
    socketPath,
    token: () => TOKEN,
    routes: {},
    runtimeEgress: undefined,
    toolEgress: { allowed: [], pinned: new Map(), refusedEndpoints: new Set() },
    logger: silentLogger,
    // Tests resolve names themselves: a lookup would leave the machine.
    resolve: async (host) => (host === 'rebinding.test' ? ['127.0.0.1'] : host === 'metadata.test' ? ['169.254.169.254'] : []),
    ...options,
  });
  return socketPath;
}

function request(socketPath: string, options: http.RequestOptions & { body?: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, ...options }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A CONNECT through the gateway: the status line, and the socket when it was established. */
function connect(socketPath: string, target: string, auth?: string): Promise<{ status: number; socket: net.Socket; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'CONNECT', path: target, headers: auth ? { 'proxy-authorization': `Basic ${Buffer.from(auth).toString('base64')}` } : {} });
    req.on('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket, body: '' }));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: res.socket, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the sandbox gateway: routes (the model key stays in the bot)', () => {
  it('forwards to the provider with the real key in place of whatever the runtime sent, streaming the answer', async () => {
    for (const [type, header, value] of [
      ['openai', 'authorization', 'Bearer real-key'],
      ['azure', 'api-key', 'real-key'],
      ['anthropic', 'x-api-key', 'real-key'],
    ] as const) {
      const up = await upstream();
      const sock = await start({ routes: { model: modelUpstream({ type, baseUrl: up.url, apiKey: 'real-key' }) } });
      const res = await request(sock, {
        method: 'POST',
        path: `/${TOKEN}/model/chat/completions?api-version=1`,
        headers: { authorization: 'Bearer placeholder', 'api-key': 'placeholder', 'x-api-key': 'placeholder', 'content-type': 'application/json' },
        body: '{"stream":true}',
      });
      expect(res).toEqual({ status: 200, text: 'data: one\n\ndata: two\n\n' });
      expect(up.seen[0]).toMatchObject({ url: '/v1/chat/completions?api-version=1', body: '{"stream":true}' });
      expect(up.seen[0]!.headers[header]).toBe(value);
      for (const h of ['authorization', 'api-key', 'x-api-key'].filter((h) => h !== header)) expect(up.seen[0]!.headers[h]).toBeUndefined();
      await gateway!.close();
      gateway = undefined;
    }
  });

  it("takes the token as the runtime's key (no secret in the URL), and answers nothing without it", async () => {
    const up = await upstream();
    const sock = await start({ routes: { model: modelUpstream({ type: 'openai', baseUrl: up.url, apiKey: 'real-key' }) } });
    expect((await request(sock, { method: 'GET', path: '/model/models', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await request(sock, { method: 'GET', path: '/model/models', headers: { 'api-key': TOKEN } })).status).toBe(200);
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }]) expect((await request(sock, { method: 'GET', path: '/model/models', headers })).status).toBe(404);
    expect(up.seen.map((s) => s.headers.authorization)).toEqual(['Bearer real-key', 'Bearer real-key']);
  });

  it('answers nothing without the token, and a provider that is down with a 502 that names no address', async () => {
    const up = await upstream();
    let sock = await start({ routes: { model: modelUpstream({ type: 'openai', baseUrl: up.url, apiKey: 'k' }) } });
    expect((await request(sock, { method: 'POST', path: '/model/chat/completions' })).status).toBe(404);
    expect((await request(sock, { method: 'POST', path: `/${'b'.repeat(48)}/model/chat/completions` })).status).toBe(404);
    expect((await request(sock, { method: 'POST', path: `/${TOKEN}/nothing/x` })).status).toBe(404);
    expect(up.seen).toHaveLength(0);
    await gateway!.close();
    sock = await start({ routes: { model: modelUpstream({ type: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'k' }) } });
    const down = await request(sock, { method: 'POST', path: `/${TOKEN}/model/chat/completions`, body: '{}' });
    expect(down.status).toBe(502);
    expect(down.text).not.toMatch(/127\.0\.0\.1|:9/);
  });

  it('refuses with 400, and no upstream call, any path that would leave the route: absolute URLs, dot segments, encoded slashes', async () => {
    const up = await upstream();
    const attacker = await upstream();
    const sock = await start({ routes: { model: modelUpstream({ type: 'openai', baseUrl: up.url, apiKey: 'real-key' }) } });
    for (const rest of [
      `http://127.0.0.1:${attacker.port}/x`,
      `//127.0.0.1:${attacker.port}/x`,
      `http:%2f%2f127.0.0.1:${attacker.port}/x`,
      '../other',
      'a/../../other',
      './chat',
      '%2e%2e/other',
      'a%2fb',
      'a%5cb',
      '..%2fother',
      'a\\..\\b',
    ]) {
      const res = await request(sock, { method: 'POST', path: `/${TOKEN}/model/${rest}`, body: '{}' });
      expect(res.status, rest).toBe(400);
    }
    expect(up.seen).toHaveLength(0);
    expect(attacker.seen).toHaveLength(0);
    // The ordinary paths still work.
    expect((await request(sock, { method: 'GET', path: `/${TOKEN}/model/models` })).status).toBe(200);
    expect(up.seen.map((s) => s.url)).toEqual(['/v1/models']);
  });

  it('routeTarget keeps the origin and the prefix', () => {
    expect(routeTarget('https://api.example.com/v1', 'chat/completions', 'a=1')?.href).toBe('https://api.example.com/v1/chat/completions?a=1');
    expect(routeTarget('https://api.example.com/v1/', 'models', undefined)?.href).toBe('https://api.example.com/v1/models');
    for (const rest of ['https://evil.test/', '/etc', '../x', 'x/..', 'javascript:1', 'a%2F', '%00']) expect(routeTarget('https://api.example.com/v1', rest, undefined), rest).toBeUndefined();
  });
});

describe('the sandbox gateway: the egress proxy', () => {
  it('tools reach an allowed host by name (pinned here to a server on 127.0.0.1), through CONNECT and plain HTTP', async () => {
    const fake = await upstream();
    const sock = await start({ toolEgress: { allowed: ['allowed.test'], pinned: new Map([['allowed.test', { address: '127.0.0.1', port: fake.port }]]), refusedEndpoints: new Set() } });
    const tunnel = await connect(sock, `allowed.test:${fake.port}`);
    expect(tunnel.status).toBe(200);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      tunnel.socket.on('data', (d: Buffer) => (text += d.toString()));
      tunnel.socket.on('end', () => resolve(text));
      tunnel.socket.write('GET /through-the-tunnel HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    // The request's own credentials (an MCP server's header from MCP_CONFIG) go on; the proxy's password does not.
    const plain = await request(sock, { method: 'GET', path: `http://allowed.test:${fake.port}/plain`, headers: { 'proxy-authorization': 'Basic eDp5', authorization: 'Bearer mcp-server-token', 'x-api-key': 'k' } });
    expect(plain.status).toBe(200);
    expect(fake.seen.map((s) => s.url)).toEqual(['/through-the-tunnel', '/plain']);
    expect(fake.seen[1]!.headers.host).toBe(`allowed.test:${fake.port}`);
    expect(fake.seen[1]!.headers['proxy-authorization']).toBeUndefined();
    expect(fake.seen[1]!.headers).toMatchObject({ authorization: 'Bearer mcp-server-token', 'x-api-key': 'k' });
  });

  it('refuses a host that is not allowed (though it resolves to a live server), with 403 and no connection', async () => {
    const fake = await upstream();
    let connections = 0;
    servers[0]!.on('connection', () => connections++);
    const sock = await start({ toolEgress: { allowed: ['allowed.test'], pinned: new Map([['allowed.test', { address: '127.0.0.1', port: fake.port }], ['other.test', { address: '127.0.0.1', port: fake.port }]]), refusedEndpoints: new Set() } });
    for (const target of [`other.test:${fake.port}`, `127.0.0.1:${fake.port}`, `localhost:${fake.port}`, `[::1]:${fake.port}`, `allowed.test.evil:${fake.port}`]) {
      const res = await connect(sock, target);
      expect(res.status, target).toBe(403);
    }
    expect((await request(sock, { method: 'GET', path: `http://other.test:${fake.port}/` })).status).toBe(403);
    expect(connections).toBe(0);
  });

  it('refuses an allowed name that resolves to a loopback, private or metadata address (checked when connecting)', async () => {
    const fake = await upstream();
    const sock = await start({ toolEgress: { allowed: ['rebinding.test', 'metadata.test', 'nowhere.test'], pinned: new Map(), refusedEndpoints: new Set() } });
    const rebinding = await connect(sock, 'rebinding.test:443');
    expect(rebinding.status).toBe(403);
    expect((await connect(sock, 'metadata.test:80')).status).toBe(403);
    expect((await connect(sock, 'nowhere.test:443')).status).toBe(403);
    expect(fake.seen).toHaveLength(0);
  });

  it("never reaches the bot's own endpoints, even for a pinned host", async () => {
    const fake = await upstream();
    const sock = await start({ toolEgress: { allowed: ['mirror.test'], pinned: new Map([['mirror.test', { address: '127.0.0.1', port: fake.port }]]), refusedEndpoints: new Set([`127.0.0.1:${fake.port}`]) } });
    expect((await connect(sock, `mirror.test:${fake.port}`)).status).toBe(403);
    expect((await request(sock, { method: 'GET', path: `http://mirror.test:${fake.port}/` })).status).toBe(403);
    expect(fake.seen).toHaveLength(0);
  });

  it("the runtime's own egress (GitHub mode) needs the token as the proxy password; tools with no hosts reach nothing", async () => {
    const fake = await upstream();
    const copilot = { allowed: ['api.githubcopilot.test'], pinned: new Map([['api.githubcopilot.test', { address: '127.0.0.1', port: fake.port }]]), refusedEndpoints: new Set<string>() };
    const sock = await start({ runtimeEgress: copilot });
    expect((await connect(sock, `api.githubcopilot.test:${fake.port}`)).status).toBe(403);
    expect((await connect(sock, `api.githubcopilot.test:${fake.port}`, `runtime:${'c'.repeat(48)}`)).status).toBe(403);
    const ok = await connect(sock, `api.githubcopilot.test:${fake.port}`, `runtime:${TOKEN}`);
    expect(ok.status).toBe(200);
    ok.socket.destroy();
  });

  it('parses CONNECT targets strictly', () => {
    expect(connectTarget('example.com:443')).toEqual({ host: 'example.com', port: 443 });
    expect(connectTarget('[::1]:443')).toEqual({ host: '[::1]', port: 443 });
    for (const bad of ['example.com', 'example.com:0', 'example.com:70000', 'user@example.com:443', 'http://example.com:443', '', undefined]) expect(connectTarget(bad), String(bad)).toBeUndefined();
  });
});
