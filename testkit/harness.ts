/**
 * An app as the bot runs it (real store, real Copilot runtime) against the local model server,
 * in a temp folder. `restart()` stops everything and starts a new process-equivalent on the
 * same folders, as a deploy would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger, silentLogger } from '../src/infra/log.js';
import type { ThreadRef } from '../src/core/thread.js';
import { testNamespace, testStoreUrl } from './services.js';
import { testLogDestination } from './test-log.js';
import { startModelServer, type ModelScript, type ModelServer } from './model-server.js';

export interface Harness {
  model: ModelServer;
  dir: string;
  config: Config;
  app: App;
  env: Record<string, string>;
  restart(): Promise<App>;
  sessionDir(id: string): string;
  close(): Promise<void>;
}

export async function startHarness(options: { env?: Record<string, string>; script?: ModelScript } = {}): Promise<Harness> {
  const model = await startModelServer(options.script);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copilot-threads-'));
  const env: Record<string, string> = {
    COPILOT_PROVIDER_TYPE: 'openai',
    COPILOT_PROVIDER_BASE_URL: model.url,
    COPILOT_PROVIDER_API_KEY: 'test-key',
    COPILOT_MODEL: 'test-model',
    COPILOT_HOME: path.join(dir, 'copilot'),
    STORE_URL: testStoreUrl(dir),
    STORE_NAMESPACE: testNamespace(),
    // Bursts from one person are what many tests send; the limit has tests of its own.
    USER_MESSAGES_PER_MINUTE: '0',
    ...options.env,
  };
  const config = loadConfig(env, { needModel: true });
  const logger = testLogger();
  const h: Harness = {
    model,
    dir,
    config,
    env,
    app: await createApp(config, logger),
    async restart() {
      await h.app.shutdown(5000);
      h.app = await createApp(config, logger);
      return h.app;
    },
    sessionDir: (id) => path.join(config.copilotHome, 'session-state', id),
    async close() {
      await h.app.shutdown(0).catch(() => undefined);
      await model.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** TEST_LOG_LEVEL=debug shows what the app logs while a test runs; otherwise it is kept and shown only if the test fails. */
export function testLogger() {
  if (process.env.TEST_LOG_LEVEL) return createLogger(process.env.TEST_LOG_LEVEL as 'debug');
  const kept = testLogDestination();
  return kept ? createLogger('debug', kept) : silentLogger;
}

export function localThread(name: string, user = 'ana'): ThreadRef {
  return { platform: 'local', workspace: 'team', channel: name, thread: name, user };
}

export function slackThread(ts: string, user = 'U1', team = 'T1', channel = 'C1'): ThreadRef {
  return { platform: 'slack', workspace: team, channel, thread: ts, user };
}
