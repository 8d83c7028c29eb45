/**
 * A Copilot (GitHub token) set-up, at the SDK boundary: the token goes with every session the
 * runtime is asked to create (the runtime's `empty` mode counts the session's identity, not the
 * process's), and into no environment a tool could read. No GitHub here: session creation is
 * stopped at the SDK's door, and the runtime's proxy is a listener on 127.0.0.1 that records
 * any attempt to go out (there must be none). The sandboxed path (tools on, sealed) reaches
 * GitHub through the gateway, so it is checked as the pure function that builds its credentials.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CopilotClient, type SessionConfig } from '@github/copilot-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { sessionCredentials } from '../../src/agent/copilot/credentials.js';
import { silentLogger } from '../../src/infra/log.js';
import { localThread } from '../../testkit/harness.js';

const TOKEN = 'ghu_test_token_never_sent_anywhere';
let proxy: net.Server;
const attempts: string[] = [];
const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };

beforeAll(async () => {
  proxy = net.createServer((socket) => {
    socket.once('data', (d: Buffer) => attempts.push(d.toString().split('\r\n')[0] ?? ''));
    socket.destroy();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  // The runtime is given the bot's proxy settings: here, a recorder on loopback.
  const url = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  Object.assign(process.env, { HTTPS_PROXY: url, HTTP_PROXY: url, NO_PROXY: '' });
});

afterAll(() => {
  proxy.close();
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
});

let app: App | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await app?.shutdown(0);
  app = undefined;
});

describe.each([
  ['tools off', {}],
  ['tools on, TOOLS_SANDBOX=off', { COPILOT_TOOLS: 'bash', TOOLS_SANDBOX: 'off', COPILOT_TOOLS_APPROVAL: 'none' }],
])('a Copilot token, %s', (_name, extra) => {
  it('goes with the session the runtime is asked for, and is in no process environment', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-token-'));
    const asked: SessionConfig[] = [];
    const stop = async (config: SessionConfig) => {
      asked.push(config);
      throw new Error('stopped at the SDK boundary (no GitHub in tests)');
    };
    vi.spyOn(CopilotClient.prototype, 'createSession').mockImplementation(stop);
    vi.spyOn(CopilotClient.prototype, 'resumeSession').mockImplementation(((_id: string, config: SessionConfig) => stop(config)));
    const config = loadConfig(
      { COPILOT_GITHUB_TOKEN: TOKEN, COPILOT_HOME: path.join(dir, 'home'), STORE_URL: `sqlite://${path.join(dir, 'store.sqlite')}`, ...extra },
      { needModel: true },
    );
    app = await createApp(config, silentLogger, 'chat');
    const reply = await app.conversation.handleMessage(localThread('token'), 'hello');
    expect(reply.kind).toBe('error');
    expect(asked.length).toBeGreaterThan(0);
    for (const c of asked) expect(c.gitHubToken).toBe(TOKEN);
    // The runtime process was not handed the token in its environment (a tool would inherit it).
    const pid = app.agent.runtimePid!;
    expect(fs.readFileSync(`/proc/${pid}/environ`, 'utf8')).not.toContain(TOKEN);
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(TOKEN);
    expect(attempts).toEqual([]);
  });
});

describe('session credentials', () => {
  it('a Copilot token goes with the session, sandboxed or not; a provider key stays behind the gateway when there is one', () => {
    const github = { kind: 'github' as const, token: TOKEN };
    expect(sessionCredentials(github, undefined)).toEqual({ gitHubToken: TOKEN });
    expect(sessionCredentials(github, { url: 'http://127.0.0.1:9/gw', token: 'gw' })).toEqual({ gitHubToken: TOKEN });
    const byok = { kind: 'provider' as const, type: 'openai' as const, baseUrl: 'https://llm.example/v1', apiKey: 'sk-real' };
    expect(sessionCredentials(byok, undefined)).toEqual({ provider: { type: 'openai', baseUrl: 'https://llm.example/v1', apiKey: 'sk-real' } });
    expect(sessionCredentials(byok, { url: 'http://127.0.0.1:9/gw', token: 'gw' })).toEqual({ provider: { type: 'openai', baseUrl: 'http://127.0.0.1:9/gw/model', apiKey: 'gw' } });
    expect(sessionCredentials(undefined, undefined)).toEqual({});
  });
});
