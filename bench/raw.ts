/**
 * The raw Copilot SDK doing the same work as the product, the way its README shows: one client,
 * sessions created with an id, `sendAndWait`, `resumeSession`, `getEvents`. What every row
 * compares the product with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CopilotClient, type CopilotSession } from '@github/copilot-sdk';
import type { ModelServer } from '../testkit/model-server.js';

export interface Raw {
  client: CopilotClient;
  dir: string;
  create(id: string): Promise<CopilotSession>;
  resume(id: string): Promise<CopilotSession>;
  close(): Promise<void>;
}

export async function rawClient(model: ModelServer, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-bench-raw-'))): Promise<Raw> {
  const client = new CopilotClient({ mode: 'empty', baseDirectory: dir, useLoggedInUser: false, logLevel: 'error' });
  await client.start();
  const config = {
    model: 'test-model',
    provider: { type: 'openai' as const, baseUrl: model.url, apiKey: 'x' },
    availableTools: [],
    streaming: true,
    onPermissionRequest: () => ({ kind: 'reject' as const, feedback: 'no' }),
  };
  return {
    client,
    dir,
    create: (id) => client.createSession({ sessionId: id, ...config }),
    resume: (id) => client.resumeSession(id, config),
    async close() {
      await client.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One turn, waited for as the SDK's README does. */
export async function rawTurn(session: CopilotSession, prompt: string): Promise<string> {
  const reply = await session.sendAndWait({ prompt }, 60_000);
  return reply?.data.content ?? '';
}
