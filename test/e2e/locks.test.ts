/**
 * One writer per session across processes on one host, and nobody turned away: a process that
 * needs a thread another one holds waits for it, the holder lets go when its turn ends, and every
 * answer sees every earlier turn, whichever process ran it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionIdFor } from '../../src/core/thread.js';
import { localThread, startHarness, type Harness } from '../../testkit/harness.js';

let h: Harness | undefined;
let other: Other | undefined;
afterEach(async () => {
  other?.child.kill('SIGCONT');
  other?.child.kill('SIGKILL');
  await h?.close();
  h = other = undefined;
});

interface Other {
  child: ChildProcess;
  /** Sends a message in `thread` from the other process; resolves with its answer. */
  say(text: string): Promise<string>;
}

/** Another copilot-threads process on the same COPILOT_HOME, answering lines of stdin in `name`. */
function anotherProcess(env: Record<string, string>, name: string): Promise<Other> {
  const script = `
    import readline from 'node:readline';
    import { createApp } from ${JSON.stringify(path.resolve('src/app.ts'))};
    import { loadConfig } from ${JSON.stringify(path.resolve('src/config.ts'))};
    import { silentLogger } from ${JSON.stringify(path.resolve('src/infra/log.ts'))};
    const app = await createApp(loadConfig(process.env, { needModel: true }), silentLogger, 'bot');
    const thread = { platform: 'local', workspace: 'team', channel: ${JSON.stringify(name)}, thread: ${JSON.stringify(name)}, user: 'ana' };
    process.stdout.write('STARTED\\n');
    for await (const line of readline.createInterface({ input: process.stdin })) {
      const reply = await app.conversation.handleMessage(thread, line);
      // What the turn writes behind it is written before the answer is out (a test freezes this process right after).
      await Promise.all([app.audit.flush(), app.usage.flush()]);
      process.stdout.write('REPLY ' + reply.text + '\\n');
    }
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const waiters: Array<(line: string) => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      waiters.shift()?.(line);
    }
  });
  const next = () => new Promise<string>((resolve) => waiters.push(resolve));
  const started = next();
  return started.then(() => ({
    child,
    say(text) {
      const reply = next();
      child.stdin.write(`${text}\n`);
      return reply.then((line) => line.replace(/^REPLY /, ''));
    },
  }));
}

describe('one thread, two processes', () => {
  it('messages alternating between them all get answers that see every earlier turn', async () => {
    h = await startHarness();
    other = await anotherProcess(h.env, 'shared');
    const thread = localThread('shared');
    const mine = (text: string) => h!.app.conversation.handleMessage(thread, text).then((r) => r.text);

    expect(await other.say('one')).toBe('you said: one');
    // The other process keeps the session open (idle) until someone else needs it.
    expect(await mine('two')).toBe('you said: two | earlier: one');
    expect(await other.say('three')).toBe('you said: three | earlier: one; two');
    expect(await mine('four')).toBe('you said: four | earlier: one; two; three');
    // Other threads are not affected, and forgetting waits for the holder too.
    expect(await h.app.conversation.handleMessage(localThread('mine'), 'hi')).toMatchObject({ text: 'you said: hi' });
    expect(await other.say('five')).toBe('you said: five | earlier: one; two; three; four');
    const forgotten = await h.app.conversation.handleMessage(thread, 'forget');
    expect(forgotten.kind).toBe('forgotten');
    expect(fs.existsSync(h.sessionDir(sessionIdFor(thread)))).toBe(false);
    expect(await other.say('six')).toBe('you said: six');
  });

  it('a holder that never lets go (frozen) gets "busy" only after the turn timeout, and is taken over once gone', async () => {
    h = await startHarness({ env: { TURN_TIMEOUT_SECONDS: '2' } });
    other = await anotherProcess(h.env, 'frozen');
    const thread = localThread('frozen');
    expect(await other.say('from the other process')).toBe('you said: from the other process');
    other.child.kill('SIGSTOP');

    const busy = await h.app.conversation.handleMessage(thread, 'me too');
    expect(busy).toMatchObject({ kind: 'error', text: expect.stringMatching(/open in another copilot-threads process \(bot, pid \d+\)/) });
    expect(fs.existsSync(h.sessionDir(sessionIdFor(thread)))).toBe(true);

    other.child.kill('SIGKILL');
    await new Promise((r) => other!.child.once('exit', r));
    const after = await h.app.conversation.handleMessage(thread, 'after it died');
    expect(after).toMatchObject({ kind: 'answer', text: 'you said: after it died | earlier: from the other process' });
  });
});
