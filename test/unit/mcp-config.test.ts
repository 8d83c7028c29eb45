/**
 * MCP_CONFIG as read: both formats (VS Code's `servers`, the Copilot CLI's `mcpServers`), `${env:…}`
 * secrets resolved and listed for masking, the files a stdio server reads found as they really are,
 * and every mistake reported with its file, line and key.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMcpConfig, mcpApprovalProblem, mcpHosts, McpConfigError } from '../../src/mcp-config.js';
import { loadMcp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-mcpconf-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(text: string): string {
  const file = path.join(dir, 'mcp.json');
  fs.writeFileSync(file, text);
  return file;
}

function problem(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadMcpConfig({ file: write(text), env });
  } catch (err) {
    if (err instanceof McpConfigError) return err.message.replace(`${dir}/`, '');
    throw err;
  }
  throw new Error('expected an McpConfigError');
}

describe('MCP_CONFIG', () => {
  it('reads stdio and remote servers, with ${env:…} secrets resolved and kept for masking', () => {
    fs.mkdirSync(path.join(dir, 'srv'));
    fs.writeFileSync(path.join(dir, 'srv', 'index.js'), '');
    const file = write(
      JSON.stringify({
        servers: {
          // A program in /usr (node may be anywhere: under CI's Node 24 it is in npx's cache, and then bound too).
          weather: { command: 'sh', args: ['./srv/index.js', path.join(dir, 'srv', 'index.js'), '--verbose'], env: { API_KEY: '${env:WEATHER_KEY}' }, cwd: 'srv', tools: ['forecast'], timeout: 5000 },
          docs: { type: 'http', url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer ${env:DOCS_TOKEN}' } },
          events: { type: 'sse', url: 'https://events.example.com/sse' },
        },
      }),
    );
    const config = loadMcpConfig({ file, env: { WEATHER_KEY: 'wk-123', DOCS_TOKEN: 'dt-456' } });
    const real = fs.realpathSync(dir);
    expect(config.servers).toEqual([
      { name: 'weather', transport: 'stdio', command: 'sh', args: [path.join(dir, 'srv', 'index.js'), path.join(dir, 'srv', 'index.js'), '--verbose'], env: { API_KEY: 'wk-123' }, cwd: path.join(real, 'srv'), tools: ['forecast'], timeoutMs: 5000, readPaths: [path.join(real, 'srv'), path.join(real, 'srv', 'index.js')] },
      { name: 'docs', transport: 'http', url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer dt-456' }, tools: ['*'] },
      { name: 'events', transport: 'sse', url: 'https://events.example.com/sse', headers: {}, tools: ['*'] },
    ]);
    expect([...config.secrets].sort()).toEqual(['dt-456', 'wk-123']);
    expect(mcpHosts(config)).toEqual(['mcp.example.com', 'events.example.com']);
  });

  it("a server's files never bring the bot's data, its folder, the system or the temp folder into the sandbox; relative arguments are the file's folder's", () => {
    const home = path.join(dir, 'copilot');
    fs.mkdirSync(path.join(home, 'srv'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'mcp', 'tool'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'mcp', 'tool', 'index.js'), '');
    const protectedPaths = { private: [home], holding: [path.join(dir, 'bot')] };
    fs.mkdirSync(path.join(dir, 'bot'));
    const load = (server: Record<string, unknown>) => loadMcpConfig({ file: write(JSON.stringify({ servers: { s: server } })), env: {}, protectedPaths });
    const real = fs.realpathSync(dir);
    expect(() => load({ command: 'node', args: ['--root', '/'] })).toThrow(/servers\.s\.args: \/ would be bound into the sandbox for this server, and it is a system folder/);
    expect(() => load({ command: 'node', args: ['/home'] })).toThrow(/it is a system folder/);
    expect(() => load({ command: 'node', args: [os.tmpdir()] })).toThrow(/it holds/);
    expect(() => load({ command: 'node', cwd: '.' })).toThrow(new RegExp(`servers\\.s\\.cwd: ${real} would be bound into the sandbox for this server, and it holds ${real}/copilot`));
    expect(() => load({ command: 'node', args: [path.join(home, 'srv')] })).toThrow(/and it is inside/);
    expect(() => load({ command: 'node', args: [path.join(dir, 'bot')] })).toThrow(/and it holds/);
    // ./ and ../ are from the file's folder (never where the server runs), and bound as such.
    expect(load({ command: 'sh', args: ['./mcp/tool/index.js', '-m', 'x'] }).servers[0]).toMatchObject({ args: [path.join(dir, 'mcp', 'tool', 'index.js'), '-m', 'x'], readPaths: [path.join(real, 'mcp', 'tool', 'index.js')] });
  });

  it("takes the Copilot CLI's mcpServers (type local) as well", () => {
    const config = loadMcpConfig({ file: write('{"mcpServers": {"fs": {"type": "local", "command": "/bin/cat", "tools": ["*"]}}}'), env: {} });
    expect(config.servers[0]).toMatchObject({ name: 'fs', transport: 'stdio', command: '/bin/cat', readPaths: [] });
  });

  it('reports each mistake with its file, line and key', () => {
    expect(problem('{\n  "servers": {\n    "w": {\n      "comand": "node"\n    }\n  }\n}')).toBe('MCP_CONFIG: mcp.json, line 4, servers.w.comand: is not a setting (did you mean command?)');
    expect(problem('{\n  "servers": {\n    "w": {\n      "command": "node",\n      "env": { "K": "${env:NOPE}" }\n    }\n  }\n}')).toBe("MCP_CONFIG: mcp.json, line 5, servers.w.env.K: ${env:NOPE}: NOPE is not set in the bot's environment");
    expect(problem('{"servers": {"w": {"command": "node", "args": ["${input:token}"]}}}')).toMatch(/servers\.w\.args\[0\]: \$\{input:token\} is not something the bot can fill in: only \$\{env:NAME\}/);
    expect(problem('{"servers": {"w": {"url": "https://x.test/mcp", "command": "node"}}}')).toMatch(/servers\.w\.command: is for a stdio server; this one is http/);
    expect(problem('{"servers": {"w": {"command": "node", "headers": {}}}}')).toMatch(/servers\.w\.headers: is for a remote server/);
    expect(problem('{"servers": {"w": {}}}')).toMatch(/servers\.w: needs a command \(a stdio server\) or a url/);
    expect(problem('{"servers": {"w": {"type": "http"}}}')).toMatch(/servers\.w: needs a url/);
    expect(problem('{"servers": {"w": {"url": "ftp://x.test/"}}}')).toMatch(/servers\.w\.url: must be an http:\/\/ or https:\/\/ URL/);
    expect(problem('{"servers": {"w": {"url": "https://me:pw@x.test/"}}}')).toMatch(/holds a user or password/);
    expect(problem('{"servers": {"w w": {"command": "node"}}}')).toMatch(/servers\.w w: is not a server name/);
    // Names the runtime keeps: its GitHub server, its tools (a server named task would switch the built-in task on).
    for (const name of ['github-mcp-server', 'task', 'bash', 'Memory', 'builtin']) expect(problem(`{"servers": {"${name}": {"command": "node"}}}`)).toMatch(/a name the Copilot runtime keeps for itself/);
    expect(problem('{"servers": {"w": {"command": "./missing.sh"}}}')).toMatch(/servers\.w\.command: \.\/missing\.sh is not a file/);
    expect(problem('{"servers": {"w": {"command": "node", "cwd": "nowhere"}}}')).toMatch(/servers\.w\.cwd: nowhere is not a folder/);
    expect(problem('{"servers": {"w": {"command": "node", "env": {"CT_WORKSPACE": "x"}}}}')).toMatch(/servers\.w\.env\.CT_WORKSPACE: is not a variable name the bot can pass on/);
    expect(problem('{"servers": {"w": {"command": "node", "timeout": -1}}}')).toMatch(/servers\.w\.timeout: must be a positive number of milliseconds/);
    expect(problem('{"inputs": [], "servers": {}}')).toMatch(/inputs: asks a person for values at start/);
    expect(problem('{"servers": {}, "mcpServers": {}}')).toMatch(/mcpServers: give the servers once/);
    expect(problem('{"servers": {"w": {"command": "node", "envFile": ".env"}}}')).toMatch(/servers\.w\.envFile: is not a setting: give each variable in env/);
    expect(problem('{"servers": {"w": {"command": "node",}}')).toMatch(/^MCP_CONFIG: mcp\.json, line 1: /);
  });

  it("COPILOT_TOOLS_APPROVAL's mcp: entries must name a server (a misspelt one would let its tools run unasked)", () => {
    const config = loadMcpConfig({ file: write('{"servers": {"weather": {"command": "node"}}}'), env: {} });
    expect(mcpApprovalProblem(['bash', 'mcp:*', 'mcp:weather', 'mcp:weather/*', 'mcp:weather/forecast'], config)).toBeUndefined();
    expect(mcpApprovalProblem(['mcp:wether/*'], config)).toBe('"mcp:wether/*" names no server of MCP_CONFIG (did you mean mcp:weather?)');
    expect(mcpApprovalProblem(['mcp:*/x'], config)).toMatch(/is not an MCP pattern/);
    expect(mcpApprovalProblem(['mcp:weather/a/b'], config)).toMatch(/is not an MCP pattern/);
    // A * inside a name would match nothing (and let the tools run unasked).
    expect(mcpApprovalProblem(['mcp:weather/fore*'], config)).toMatch(/is not an MCP pattern/);
    // An explicit list with no word on MCP: every MCP tool would run unasked without anyone saying so.
    expect(mcpApprovalProblem(['bash', 'edit'], config)).toMatch(/^names no MCP tools, so every tool of MCP_CONFIG's servers would run unasked: add mcp:\*/);
    expect(mcpApprovalProblem(['bash', 'mcp:none'], config)).toBeUndefined();
    expect(mcpApprovalProblem([], config)).toBeUndefined();
  });

  it('at start: an http server at an address gets a stand-in name the gateway pins; an https one at an address is refused in the sandbox; approvals are checked', () => {
    const base = { COPILOT_GITHUB_TOKEN: 'ghp_x', COPILOT_HOME: path.join(dir, 'home') };
    const plain = loadMcp(loadConfig({ ...base, MCP_CONFIG: write('{"servers": {"local": {"url": "http://127.0.0.1:8080/mcp"}, "named": {"url": "http://localhost/mcp"}}}') }, { needModel: true, cwd: dir }), {});
    expect(plain.servers.map((s) => (s.transport === 'stdio' ? undefined : s.via))).toEqual([
      { host: 'mcp-1.copilot-threads.invalid', address: '127.0.0.1', port: 8080 },
      { host: 'mcp-2.copilot-threads.invalid', address: '127.0.0.1', port: 80 },
    ]);
    expect(mcpHosts(plain)).toEqual(['mcp-1.copilot-threads.invalid', 'mcp-2.copilot-threads.invalid']);
    const file = write('{"servers": {"local": {"url": "https://10.0.0.7/mcp"}}}');
    expect(() => loadMcp(loadConfig({ ...base, MCP_CONFIG: file }, { needModel: true, cwd: dir }), {})).toThrow(/servers\.local\.url: an https:\/\/ server at an address \(10\.0\.0\.7\) cannot be reached from the tool sandbox/);
    expect(loadMcp(loadConfig({ ...base, MCP_CONFIG: file, TOOLS_SANDBOX: 'off' }, { needModel: true, cwd: dir }), {}).servers).toHaveLength(1);
    expect(() => loadMcp(loadConfig({ ...base, COPILOT_TOOLS_APPROVAL: 'mcp:weather' }, { needModel: true, cwd: dir }), {})).toThrow(/^COPILOT_TOOLS_APPROVAL: "mcp:weather" names no server of MCP_CONFIG \(MCP_CONFIG has none\)$/);
    // The default (mcp:*) needs no servers.
    expect(loadMcp(loadConfig(base, { needModel: true, cwd: dir }), {}).servers).toEqual([]);
  });

  it('docs/examples/mcp.json loads as docs/mcp.md says', () => {
    const config = loadMcpConfig({ file: path.resolve('docs/examples/mcp.json'), env: { WEATHER_API_KEY: 'w', TICKETS_TOKEN: 't', DOCS_MCP_TOKEN: 'd' } });
    expect(config.servers.map((s) => `${s.name}:${s.transport}`)).toEqual(['weather:stdio', 'tickets:stdio', 'docs:http']);
    expect(mcpHosts(config)).toEqual(['mcp.docs.example.com']);
  });
});
