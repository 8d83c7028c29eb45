/**
 * MCP_CONFIG on the built entry points, both adapters on: a mistake stops the bot and the chat at
 * start with its file, line and key (and `config check` says the same); a running bot names each
 * server in /healthz (a broken one "down: …" while the bot stays ready) and a Slack thread's
 * question is answered with a server's tool, run in the sandbox. And REPOS_ALLOWED without git.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mention } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';
import { runBuilt, startStack, type Stack } from '../../testkit/bot-process.js';
import { freePort } from '../../testkit/process.js';
import { writeStdioServer } from '../../testkit/mcp-servers.js';
import { echoReply, textOf, type ModelScript } from '../../testkit/model-server.js';

let stack: Stack;
let file: string;
let serversDir: string;

/** `weather CITY` asks the weather server's forecast; its result is the answer. */
const script: ModelScript = (req) => {
  const last = req.messages.at(-1)!;
  if (last.role === 'tool') return { kind: 'text', text: `tool answer: ${textOf(last.content)}` };
  const said = req.userTexts.at(-1) ?? '';
  const city = /weather (\w+)/.exec(said)?.[1];
  return city ? { kind: 'tool', name: 'weather-forecast', args: { city } } : echoReply(req);
};

beforeAll(async () => {
  stack = await startStack({ script });
  fs.chmodSync(stack.dir, 0o755);
  file = path.join(stack.dir, 'mcp.json');
  serversDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-mcp-servers-'));
  fs.chmodSync(serversDir, 0o755);
});

afterAll(async () => {
  await stack.close();
  fs.rmSync(serversDir, { recursive: true, force: true });
});

describe('MCP_CONFIG on the built bot', () => {
  it('a mistake stops the bot and the chat at start with its file, line and key; config check names it too', async () => {
    fs.writeFileSync(file, '{\n  "servers": {\n    "weather": {\n      "comand": "node"\n    }\n  }\n}\n');
    const all = { ...stack.env, MCP_CONFIG: file, PORT: String(await freePort()) };
    const runs = await Promise.all([runBuilt('src/bin/bot.js', [], all), runBuilt('src/bin/chat.js', ['--thread', 'x'], all, 'hello\n'), runBuilt('src/bin/cli.js', ['config', 'check'], all)]);
    for (const run of runs) {
      expect(run.code).toBe(1);
      const lines = run.output.trim().split('\n').filter((l) => !l.startsWith('{'));
      expect(lines).toEqual([expect.stringMatching(/^copilot-threads( chat)?: MCP_CONFIG: \S+mcp\.json, line 4, servers\.weather\.comand: is not a setting \(did you mean command\?\)$/)]);
    }
    // A secret the file refers to but the bot's environment lacks: named, never guessed.
    fs.writeFileSync(file, JSON.stringify({ servers: { weather: { command: 'node', env: { KEY: '${env:WEATHER_KEY}' } } } }, null, 2));
    const missing = await runBuilt('src/bin/cli.js', ['config', 'check'], all);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/MCP_CONFIG: \S+mcp\.json, line 6, servers\.weather\.env\.KEY: \$\{env:WEATHER_KEY\}: WEATHER_KEY is not set in the bot's environment/);
  });

  it('REPOS_ALLOWED on a host without git stops the start in one line naming the setting', async () => {
    const run = await runBuilt('src/bin/bot.js', [], { ...stack.env, REPOS_ALLOWED: 'acme/*', PATH: path.join(stack.dir, 'no-programs-here'), PORT: String(await freePort()) });
    expect(run.code).toBe(1);
    expect(run.output.trim().split('\n').filter((l) => !l.startsWith('{'))).toEqual(['copilot-threads: REPOS_ALLOWED: repositories are fetched with git, which is not installed on this host (apt install git), or set REPOS_ALLOWED empty']);
  });

  it('/healthz names each server, a broken one down while the bot stays ready; a thread\'s question runs a server\'s tool', async () => {
    // Not in the bot's data folder (its store is there, which no server's files may hold or be in).
    const server = writeStdioServer(path.join(serversDir, 'weather'));
    fs.writeFileSync(file, JSON.stringify({ servers: { weather: { command: 'node', args: [server], env: { MCP_GREETING: '${env:WEATHER_GREETING}' } }, broken: { command: '/bin/false' } } }));
    const bot = await stack.startBot({ MCP_CONFIG: file, COPILOT_TOOLS_APPROVAL: 'none', WEATHER_GREETING: 'from-the-bot-env' });
    try {
      expect(bot.output()).toMatch(/"msg":"MCP servers"/);
      const health = (await (await fetch(`http://127.0.0.1:${stack.port}/healthz`)).json()) as { ok: boolean; mcp: Record<string, string> };
      expect(health.ok).toBe(true);
      expect(health.mcp.weather).toBe('ok');
      expect(health.mcp.broken).toMatch(/^down: /);
      const ts = `${Math.floor(Date.now() / 1000)}.000700`;
      await stack.slackEvent(mention('weather Lisbon', { ts }));
      await expect.poll(() => threadTexts(stack.slack, 'C222', ts).at(-1), { timeout: 30_000 }).toBe('tool answer: Sunny in Lisbon (from-the-bot-env)');
      // The secret's value is in no log line.
      expect(bot.output()).not.toContain('from-the-bot-env');
    } finally {
      bot.child.kill('SIGTERM');
      await bot.exited;
    }
  });
});
