/**
 * MCP servers written for the tests, speaking just enough of the protocol (JSON-RPC 2.0:
 * `initialize`, `tools/list`, `tools/call`) for the real runtime to list and call their tools.
 *
 * - `writeStdioServer(dir)`: a program for `node`, no dependencies, that the runtime starts as a
 *   stdio server. Its tools: `forecast {city}` (a fixed answer naming the city and `MCP_GREETING`
 *   from its environment) and `look {path}` (where it runs: its working folder and its thread's,
 *   whether `path` (relative: in the thread's folder) can be read and what it holds, the process ids it can see, whether it reaches 127.0.0.1:`port`).
 * - `startHttpMcpServer()`: a streamable-HTTP server on 127.0.0.1 with one tool, `lookup {key}`,
 *   that records the headers of every request (so a test sees the secret header arrive).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { withBody } from './http.js';

/** The stdio server's source (plain JavaScript for Node, no imports beyond node:*). */
export const STDIO_SERVER = String.raw`// An MCP server over stdio for copilot-threads' tests (testkit/mcp-servers.ts).
import fs from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';

const tools = [
  { name: 'forecast', description: 'The weather forecast for a city.', inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  { name: 'look', description: 'Where this server runs and what it can reach.', inputSchema: { type: 'object', properties: { path: { type: 'string' }, port: { type: 'number' } } } },
];

function reach(port) {
  return new Promise((resolve) => {
    if (!port) return resolve('not asked');
    const s = net.connect({ host: '127.0.0.1', port });
    const t = setTimeout(() => { s.destroy(); resolve('timeout'); }, 2000);
    s.on('connect', () => { clearTimeout(t); s.destroy(); resolve('connected'); });
    s.on('error', (e) => { clearTimeout(t); resolve(e.code || 'error'); });
  });
}

async function call(name, args) {
  if (name === 'forecast') return 'Sunny in ' + args.city + ' (' + (process.env.MCP_GREETING || 'no greeting') + ')';
  if (name === 'look') {
    let read;
    // A relative path is the thread's folder's (the server runs in /, the thread's folder is given to it).
    const file = args.path && !args.path.startsWith('/') ? (process.env.COPILOT_THREAD_FOLDER || '.') + '/' + args.path : args.path;
    try { read = 'READ: ' + fs.readFileSync(file, 'utf8').slice(0, 200); } catch (e) { read = 'CANNOT READ: ' + e.code; }
    const pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
    return JSON.stringify({ cwd: process.cwd(), folder: process.env.COPILOT_THREAD_FOLDER, read, pids, net: await reach(args.port), secretKeys: Object.keys(process.env).filter((k) => /SECRET|TOKEN|KEY|STORE/.test(k)) });
  }
  throw new Error('no such tool: ' + name);
}

const out = (msg) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n');
readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  let msg;
  try { msg = JSON.parse(line); } catch { return; }
  if (msg.id === undefined) return;
  if (msg.method === 'initialize') return out({ id: msg.id, result: { protocolVersion: msg.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'test-stdio', version: '1.0.0' } } });
  if (msg.method === 'tools/list') return out({ id: msg.id, result: { tools } });
  if (msg.method === 'tools/call') {
    try { return out({ id: msg.id, result: { content: [{ type: 'text', text: await call(msg.params.name, msg.params.arguments ?? {}) }] } }); }
    catch (e) { return out({ id: msg.id, result: { content: [{ type: 'text', text: String(e.message) }], isError: true } }); }
  }
  if (msg.method === 'ping') return out({ id: msg.id, result: {} });
  out({ id: msg.id, error: { code: -32601, message: 'method not found' } });
});
`;

/** Writes the stdio server as `<dir>/server.mjs` (its folder readable by anyone: the sandbox runs as nobody) and returns its path. */
export function writeStdioServer(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, 'server.mjs');
  fs.writeFileSync(file, STDIO_SERVER, { mode: 0o644 });
  return file;
}

export interface HttpMcpServer {
  /** `http://127.0.0.1:<port>/mcp` */
  url: string;
  port: number;
  /** Headers of every request, in order. */
  requests: http.IncomingHttpHeaders[];
  /** `tools/call` requests: the tool and its arguments. */
  calls: Array<{ name: string; arguments: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A streamable-HTTP MCP server (JSON responses) with one tool, `lookup {key}`. */
export async function startHttpMcpServer(): Promise<HttpMcpServer> {
  const requests: http.IncomingHttpHeaders[] = [];
  const calls: HttpMcpServer['calls'] = [];
  const server = http.createServer(
    withBody((req, res, body) => {
      requests.push(req.headers);
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      let msg: { id?: number | string; method?: string; params?: { name?: string; arguments?: Record<string, unknown>; protocolVersion?: string } };
      try {
        msg = JSON.parse(body) as typeof msg;
      } catch {
        res.writeHead(400).end();
        return;
      }
      if (msg.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      const reply = (result: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'test-session' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
      };
      switch (msg.method) {
        case 'initialize':
          return reply({ protocolVersion: msg.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'test-http', version: '1.0.0' } });
        case 'tools/list':
          return reply({ tools: [{ name: 'lookup', description: 'Looks a key up in the team directory.', inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] } }] });
        case 'tools/call':
          calls.push({ name: msg.params?.name ?? '', arguments: msg.params?.arguments ?? {} });
          return reply({ content: [{ type: 'text', text: `directory: ${String(msg.params?.arguments?.key)} is on the payments team` }] });
        default:
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'method not found' } }));
      }
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    requests,
    calls,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
