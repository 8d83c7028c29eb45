/**
 * MCP_CONFIG: the MCP servers every thread's Copilot may use, in the JSON format of the Copilot
 * CLI (`mcpServers`) and VS Code (`servers`): a stdio server by `command`/`args`/`env`/`cwd`, a
 * remote one by `url`/`headers` (`type` http or sse). Secrets come from the bot's environment as
 * `${env:NAME}`, resolved here once; the file itself holds none, and the values are kept in a
 * list the bot masks wherever a server's error could echo them.
 *
 *     {
 *       "servers": {
 *         "weather": { "command": "node", "args": ["/opt/mcp/weather/index.js"], "env": { "API_KEY": "${env:WEATHER_KEY}" } },
 *         "docs": { "type": "http", "url": "https://mcp.example.com/mcp", "headers": { "Authorization": "Bearer ${env:DOCS_TOKEN}" } }
 *       }
 *     }
 *
 * Read at start (a mistake stops it with file, line and key); a change needs a restart.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { BUILT_IN_TOOLS, mcpHostsOf, type McpServer } from './domain.js';
import { closest } from './infra/closest.js';
import { which } from './infra/which.js';
import { ConfigFileError, keyPath, lineOf, parseConfigYaml, plainData, readConfigText, type ConfigFile } from './infra/config-file.js';

export class McpConfigError extends ConfigFileError {
  override name = 'McpConfigError';
}

export interface McpConfig {
  servers: readonly McpServer[];
  /** The values `${env:…}` references resolved to: never logged, masked in what servers say. */
  secrets: readonly string[];
}

export const NO_MCP: McpConfig = { servers: [], secrets: [] };

/** Server names: what the model sees as a prefix of their tools (`weather-forecast`) and what `mcp:NAME` names. */
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/**
 * Names the runtime keeps for itself: its built-in GitHub server (which the bot keeps off), its
 * built-in tools (the runtime's tool filter matches a name across every source: a server named
 * `task` would switch the built-in `task` on), and the prefixes of its filter.
 */
const RESERVED = new Set<string>(['github-mcp-server', 'builtin', 'mcp', 'custom', ...BUILT_IN_TOOLS]);
/** Folders both sandbox levels already hold read-only (the system's programs and libraries). */
const SYSTEM = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

const text = (what: string) => z.string({ error: `must be ${what}` });
const stringMap = (what: string) => z.record(z.string(), text(what), { error: `must be a map of names to ${what}` });

const KEYS = ['type', 'command', 'args', 'env', 'cwd', 'url', 'headers', 'tools', 'timeout'] as const;

const serverSchema = z.strictObject(
  {
    type: z.enum(['stdio', 'local', 'http', 'sse'], { error: 'must be stdio, local, http or sse' }).optional(),
    command: text('a program (a name on PATH or a path)').min(1, { error: 'must be a program' }).optional(),
    args: z.array(text('text'), { error: 'must be a list of arguments' }).optional(),
    env: stringMap('text').optional(),
    cwd: text('a folder').min(1, { error: 'must be a folder' }).optional(),
    url: text('a URL').optional(),
    headers: stringMap('text').optional(),
    tools: z.array(text('a tool name'), { error: 'must be a list of tool names (["*"]: all of them)' }).optional(),
    timeout: z.number({ error: 'must be a number of milliseconds' }).int({ error: 'must be a whole number of milliseconds' }).positive({ error: 'must be a positive number of milliseconds' }).optional(),
  },
  { error: `must be a map of ${KEYS.join(', ')}` },
);

const fileSchema = z.strictObject(
  {
    servers: z.record(z.string(), serverSchema, { error: 'must be a map of server names to servers' }).optional(),
    mcpServers: z.record(z.string(), serverSchema, { error: 'must be a map of server names to servers' }).optional(),
    // VS Code's prompts for values: nobody is at a prompt when the bot starts.
    inputs: z.unknown().optional(),
  },
  { error: 'must be a map with servers (or mcpServers)' },
);

/** Where the file's relative paths are from, and how the environment is read (for `${env:NAME}`). */
export interface McpConfigSources {
  file: string;
  env: NodeJS.ProcessEnv;
  /**
   * What a server's read-only files must not bring into the sandbox: `private` folders are never
   * among them nor inside them (COPILOT_HOME: every thread's files and sessions; the store's);
   * `holding` folders are never among them (the bot's own folder, with its .env).
   */
  protectedPaths?: { private: readonly string[]; holding: readonly string[] };
}

/** Reads and checks MCP_CONFIG; throws `McpConfigError` at the first mistake. */
export function loadMcpConfig(sources: McpConfigSources): McpConfig {
  const f: ConfigFile = { setting: 'MCP_CONFIG', file: sources.file, error: (line, key, problem) => new McpConfigError('MCP_CONFIG', sources.file, line, key, problem) };
  const { doc, lines } = parseConfigYaml(f, readConfigText(f));
  const fail = (keys: readonly PropertyKey[], problem: string): never => {
    throw f.error(lineOf(doc, lines, keys), keyPath(keys) || undefined, problem);
  };
  const parsed = fileSchema.safeParse(plainData(f, doc) ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    const near = issue.code === 'unrecognized_keys' ? closest(issue.keys[0]!, issue.path.length === 0 ? ['servers', 'mcpServers'] : KEYS) : undefined;
    fail(keys, issue.code === 'unrecognized_keys' ? `is not a setting${near ? ` (did you mean ${near}?)` : ''}${issue.keys[0] === 'envFile' ? ': give each variable in env, as ${env:NAME}' : ''}` : issue.message);
  }
  const data = parsed.data!;
  if (data.inputs !== undefined) fail(['inputs'], 'asks a person for values at start, and nobody is there: put secrets in the bot\'s environment and write ${env:NAME}');
  if (data.servers && data.mcpServers) fail(['mcpServers'], 'give the servers once, under servers or mcpServers');
  const top = data.servers ? 'servers' : 'mcpServers';
  const given = data.servers ?? data.mcpServers ?? {};
  const secrets = new Set<string>();
  const folder = path.dirname(sources.file);
  const servers: McpServer[] = [];
  for (const [name, s] of Object.entries(given)) {
    const at = (...keys: PropertyKey[]) => [top, name, ...keys];
    if (!SERVER_NAME.test(name)) fail(at(), 'is not a server name (letters, digits, _ and -, at most 64)');
    if (RESERVED.has(name.toLowerCase())) fail(at(), 'is a name the Copilot runtime keeps for itself (its GitHub server or one of its tools): choose another');
    const resolve = (value: string, ...keys: PropertyKey[]): string =>
      value.replace(/\$\{([^}]*)\}/g, (whole, ref: string) => {
        const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(ref);
        if (!m) return fail(at(...keys), `${whole} is not something the bot can fill in: only \${env:NAME} (a variable of the bot's environment)`);
        const v = sources.env[m[1]!];
        if (v === undefined || v === '') return fail(at(...keys), `${whole}: ${m[1]} is not set in the bot's environment`);
        secrets.add(v);
        return v;
      });
    // The sandbox's launcher (mcp.sh) keeps these names for itself.
    for (const k of Object.keys(s.env ?? {})) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /^(_ct_|CT_|COPILOT_THREADS_)/.test(k)) fail(at('env', k), 'is not a variable name the bot can pass on (letters, digits and _; not starting with CT_, _ct_ or COPILOT_THREADS_)');
    const map = (m: Record<string, string> | undefined, key: string) => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, resolve(v, key, k)]));
    const remote = s.type === 'http' || s.type === 'sse' || (s.type === undefined && s.url !== undefined);
    const base = { name, tools: s.tools ?? ['*'], ...(s.timeout !== undefined ? { timeoutMs: s.timeout } : {}) };
    if (remote) {
      for (const key of ['command', 'args', 'env', 'cwd'] as const) if (s[key] !== undefined) fail(at(key), `is for a stdio server; this one is ${s.type ?? 'http'} (it has a url)`);
      if (s.url === undefined) fail(at(), 'needs a url');
      const url = resolve(s.url!, 'url');
      let parsedUrl: URL;
      try {
        parsedUrl = new URL(url);
      } catch {
        return fail(at('url'), 'is not a URL');
      }
      if (parsedUrl.protocol !== 'https:' && parsedUrl.protocol !== 'http:') fail(at('url'), 'must be an http:// or https:// URL');
      if (parsedUrl.username || parsedUrl.password) fail(at('url'), 'holds a user or password: put credentials in headers, as ${env:NAME}');
      const address = parsedUrl.hostname.replace(/^\[|\]$/g, '');
      const pinTo = net.isIP(address) ? address : address.toLowerCase() === 'localhost' ? '127.0.0.1' : undefined;
      const via = pinTo && parsedUrl.protocol === 'http:' ? { via: { host: `mcp-${servers.length + 1}.copilot-threads.invalid`, address: pinTo, port: Number(parsedUrl.port || 80) } } : {};
      servers.push({ ...base, transport: s.type === 'sse' ? 'sse' : 'http', url, headers: map(s.headers, 'headers'), ...via });
      continue;
    }
    for (const key of ['url', 'headers'] as const) if (s[key] !== undefined) fail(at(key), `is for a remote server; this one is ${s.type ?? 'stdio'} (it has a command)`);
    if (s.command === undefined) fail(at(), 'needs a command (a stdio server) or a url (a remote one)');
    const command = resolve(s.command!, 'command');
    // A relative path among the arguments is the file's folder's, as the command's is (never where the server runs).
    const args = (s.args ?? []).map((a, i) => {
      const value = resolve(a, 'args', i);
      return /^\.\.?\//.test(value) ? path.resolve(folder, value) : value;
    });
    let cwd: string | undefined;
    if (s.cwd !== undefined) {
      cwd = path.resolve(folder, resolve(s.cwd, 'cwd'));
      if (!fs.statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) fail(at('cwd'), `${s.cwd} is not a folder`);
      cwd = fs.realpathSync(cwd);
    }
    // A program given as a path, from the file's folder; a bare name is looked up on PATH where it runs.
    const program = command.includes('/') ? path.resolve(folder, command) : command;
    if (program.includes('/') && !fs.statSync(program, { throwIfNoEntry: false })?.isFile()) fail(at('command'), `${s.command} is not a file`);
    const files = readPaths(program, args, cwd);
    for (const p of files) {
      const why = exposes(p, sources.protectedPaths ?? { private: [], holding: [] });
      if (why) fail(at(cwd === p ? 'cwd' : 'args'), `${p} would be bound into the sandbox for this server, and ${why}: give the server's own folder or files`);
    }
    servers.push({ ...base, transport: 'stdio', command: program, args, env: map(s.env, 'env'), cwd, readPaths: files });
  }
  return { servers, secrets: [...secrets].sort((a, b) => b.length - a.length) };
}

/**
 * What a stdio server needs to read beyond the system: its folder, its program when that lives
 * elsewhere (`/opt/node/bin/node`), and every absolute path among its arguments that exists (the
 * script it runs, a folder of its data), each as it really is (links followed).
 */
function readPaths(program: string, args: readonly string[], cwd: string | undefined): string[] {
  const out = new Set<string>();
  if (cwd) out.add(cwd);
  const onPath = program.includes('/') ? program : which(program);
  for (const p of [onPath, ...args.filter((a) => path.isAbsolute(a))]) {
    if (!p) continue;
    let real: string;
    try {
      real = fs.realpathSync(p);
    } catch {
      continue;
    }
    if (!SYSTEM.some((d) => real === d || real.startsWith(`${d}/`))) out.add(real);
  }
  return [...out].sort();
}

/** Folders a server's files may never be, hold, or sit in (besides the caller's `protectedPaths`). */
const NEVER = ['/', '/etc', '/home', '/root', '/proc', '/sys', '/dev', '/run', '/var', '/boot'];

/** Why binding `p` would expose what it must not, or undefined. */
function exposes(p: string, protectedPaths: NonNullable<McpConfigSources['protectedPaths']>): string | undefined {
  const real = (q: string) => {
    try {
      return fs.realpathSync(q);
    } catch {
      return path.resolve(q);
    }
  };
  const holds = (outer: string, inner: string) => inner === outer || inner.startsWith(outer === '/' ? '/' : `${outer}/`);
  if (NEVER.includes(p)) return 'it is a system folder';
  for (const raw of [...protectedPaths.private, ...protectedPaths.holding, os.tmpdir()]) {
    const q = real(raw);
    if (holds(p, q)) return `it holds ${q}`;
  }
  for (const raw of protectedPaths.private) {
    const q = real(raw);
    if (holds(q, p)) return `it is inside ${q}`;
  }
  // The bot's sandbox folders (their gateway socket among them).
  if (path.basename(path.dirname(p)) === path.basename(os.tmpdir()) && path.basename(p).startsWith('copilot-threads-sandbox-')) return "it is the bot's sandbox folder";
  return undefined;
}

/** The hosts the runtime reaches the remote servers at (sandboxed: through the gateway, by these names). */
export function mcpHosts(config: McpConfig): string[] {
  return mcpHostsOf(config.servers);
}

/**
 * COPILOT_TOOLS_APPROVAL's `mcp:` entries (`mcp:none`: no MCP tool asks; with servers and an
 * explicit list, one must be there, or every MCP tool would run unasked without anyone saying so): `mcp:*`, `mcp:NAME`, `mcp:NAME/*`, `mcp:NAME/TOOL`, each
 * naming a server of MCP_CONFIG (a misspelt one would let that server's tools run unasked).
 * Returns the first problem, or undefined.
 */
export function mcpApprovalProblem(entries: readonly string[], config: McpConfig): string | undefined {
  const names = config.servers.map((s) => s.name);
  if (names.length && entries.length && !entries.some((e) => e.startsWith('mcp:'))) {
    return 'names no MCP tools, so every tool of MCP_CONFIG\'s servers would run unasked: add mcp:* (ask before each), mcp:SERVER/TOOL (ask before some) or mcp:none (ask before none)';
  }
  for (const entry of entries) {
    if (!entry.startsWith('mcp:')) continue;
    if (entry === 'mcp:none') continue;
    // `*` stands only for a whole part (mcp:weather/fore* would match nothing, and let every tool run unasked).
    const m = /^mcp:(\*|[A-Za-z0-9_-]+)(?:\/(\*|[^/\s*]+))?$/.exec(entry);
    if (!m || (m[1] === '*' && m[2] !== undefined)) return `"${entry}" is not an MCP pattern: write mcp:*, mcp:SERVER, mcp:SERVER/* or mcp:SERVER/TOOL (or mcp:none)`;
    if (m[1] !== '*' && !names.includes(m[1]!)) {
      const near = closest(m[1]!, names);
      return `"${entry}" names no server of MCP_CONFIG${near ? ` (did you mean mcp:${near}?)` : names.length ? ` (its servers: ${names.join(', ')})` : ' (MCP_CONFIG has none)'}`;
    }
  }
  return undefined;
}
