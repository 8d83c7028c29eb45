/**
 * COPILOT_TOOLS is checked against `BUILT_IN_TOOLS`; that list must hold every tool the runtime we
 * ship really has, or a valid setting would be refused. Asked of the real runtime (no model needed).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CopilotClient } from '@github/copilot-sdk';
import { expect, it } from 'vitest';
import { BUILT_IN_TOOLS } from '../../../src/domain.js';

it('every tool the runtime lists is one COPILOT_TOOLS accepts', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tools-home-'));
  const client = new CopilotClient({ logLevel: 'error', env: { PATH: process.env.PATH, HOME: home, COPILOT_HOME: home } });
  try {
    await client.start();
    const { tools } = await client.rpc.tools.list({});
    const names = tools.map((t) => t.name);
    expect(names).toContain('bash');
    expect(names.filter((n) => !(BUILT_IN_TOOLS as readonly string[]).includes(n))).toEqual([]);
  } finally {
    await client.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
});
