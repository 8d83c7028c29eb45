/**
 * MCP servers (MCP_CONFIG) on the real runtime, in the tool sandbox: a stdio server and a
 * streamable-HTTP server written for the tests, called by the scripted model. The stdio server
 * runs in its thread's sandbox (its folder only, no bot files, no network, no other process);
 * the HTTP one is reached through the sandbox's proxy with its secret header; their tools ask for
 * approval as COPILOT_TOOLS_APPROVAL says; a server that cannot start is reported and the bot
 * answers without it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sessionIdFor } from '../../src/core/thread.js';
import { localThread, startHarness, type Harness } from '../../testkit/harness.js';
import { recordCards } from '../../testkit/approval-cards.js';
import { startHttpMcpServer, writeStdioServer, type HttpMcpServer } from '../../testkit/mcp-servers.js';
import { textOf, type ModelScript } from '../../testkit/model-server.js';
import { processesNaming } from '../../testkit/process.js';

let h: Harness | undefined;
let http: HttpMcpServer | undefined;
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-mcp-'));
  fs.chmodSync(dir, 0o755);
  process.env.TEST_MCP_GREETING = 'greeting-from-env';
  process.env.TEST_MCP_TOKEN = 'mcp-token-5f1c9e';
});
afterEach(async () => {
  await h?.close();
  await http?.close();
  h = undefined;
  http = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
  delete process.env.TEST_MCP_GREETING;
  delete process.env.TEST_MCP_TOKEN;
});

/** `weather CITY`, `look PATH PORT`, `lookup KEY`: the servers' tools as the runtime names them (`<server>-<tool>`). */
const script: ModelScript = (req) => {
  const last = req.messages.at(-1)!;
  if (last.role === 'tool') return { kind: 'text', text: `tool answer: ${textOf(last.content)}` };
  const said = req.userTexts.at(-1) ?? '';
  const [verb, a, b] = said.split(' ');
  if (verb === 'weather') return { kind: 'tool', name: 'weather-forecast', args: { city: a } };
  if (verb === 'look') return { kind: 'tool', name: 'weather-look', args: { path: a, port: Number(b) } };
  if (verb === 'lookup') return { kind: 'tool', name: 'dir-lookup', args: { key: a } };
  if (verb === 'sh') return { kind: 'tool', name: 'bash', args: { command: said.slice(3), description: 'probe' } };
  if (verb === 'tools') return { kind: 'text', text: `tools: ${(req.tools ?? []).map((t) => t.function.name).sort().join(',')}` };
  return { kind: 'text', text: `you said: ${said}` };
};

function writeConfig(servers: Record<string, unknown>): string {
  const file = path.join(dir, 'mcp.json');
  fs.writeFileSync(file, JSON.stringify({ servers }, null, 2));
  return file;
}

describe('MCP servers', () => {
  it('a stdio server runs sealed in its thread\'s sandbox, an HTTP one is reached through the proxy with its secret header, each tool as approval says; a broken server is reported and the bot goes on', async () => {
    const server = writeStdioServer(path.join(dir, 'weather'));
    http = await startHttpMcpServer();
    const file = writeConfig({
      weather: { command: 'node', args: [server], env: { MCP_GREETING: '${env:TEST_MCP_GREETING}' } },
      // At an address: sandboxed, the runtime reaches it through the gateway under a stand-in name pinned there.
      dir: { type: 'http', url: `http://127.0.0.1:${http.port}/mcp`, headers: { 'x-team-token': '${env:TEST_MCP_TOKEN}' } },
      broken: { command: 'node', args: [path.join(dir, 'weather', 'missing.mjs')] },
    });
    h = await startHarness({
      env: {
        MCP_CONFIG: file,
        // Only the forecast asks: the rest of the weather server, and the directory, run unasked.
        COPILOT_TOOLS_APPROVAL: 'mcp:weather/forecast',
        // A shell whose commands may use the proxy (for one host that is not the servers').
        COPILOT_TOOLS: 'bash',
        TOOLS_ALLOWED_HOSTS: 'example.invalid',
      },
      script,
    });
    const cards = recordCards();
    h.app.conversation.useApprovalCards('local', cards);
    const c = h.app.conversation;

    // Known at start: two servers up, the broken one down with the runtime's reason.
    const report = h.app.agent.mcpReport()!;
    expect(report).toMatchObject({ weather: 'ok', dir: 'ok' });
    expect(report.broken).toMatch(/^down: /);

    // The model is offered the servers' tools (the broken one has none), beside the shell.
    const thread = localThread('mcp-thread', 'ana');
    expect((await c.handleMessage(thread, 'tools')).text).toMatch(/^tools: bash,dir-lookup,.*weather-forecast,weather-look$/);
    // The shell cannot call the HTTP server behind its approval: not at its address, not by the runtime's name for it.
    const served = http.requests.length;
    const curl = (await c.handleMessage(thread, `sh curl -s -m 5 -o /dev/null -w '%{http_code}' http://mcp-2.copilot-threads.invalid:${http.port}/mcp; echo; curl -s -m 5 http://127.0.0.1:${http.port}/mcp; echo exit=$?`)).text;
    expect(curl).toMatch(/^tool answer: 403\n.*copilot-threads: 127\.0\.0\.1 is not an allowed host/);
    expect(http.requests).toHaveLength(served);
    const before = http.requests.length;

    // The forecast asks the thread's starter, showing exactly what would be sent.
    const card = cards.next();
    const answer = c.handleMessage(thread, 'weather Oslo');
    const request = await card;
    expect(request).toMatchObject({ tool: 'mcp:weather/forecast', detail: '{"city":"Oslo"}' });
    expect(await c.decideApproval(thread, request.id, 'once')).toEqual({ ok: true });
    // The server's environment has its ${env:…} value, which no process's command line on the host shows.
    expect((await answer).text).toBe('tool answer: Sunny in Oslo (greeting-from-env)');
    expect(processesNaming('greeting-from-env')).toEqual([]);

    // The HTTP server: through the proxy, with its header; unasked (not in COPILOT_TOOLS_APPROVAL).
    expect((await c.handleMessage(thread, 'lookup ana')).text).toBe('tool answer: directory: ana is on the payments team');
    expect(http.calls).toEqual([{ name: 'lookup', arguments: { key: 'ana' } }]);
    expect(http.requests.length).toBeGreaterThan(before);
    expect(http.requests.every((r) => r['x-team-token'] === 'mcp-token-5f1c9e')).toBe(true);
    expect(cards.posted).toHaveLength(1);

    // What the stdio server can see: its thread's folder (its working folder), nothing of the bot's or another thread's.
    const workspace = path.join(h.config.copilotHome, 'workspace');
    const other = localThread('other-thread', 'bob');
    expect((await c.handleMessage(other, 'hello')).text).toBe('you said: hello');
    fs.writeFileSync(path.join(workspace, sessionIdFor(other), 'secret.txt'), 'other-thread-canary');
    fs.writeFileSync(path.join(workspace, sessionIdFor(thread), 'mine.txt'), 'my-own-file');
    fs.writeFileSync(path.join(h.dir, '.env'), 'COPILOT_PROVIDER_API_KEY=sk-never-seen\n');
    const look = async (p: string, port = 0) => JSON.parse((await c.handleMessage(thread, `look ${p} ${port}`)).text.replace(/^tool answer: /, '')) as { cwd: string; folder: string; read: string; pids: number; net: string; secretKeys: string[] };
    const own = await look('mine.txt');
    // It runs in / (never in the thread's folder, where the thread's tools could plant what it loads), and is told its thread's folder.
    expect(own).toMatchObject({ cwd: '/', folder: path.join(workspace, sessionIdFor(thread)), read: 'READ: my-own-file', secretKeys: [] });
    // Its own process table: itself and its sandbox's init, not the runtime or the bot.
    expect(own.pids).toBeLessThan(5);
    expect((await look(path.join(workspace, sessionIdFor(other), 'secret.txt'))).read).toMatch(/^CANNOT READ: ENOENT/);
    expect((await look(`../${sessionIdFor(other)}/secret.txt`)).read).toMatch(/^CANNOT READ: ENOENT/);
    // Nor the folder the bot's files are in, nor the server's neighbours beyond its own files.
    expect((await look(path.join(process.cwd(), 'package.json'))).read).toMatch(/^CANNOT READ: ENOENT/);
    expect((await look(path.join(h.dir, '.env'))).read).toMatch(/^CANNOT READ: ENOENT/);
    expect((await look(path.join(h.config.copilotHome, 'session-state'))).read).toMatch(/^CANNOT READ: ENOENT/);
    // No network of its own: the store (Redis, Postgres) and the bot's port are not there.
    for (const port of [6379, 5432]) expect((await look('mine.txt', port)).net).toMatch(/ECONNREFUSED|ENETUNREACH/);

    // A thread that never asked: its own server, its own folder.
    expect(JSON.parse((await c.handleMessage(other, 'look secret.txt 0')).text.replace(/^tool answer: /, ''))).toMatchObject({ folder: path.join(workspace, sessionIdFor(other)), read: 'READ: other-thread-canary' });

    // /healthz's part; the secret header never reached a log line's worth of report.
    expect(JSON.stringify(h.app.agent.mcpReport())).not.toContain('mcp-token-5f1c9e');
  });

  it('a channel profile narrows the servers a place may use; a server not given is not there at all', async () => {
    const server = writeStdioServer(path.join(dir, 'weather'));
    const file = writeConfig({ weather: { command: 'node', args: [server] }, other: { command: 'node', args: [server] } });
    const channels = path.join(dir, 'channels.yaml');
    fs.writeFileSync(channels, 'channels:\n  "local:narrow":\n    tools: [mcp:other]\n');
    h = await startHarness({ env: { MCP_CONFIG: file, CHANNEL_CONFIG: channels, COPILOT_TOOLS_APPROVAL: 'none' }, script });
    const c = h.app.conversation;
    expect((await c.handleMessage(localThread('wide'), 'tools')).text).toBe('tools: other-forecast,other-look,weather-forecast,weather-look');
    expect((await c.handleMessage(localThread('narrow'), 'tools')).text).toBe('tools: other-forecast,other-look');
    // Asked for anyway, the runtime has no such tool there: nothing runs.
    expect((await c.handleMessage(localThread('narrow'), 'weather Oslo')).text).not.toContain('Sunny');
  });
});
