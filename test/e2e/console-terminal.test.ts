/** The console chat at a real (pseudo-)terminal: spinner, rendered Markdown, line editing and history, NO_COLOR, quiet logs. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoReply, toolScript } from '../../testkit/model-server.js';
import { processFixture, runEntry, type ProcessFixture } from '../../testkit/process.js';
import { onTerminal, plain } from '../../testkit/terminal.js';

let fx: ProcessFixture;
beforeAll(async () => {
  fx = await processFixture();
  fx.model.script((req) =>
    req.userTexts.at(-1) === 'plan'
      ? { kind: 'text', text: '# The plan\n\nUse **bold** moves and `small` steps.\n\n```sh\necho ship-it\n```\n\nThat is all.', pieceDelayMs: 30 }
      : echoReply(req),
  );
});
afterAll(() => fx.close());

const chat = (thread: string, env: NodeJS.ProcessEnv, steps: Parameters<typeof onTerminal>[2]) =>
  onTerminal(['src/bin/chat.ts', '--thread', thread, '--user', 'ana'], env, steps);

const SGR = /\x1b\[[0-9;]*m/; // eslint-disable-line no-control-regex

describe('console chat on a terminal', () => {
  it('spins while Copilot works, renders its Markdown, and recalls earlier lines with ↑ (kept across runs)', async () => {
    const { NO_COLOR: _, ...colourful } = fx.env;
    const env = { ...colourful, LOG_LEVEL: 'debug' };
    const first = await chat('term', env, [{ wait: 'you ›', send: '/help\r' }, { wait: 'you ›', send: 'plan\r' }, { wait: 'you ›', send: '/quit\r' }]);
    expect(first.code).toBe(0);
    expect(first.output).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Copilot is thinking…/);
    const text = plain(first.output);
    expect(text).toContain('copilot ›');
    expect(text).toContain('echo ship-it');
    // Rendered, not raw: no Markdown markers left, and the terminal got styling codes instead.
    expect(text).not.toContain('**bold**');
    expect(text).not.toContain('```');
    expect(text).toMatch(/Use bold moves and small steps/);
    expect(first.output).toMatch(SGR);
    // Text with line breaks keeps them (help was once one run-together paragraph).
    // Each command as it is typed here, with its slash.
    expect(text).toMatch(/Commands \(in a thread\):\n• \/history \[page\]: [^\n]*\n• \/forget: /);
    // Logs stay at warn whatever LOG_LEVEL says: nothing at info or debug reached the terminal.
    expect(first.output).not.toMatch(/"level":"(debug|info)"/);
    expect(fs.readFileSync(path.join(fx.dir, 'copilot', 'console-history'), 'utf8')).toContain('plan');

    // A new run: ↑ brings back the line typed last time; Enter sends it again.
    const asked = fx.model.requests.filter((r) => r.userTexts.at(-1) === 'plan').length;
    const second = await chat('term', env, [{ wait: 'you ›', send: '\x1b[A' }, { wait: 'plan', send: '\r' }, { wait: 'That is all', send: '/quit\r' }]);
    expect(second.code).toBe(0);
    expect(fx.model.requests.filter((r) => r.userTexts.at(-1) === 'plan').length).toBe(asked + 1);
  });

  it('asks for a tool approval at the prompt, and goes on once answered', async () => {
    const previous = fx.model.script(toolScript);
    try {
      const out = await chat('tty-tools', { ...fx.env, COPILOT_TOOLS: 'bash' }, [
        { wait: 'you ›', send: 'run ttyyes\r' },
        { wait: 'Allow it?', send: 'y\r' },
        { wait: 'you ›', send: '/quit\r' },
      ]);
      expect(out.code).toBe(0);
      expect(plain(out.output)).toContain('tool answer: made-ttyyes');
    } finally {
      fx.model.script(previous);
    }
  });

  it('runs the thread’s schedules while the chat is open: the prompt shown as it runs, then its answer; listed with the others', async () => {
    const out = await chat('sched', { ...fx.env, NO_COLOR: '1' }, [
      { wait: 'you ›', send: 'schedule "in 2s" status of the nightly build?\r' },
      { wait: 'Scheduled', send: 'schedule "every 6h in Europe/Paris" anything new?\r' },
      { wait: 'first on', send: '' },
      // The run comes on its own time: maybe before the line above was answered.
      { wait: 'you said: status of the nightly build?', new: false, send: '/schedules\r' },
      // The list and the next prompt may come in one read: quit on the list.
      { wait: 'Schedules of this thread', send: '/quit\r' },
    ]);
    expect(out.code).toBe(0);
    const text = plain(out.output);
    expect(text).toMatch(/⏰ scheduled `[a-f0-9]{8}` \(once\) › status of the nightly build\?/);
    expect(text).toMatch(/Schedules of this thread\*?\*? \(1\)[\s\S]*every 6h · next [^\n]*\(Europe\/Paris\)/);
    // The one-off ran once and is done; the other stays for the next chat.
    expect(fx.model.requests.filter((r) => r.userTexts.at(-1) === 'status of the nightly build?')).toHaveLength(1);
  });

  it('honours NO_COLOR: no colour codes, the Markdown laid out as plain text', async () => {
    const out = await chat('mono', { ...fx.env, NO_COLOR: '1' }, [{ wait: 'you ›', send: 'plan\r' }, { wait: 'That is all', send: '/quit\r' }]);
    expect(out.code).toBe(0);
    expect(out.output).not.toMatch(SGR);
    expect(plain(out.output)).toContain('Use bold moves and small steps.');
    expect(plain(out.output)).toContain('\n  echo ship-it\n');
    expect(plain(out.output)).not.toMatch(/\*\*|```/);
  });
});

describe('admin CLI on a terminal', () => {
  it('colours its tables on a terminal only, and not with NO_COLOR', async () => {
    const { NO_COLOR: _, ...env } = fx.env;
    const coloured = await onTerminal(['src/bin/cli.ts', 'sessions'], env, []);
    expect(coloured.code).toBe(0);
    expect(plain(coloured.output)).toMatch(/SESSION\s+PLATFORM/);
    expect(coloured.output).toMatch(SGR);
    const mono = await onTerminal(['src/bin/cli.ts', 'sessions'], { ...fx.env, NO_COLOR: '1' }, []);
    expect(plain(mono.output)).toMatch(/SESSION\s+PLATFORM/);
    expect(mono.output).not.toMatch(SGR);
  });
});

describe('logs of an entry point', () => {
  it('are readable lines at a terminal, JSON lines with LOG_FORMAT=json or when not a terminal', async () => {
    // A .env with a slip in it: the CLI warns about it, a line to look at.
    const envFile = path.join(fs.mkdtempSync(path.join(fx.dir, 'logs-')), '.env');
    fs.writeFileSync(envFile, 'COPILOT_MODLE=x\n');
    const { NO_COLOR: _, ...rest } = fx.env;
    const env = { ...rest, DOTENV_CONFIG_PATH: envFile };
    const pretty = await onTerminal(['src/bin/cli.ts', 'list'], env, []);
    expect(pretty.code).toBe(0);
    expect(plain(pretty.output)).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: \.env: COPILOT_MODLE is not a setting/m);
    expect(pretty.output).toMatch(SGR);
    expect(pretty.output).not.toContain('{"level"');
    const json = await onTerminal(['src/bin/cli.ts', 'list'], { ...env, LOG_FORMAT: 'json' }, []);
    expect(json.code).toBe(0);
    expect(plain(json.output)).toMatch(/^\{"level":"warn",.*"msg":"\.env: COPILOT_MODLE/m);
    const piped = await runEntry(['src/bin/cli.ts', 'list'], env);
    expect(piped.stderr).toMatch(/^\{"level":"warn",.*"msg":"\.env: COPILOT_MODLE/m);
  });
});
