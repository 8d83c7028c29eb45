/**
 * Tools never reach the bot's secrets: with `bash` enabled, the model server scripts commands that
 * try to read the bot's environment, its `.env`, the store file and another thread's session, and
 * the answers show they are simply not there. The workspace still works, and sessions written
 * before tools were enabled continue in the sandbox.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionIdFor } from '../../src/core/thread.js';
import { localThread, startHarness, type Harness } from '../support/harness.js';
import { echoReply, textOf, type ModelScript } from '../support/model-server.js';
import { TEST_STORE } from '../support/services.js';
import { processesNaming } from '../support/process.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** `sh <command>` runs it with bash; the tool's output comes back as `OUT: <output>`. */
const shell: ModelScript = (req) => {
  const last = req.messages.at(-1)!;
  if (last.role === 'tool') return { kind: 'text', text: `OUT: ${textOf(last.content)}` };
  const said = req.userTexts.at(-1) ?? '';
  if (said.startsWith('sh ')) return { kind: 'tool', name: 'bash', args: { command: said.slice(3), description: 'probe' } };
  return echoReply(req);
};

const SECRET = 'sk-bot-only-secret-4242';

describe('the tool sandbox (TOOLS_SANDBOX, default on)', () => {
  it('a shell tool cannot read the bot process, its .env, the store, COPILOT_HOME or another session', async () => {
    h = await startHarness({ env: { COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none', COPILOT_PROVIDER_API_KEY: SECRET }, script: shell });
    const c = h.app.conversation;
    fs.writeFileSync(path.join(h.dir, '.env'), `COPILOT_PROVIDER_API_KEY=${SECRET}\nSLACK_BOT_TOKEN=xoxb-secret\n`);
    // Another thread, with something private in its session.
    const other = localThread('private-thread', 'bob');
    expect((await c.handleMessage(other, 'my password is hunter2')).text).toMatch(/^you said/);
    const otherState = path.join(h.config.copilotHome, 'session-state', sessionIdFor(other));
    expect(fs.readFileSync(path.join(otherState, 'events.jsonl'), 'utf8')).toContain('hunter2');

    const thread = localThread('prober', 'mallory');
    const run = async (command: string) => (await c.handleMessage(thread, `sh ${command}`)).text;
    // The bot's process is not in the tool's process table; what is there carries no secret.
    expect(await run(`cat /proc/${process.pid}/environ; echo; echo exit=$?`)).toMatch(/No such file or directory/);
    expect(await run(`cat /proc/*/environ | tr '\\0' '\\n'; ls /proc | grep -E '^[0-9]+$' | wc -l`)).not.toContain(SECRET);
    expect(await run('env')).not.toMatch(new RegExp(`${SECRET}|test-key|STORE_URL|SLACK`));
    // The bot's files are not there at all.
    for (const file of [path.join(h.dir, '.env'), path.join(process.cwd(), 'package.json'), path.join(otherState, 'events.jsonl')]) {
      const out = await run(`cat ${file}`);
      expect(out).toMatch(/No such file or directory/);
      expect(out).not.toMatch(/hunter2|sk-bot-only|xoxb/);
    }
    if (TEST_STORE === 'sqlite') expect(await run(`ls -la ${path.join(h.dir, 'store.sqlite')}`)).toMatch(/No such file or directory/);
    expect(await run(`ls ${path.join(h.config.copilotHome, 'session-state')}`)).toMatch(/No such file or directory/);
    // Of COPILOT_HOME, only the workspace and the runtime's scratch home exist in there.
    expect((await run(`ls -1 ${h.config.copilotHome}`)).replace(/<shellId[^>]*>/, '').trim()).toBe('OUT: runtime-home\nworkspace');
    // The model key is not even in the runtime's memory (the bot's proxy puts it in), while the
    // model's name, which is, is found the same way.
    const scan = (needle: string) =>
      run(`python3 -c "
import sys
needle = bytes.fromhex(sys.argv[1]); found = 0
mem = open('/proc/1/mem', 'rb', 0)
for line in open('/proc/1/maps').read().splitlines():
    start, end = (int(x, 16) for x in line.split()[0].split('-'))
    if 'r' not in line.split()[1]: continue
    try:
        mem.seek(start); found += needle in mem.read(min(end - start, 1 << 26))
    except Exception: pass
print('found', found)
" ${Buffer.from(needle).toString('hex')}`);
    expect(await scan(SECRET)).toMatch(/found 0\b/);
    expect(await scan('test-model')).toMatch(/found [1-9]/);
    // Nor can it make itself a way out.
    expect(await run('mount -t tmpfs x /tmp 2>&1; unshare -m true 2>&1; grep Cap /proc/self/status')).toMatch(/CapEff:\s+0+\b/);

    // The workspace is there, read-write, and the thread itself goes on.
    expect(await run('echo made > inside.txt && cat inside.txt && pwd')).toContain(`made\n${path.join(h.config.copilotHome, 'workspace')}`);
    expect(fs.readFileSync(path.join(h.config.copilotHome, 'workspace', 'inside.txt'), 'utf8')).toBe('made\n');
    expect((await c.handleMessage(other, 'and now?')).text).toBe('you said: and now? | earlier: my password is hunter2');
  });

  it('a session written before tools were enabled continues in the sandbox, and back', async () => {
    h = await startHarness({ env: { TOOLS_SANDBOX: 'on' }, script: shell });
    const thread = localThread('upgrade', 'ana');
    await h.app.conversation.handleMessage(thread, 'before tools');
    // Restart with tools (sandboxed: the session goes through the bot's sessionFs), then without.
    await h.app.shutdown(5000);
    const { createApp } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const { testLogger } = await import('../support/harness.js');
    const withTools = loadConfig({ ...h.env, COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none' }, { needModel: true });
    h.app = await createApp(withTools, testLogger());
    expect((await h.app.conversation.handleMessage(thread, 'with tools')).text).toBe('you said: with tools | earlier: before tools');
    expect((await h.app.conversation.handleMessage(thread, 'sh echo from-the-sandbox')).text).toContain('OUT: from-the-sandbox');
    await h.app.shutdown(5000);
    h.app = await createApp(h.config, testLogger());
    expect((await h.app.conversation.handleMessage(thread, 'without again')).text).toMatch(/^you said: without again \| earlier: before tools; with tools; sh echo from-the-sandbox/);
    const history = await h.app.conversation.runCommand(thread, { kind: 'history', page: 0 });
    expect(history.kind === 'history' && history.transcript).toContain('from-the-sandbox');
  });

  it('file tools work on the workspace in the sandbox (create, edit, grep, glob), and nowhere else', async () => {
    h = await startHarness({
      env: { COPILOT_TOOLS: 'create,edit,grep,glob', COPILOT_TOOLS_APPROVAL: 'none' },
      script: (req) => {
        const last = req.messages.at(-1)!;
        if (last.role === 'tool') return { kind: 'text', text: `OUT: ${textOf(last.content)}` };
        const [name = '', ...rest] = (req.userTexts.at(-1) ?? '').split(' ');
        return { kind: 'tool', name, args: JSON.parse(rest.join(' ')) as Record<string, unknown> };
      },
    });
    const workspace = path.join(h.config.copilotHome, 'workspace');
    const c = h.app.conversation;
    const thread = localThread('files', 'ana');
    expect((await c.handleMessage(thread, `create {"path":"${workspace}/notes.md","file_text":"alpha beta"}`)).text).toMatch(/Created file/);
    expect((await c.handleMessage(thread, `edit {"path":"${workspace}/notes.md","old_str":"beta","new_str":"gamma"}`)).text).toMatch(/updated/);
    expect(fs.readFileSync(path.join(workspace, 'notes.md'), 'utf8')).toBe('alpha gamma');
    expect((await c.handleMessage(thread, 'grep {"pattern":"gamma"}')).text).toContain('notes.md');
    expect((await c.handleMessage(thread, 'glob {"pattern":"*.md"}')).text).toContain('notes.md');
    expect((await c.handleMessage(thread, `create {"path":"${h.dir}/outside.txt","file_text":"x"}`)).text).not.toMatch(/Created file/);
    expect(fs.existsSync(path.join(h.dir, 'outside.txt'))).toBe(false);
  });

  it('a sandboxed runtime killed mid-turn is replaced and leaves no process behind; stopping leaves none either', async () => {
    h = await startHarness({ env: { COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none' }, script: shell });
    const thread = localThread('killed', 'ana');
    await h.app.conversation.handleMessage(thread, 'before');
    const sandboxed = () => processesNaming(h!.config.copilotHome);
    expect(sandboxed().length).toBeGreaterThan(0);
    const turn = h.app.conversation.handleMessage(thread, 'sh sleep 30');
    await expect.poll(() => h!.model.requests.some((r) => r.messages.at(-1)?.role === 'user' && r.userTexts.at(-1) === 'sh sleep 30')).toBe(true);
    const launcher = h.app.agent.runtimePid!;
    process.kill(launcher, 'SIGKILL');
    expect(await turn).toMatchObject({ kind: 'error', text: expect.stringMatching(/runtime stopped unexpectedly/) });
    expect((await h.app.conversation.handleMessage(thread, 'after')).text).toBe('you said: after | earlier: before');
    expect(h.app.agent.runtimePid).not.toBe(launcher);
    await h.app.shutdown(1000);
    await expect.poll(() => sandboxed()).toEqual([]);
  });

  it('does not start tools with a GitHub token on a kernel that would let a tool read the runtime memory', async () => {
    const os = await import('node:os');
    const { createApp } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const { ptraceScope, SandboxUnavailableError } = await import('../../src/agent/sandbox.js');
    const { testNamespace, testStoreUrl } = await import('../support/services.js');
    const { testLogger } = await import('../support/harness.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-ghtoken-'));
    const env = { COPILOT_GITHUB_TOKEN: 'ghp_placeholder_token_value_000000000', COPILOT_TOOLS: 'bash', COPILOT_HOME: path.join(dir, 'copilot'), STORE_URL: testStoreUrl(dir), STORE_NAMESPACE: testNamespace() };
    try {
      const starting = createApp(loadConfig(env, { needModel: true }), testLogger());
      if (ptraceScope() < 1) {
        await expect(starting).rejects.toThrow(SandboxUnavailableError);
        await expect(starting).rejects.toThrow(/kernel\.yama\.ptrace_scope/);
      } else {
        await (await starting).shutdown(0);
      }
      // Without tools there is nothing that could read it.
      await (await createApp(loadConfig({ ...env, COPILOT_TOOLS: '' }, { needModel: true }), testLogger())).shutdown(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('TOOLS_SANDBOX=off runs tools as before (for bots isolated another way)', async () => {
    h = await startHarness({ env: { COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none', TOOLS_SANDBOX: 'off' }, script: shell });
    expect((await h.app.conversation.handleMessage(localThread('off', 'ana'), `sh ls ${h.dir}`)).text).toContain('copilot');
  });
});
