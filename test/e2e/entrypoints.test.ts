/**
 * The console chat and the bot process, run as separate processes like a user runs them (once:
 * what they keep in the store is the conversation's, run on every store elsewhere; the admin CLI,
 * which reads the store directly, is admin-cli.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEntryPoints } from '../../testkit/entry-points.js';
import { baseEnv, freePort, runEntry, startEntry, workspaceFile } from '../../testkit/process.js';
import { echoReply, toolScript } from '../../testkit/model-server.js';

const entry = useEntryPoints({ COPILOT_PROVIDER_API_KEY: 'sk-test-secret-value' });
const { chat, cli } = entry;

describe('console chat (npm run chat -- --thread NAME)', () => {
  it('chats in a named thread and continues it after the process restarts', async () => {
    const first = await chat('hello there\n/history\n/help\n/quit\n');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('session local-ana-demo');
    // Piped, the output is a transcript: one speaker per line, plain text (no Markdown marks).
    expect(first.stdout).toContain('you › hello there\ncopilot › you said: hello there\n');
    expect(first.stdout).toMatch(/you › \/history\nbot › [^\n]*\n(.*\n)*user: hello there/);
    expect(first.stdout).not.toMatch(/\*\*|`/);
    // Help names each command as it is typed here, with its slash, and the console's own.
    expect(first.stdout).toContain('• /history [page]: ');
    expect(first.stdout).toContain('• /forget: ');
    expect(first.stdout).toContain('• /attach PATH: ');

    const second = await chat('and again\n');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('copilot › you said: and again | earlier: hello there');
    expect(second.stdout + second.stderr).not.toContain('sk-test-secret-value');
  });

  it('forgets a thread on /forget, after a [y/N] question', async () => {
    await chat('keep this\n', 'temp');
    // Asked first: anything but y keeps the thread.
    const kept = await chat('/forget\n\nstill here\n', 'temp');
    expect(kept.stdout).toContain("Forget this thread's Copilot session for good? [y/N] \nbot › Nothing forgotten.");
    expect(kept.stdout).toContain('copilot › you said: still here | earlier: keep this');
    const out = await chat('/forget\ny\nnew start\n', 'temp');
    expect(out.stdout).toContain("Forget this thread's Copilot session for good? [y/N] y\n");
    expect(out.stdout).toContain('Forgotten');
    expect(out.stdout).toContain('copilot › you said: new start\n');
  });

  it('shows the operator at the console why a turn failed, not only its ref', async () => {
    const previous = entry.fx.model.script((req) => (req.userTexts.at(-1) === 'break please' ? { kind: 'error', status: 400, message: 'model gpt-nope does not exist' } : echoReply(req)));
    try {
      const out = await chat('break please\n', 'reasons');
      expect(out.stdout).toMatch(/error › ⚠️ Copilot could not answer this time \(ref [0-9a-f]{8}\)/);
      expect(out.stdout).toMatch(/\n {2}reason: .*model gpt-nope does not exist/);
    } finally {
      entry.fx.model.script(previous);
    }
  });

  it('sends a file named with /attach along with the next message, and names what it cannot read', async () => {
    const log = path.join(entry.dir, 'build.log');
    fs.writeFileSync(log, 'step 3 failed: exit 137\n');
    fs.writeFileSync(path.join(entry.dir, 'scan.pdf'), '%PDF-1.4');
    const out = await chat(`/attach ${log}\n/attach ${path.join(entry.dir, 'scan.pdf')}\n/attach ${path.join(entry.dir, 'nope.txt')}\nwhy did it fail?\n`, 'files');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('bot › Attached build.log (1 KB): it goes with your next message.');
    expect(out.stdout).toContain(`bot › There is no file at ${path.join(entry.dir, 'nope.txt')}.`);
    expect(out.stdout).toContain("bot › I couldn't read scan.pdf: PDF isn't supported yet (pictures and text files are).");
    const asked = JSON.stringify(entry.fx.model.requests.at(-1)!.messages.at(-1));
    expect(asked).toContain('step 3 failed: exit 137');
    expect(asked).toContain('why did it fail?');
  });
});

describe('console chat: tool approval on the terminal (y/N/a)', () => {
  it('asks before each bash use: y runs it, Enter denies, a allows it for the rest of the thread; the CLI shows the record', async () => {
    const previous = entry.fx.model.script(toolScript);
    try {
      const out = await runEntry(
        ['src/bin/chat.ts', '--thread', 'tools', '--user', 'ana'],
        { ...entry.env, COPILOT_TOOLS: 'bash' },
        'run cyes\ny\nrun cno\n\nrun calways\na\nrun cagain\n/quit\n',
      );
      expect(out.code).toBe(0);
      const workspace = path.join(entry.dir, 'copilot', 'workspace');
      expect(out.stdout.match(/Allow it\? \[y\]es once \/ \[N\]o \/ \[a\]lways for me in this thread/g)).toHaveLength(3);
      expect(out.stdout).toContain('echo made-cyes > cyes.txt && cat cyes.txt');
      expect(out.stdout).toContain('copilot › tool answer: made-cyes');
      expect(out.stdout).toMatch(/Denied by ana/);
      expect(out.stdout).toMatch(/tool answer: .*denied permission to use bash/);
      expect(out.stdout).toContain('copilot › tool answer: made-cagain');
      expect(fs.existsSync(workspaceFile(workspace, 'cyes.txt'))).toBe(true);
      expect(fs.existsSync(workspaceFile(workspace, 'cno.txt'))).toBe(false);
      expect(fs.existsSync(workspaceFile(workspace, 'cagain.txt'))).toBe(true);

      const show = await cli('sessions', 'show', 'local-ana-tools');
      expect(show.stdout).toMatch(/tool approvals\s+4 \(approved 1, denied 1, always 1, granted 1\)/);
      expect(show.stdout).toMatch(/🔐 bash `echo made-cno[^`]*` asked by ana: 🚫 denied by ana at \d\d:\d\d UTC · digest [0-9a-f]{12}/);
    } finally {
      entry.fx.model.script(previous);
    }
  });
});

describe('console chat: a command the card cannot show as it is', () => {
  it('prints the whole exact text with every escape made visible, and says why', async () => {
    const previous = entry.fx.model.script(toolScript);
    try {
      const command = `echo ok\u001b[1A\u001b[2K\r${' '.repeat(30)}; echo sneaky > sneaky.txt`;
      const out = await runEntry(['src/bin/chat.ts', '--thread', 'exact', '--user', 'ana'], { ...entry.env, COPILOT_TOOLS: 'bash' }, `exact ${Buffer.from(command).toString('hex')}\n\n/quit\n`);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('Read the whole text below before deciding');
      expect(out.stdout).toContain('exactly, in full:\n  echo ok\\e[1A\\e[2K\\r⟨30 blank characters⟩; echo sneaky > sneaky.txt');
      // No raw escape reached the terminal from the card.
      // eslint-disable-next-line no-control-regex -- the escape character itself is what must not be there
      expect(out.stdout.split('exactly, in full:')[1]!.split('Allow it?')[0]).not.toMatch(/\u001b/);
      expect(fs.existsSync(workspaceFile(path.join(entry.dir, 'copilot', 'workspace'), 'sneaky.txt'))).toBe(false);
    } finally {
      entry.fx.model.script(previous);
    }
  });
});

describe('bot process (npm start)', () => {
  it('stops at start with one line naming a bad key', async () => {
    const bad = await runEntry(['src/bin/bot.ts'], { ...entry.env, TURN_TIMEOUT_SECONDS: 'forever' });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('copilot-threads: invalid configuration: TURN_TIMEOUT_SECONDS: must be a whole number (got "forever")');
    const missing = await runEntry(['src/bin/bot.ts'], baseEnv({}));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('COPILOT_GITHUB_TOKEN');
  });

  it('serves /healthz once ready and shuts down cleanly on SIGTERM', async () => {
    const port = await freePort();
    const bot = startEntry(['src/bin/bot.ts'], { ...entry.env, PORT: String(port), LOG_LEVEL: 'info' });
    await expect
      .poll(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status, { timeout: 30_000, interval: 200 })
      .toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(bot.output()).toContain('"msg":"stopped"');
    expect(bot.output()).not.toContain('sk-test-secret-value');
  });
});
