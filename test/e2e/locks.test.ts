/** One writer per session across processes: a second process never opens a thread another one holds. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionIdFor } from '../../src/core/thread.js';
import { localThread, startHarness, type Harness } from '../support/harness.js';

let h: Harness | undefined;
let other: ChildProcess | undefined;
afterEach(async () => {
  other?.kill('SIGKILL');
  await h?.close();
  h = other = undefined;
});

/** Another copilot-threads process on the same COPILOT_HOME that opens `thread` and keeps it open. */
function holdInAnotherProcess(env: Record<string, string>, name: string): Promise<ChildProcess> {
  const script = `
    import { createApp } from ${JSON.stringify(path.resolve('src/app.ts'))};
    import { loadConfig } from ${JSON.stringify(path.resolve('src/config.ts'))};
    import { silentLogger } from ${JSON.stringify(path.resolve('src/log.ts'))};
    const app = await createApp(loadConfig(process.env, { needModel: true }), silentLogger, 'bot');
    const reply = await app.conversation.handleMessage({ platform: 'local', workspace: 'team', channel: ${JSON.stringify(name)}, thread: ${JSON.stringify(name)}, user: 'ana' }, 'from the other process');
    process.stdout.write('READY ' + reply.text + '\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`holder exited early (${code}): ${out}`)));
  });
}

describe('session locks', () => {
  it('refuses a thread another process holds, leaves it intact, and takes over once that process is gone', async () => {
    h = await startHarness();
    other = await holdInAnotherProcess(h.env, 'shared');
    const thread = localThread('shared');
    const id = sessionIdFor(thread);

    const busy = await h.app.conversation.handleMessage(thread, 'me too');
    expect(busy).toMatchObject({ kind: 'error', text: expect.stringMatching(/open in another copilot-threads process \(bot, pid \d+\)/) });
    const forget = await h.app.conversation.handleMessage(thread, 'forget');
    expect(forget.text).toMatch(/open in another copilot-threads process/);
    expect(fs.existsSync(h.sessionDir(id))).toBe(true);
    // Other threads are not affected.
    expect((await h.app.conversation.handleMessage(localThread('mine'), 'hi')).text).toBe('you said: hi');

    other.kill('SIGKILL');
    await new Promise((r) => other!.once('exit', r));
    const after = await h.app.conversation.handleMessage(thread, 'after it died');
    expect(after).toMatchObject({ kind: 'answer', text: 'you said: after it died | earlier: from the other process' });
  });
});
