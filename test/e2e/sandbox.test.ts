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
import { localThread, startHarness, type Harness } from '../../testkit/harness.js';
import { shellScript, textOf } from '../../testkit/model-server.js';
import { TEST_STORE } from '../../testkit/services.js';
import { processesNaming } from '../../testkit/process.js';
import { SCAN } from '../../testkit/probes.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const shell = shellScript;

const SECRET = 'sk-bot-only-secret-4242';

describe('the tool sandbox (TOOLS_SANDBOX, default on)', () => {
  it('a shell tool cannot read the bot process, its .env, the store, COPILOT_HOME, the runtime or another thread', async () => {
    h = await startHarness({ env: { COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none', COPILOT_PROVIDER_API_KEY: SECRET }, script: shell });
    const c = h.app.conversation;
    fs.writeFileSync(path.join(h.dir, '.env'), `COPILOT_PROVIDER_API_KEY=${SECRET}\nSLACK_BOT_TOKEN=xoxb-secret\n`);
    // Another thread, with a canary in its conversation and in its own folder.
    const other = localThread('private-thread', 'bob');
    const canary = 'canary-7f3a9c1e5b';
    expect((await c.handleMessage(other, `my password is ${canary}`)).text).toMatch(/^you said/);
    expect((await c.handleMessage(other, `sh echo ${canary} > notes.txt`)).text).toContain('OUT:');
    const otherState = path.join(h.config.copilotHome, 'session-state', sessionIdFor(other));
    expect(fs.readFileSync(path.join(otherState, 'events.jsonl'), 'utf8')).toContain(canary);

    const thread = localThread('prober', 'mallory');
    const run = async (command: string) => (await c.handleMessage(thread, `sh ${command}`)).text;
    // The bot's process is not in the tool's process table; what is there carries no secret.
    expect(await run(`cat /proc/${process.pid}/environ; echo; echo exit=$?`)).toMatch(/No such file or directory/);
    expect(await run(`cat /proc/*/environ | tr '\\0' '\\n'; ls /proc | grep -E '^[0-9]+$' | wc -l`)).not.toContain(SECRET);
    expect(await run("env")).not.toMatch(new RegExp(`${SECRET}|test-key|STORE_URL|SLACK|COPILOT_(PROVIDER|GITHUB|HOME|BASH)|gateway`, "i"));
    // The bot's files are not there at all.
    for (const file of [path.join(h.dir, '.env'), path.join(process.cwd(), 'package.json'), path.join(otherState, 'events.jsonl')]) {
      const out = await run(`cat ${file}`);
      expect(out).toMatch(/No such file or directory/);
      expect(out).not.toMatch(new RegExp(`${canary}|sk-bot-only|xoxb`));
    }
    if (TEST_STORE === 'sqlite') expect(await run(`ls -la ${path.join(h.dir, 'store.sqlite')}`)).toMatch(/No such file or directory/);
    expect(await run(`ls ${path.join(h.config.copilotHome, 'session-state')}`)).toMatch(/No such file or directory/);
    // Of the workspace, only this thread's own folder is there; the other thread's is not.
    const workspace = path.join(h.config.copilotHome, 'workspace');
    expect((await run(`ls -1 ${workspace}`)).replace(/<shellId[^>]*>/, '').trim()).toBe(`OUT: ${sessionIdFor(thread)}`);
    expect(await run(`cat ${path.join(workspace, sessionIdFor(other), 'notes.txt')} ../${sessionIdFor(other)}/notes.txt`)).not.toContain(canary);
    // Nothing readable in /proc holds the other thread's canary or the model key (not the runtime's
    // memory either: the runtime is not in the tool's process table); the scanner itself works.
    const scan = (needle: string) => run(`${SCAN} ${Buffer.from(needle).toString('hex')}`);
    expect(await scan(canary)).toMatch(/found 0 in [1-9]/);
    expect(await scan(SECRET)).toMatch(/found 0 in [1-9]/);
    expect(await run(`: marker-in-my-own-cmdline; ${SCAN} ${Buffer.from('marker-in-my-own-cmdline').toString('hex')}`)).toMatch(/found [1-9]/);
    // The runtime cannot be signalled: only the tool's own processes have ids here.
    expect(await run('ps -eo comm --no-headers | sort -u | tr "\\n" " "')).not.toMatch(/copilot|node/);
    // Nor can it make itself a way out.
    expect(await run('mount -t tmpfs x /tmp 2>&1; unshare -U true 2>&1; echo userns=$?; grep Cap /proc/self/status; test -w /proc/sys/kernel/core_pattern && echo core-writable')).toMatch(/userns=1[\s\S]*CapEff:\s+0+\b/);
    expect(await run('test -w /proc/sys/kernel/core_pattern && echo core-writable; echo checked')).not.toContain('core-writable');

    // The thread's folder is there, read-write, and the threads go on.
    expect(await run('echo made > inside.txt && cat inside.txt && pwd')).toContain(`made\n${path.join(workspace, sessionIdFor(thread))}`);
    expect(fs.readFileSync(path.join(workspace, sessionIdFor(thread), 'inside.txt'), 'utf8')).toBe('made\n');
    expect((await c.handleMessage(other, 'and now?')).text).toMatch(new RegExp(`^you said: and now\\? \\| earlier: my password is ${canary}`));
  });

  it('nothing a tool can write is run later: the sandbox programs are outside COPILOT_HOME and out of reach, the runtime home is new at every start', async () => {
    h = await startHarness({ env: { COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none' }, script: shell });
    const thread = localThread('planter', 'mallory');
    const run = async (command: string) => (await h!.app.conversation.handleMessage(thread, `sh ${command}`)).text;
    // The runtime's launcher, start script and shell wrapper: none in COPILOT_HOME, none visible to a tool.
    expect(fs.existsSync(path.join(h.config.copilotHome, 'sandbox'))).toBe(false);
    const launch = (h.app.agent as unknown as { runtime: { sandbox: { args: string[]; runtimeHome: string } } }).runtime.sandbox;
    expect(launch.args.join(' ')).not.toContain(path.join(h.config.copilotHome, 'sandbox'));
    expect(await run('ls /run/copilot-threads 2>&1; ls / ; echo checked')).toMatch(/No such file or directory[\s\S]*checked/);
    expect(await run(`ls ${launch.runtimeHome} 2>&1; echo checked`)).toMatch(/No such file or directory/);
    // Whatever ends up in the runtime's home (plugins, hooks, settings) is gone when it starts again.
    fs.mkdirSync(path.join(launch.runtimeHome, 'hooks'), { recursive: true });
    fs.writeFileSync(path.join(launch.runtimeHome, 'hooks', 'planted.json'), '{}');
    await h.app.agent.recycle('test');
    expect(fs.existsSync(path.join(launch.runtimeHome, 'hooks'))).toBe(false);
    expect(await run('echo still-works')).toContain('still-works');
  });

  it('removes the sandbox folders of bots that were killed before they could (and none of a live one)', async () => {
    const os = await import('node:os');
    const { spawnSync } = await import('node:child_process');
    const dead = spawnSync('true').pid;
    const stale = path.join(os.tmpdir(), `copilot-threads-sandbox-${dead}-left`);
    const live = path.join(os.tmpdir(), `copilot-threads-sandbox-${process.ppid}-kept`);
    for (const folder of [stale, live]) fs.mkdirSync(path.join(folder, 'bin'), { recursive: true });
    try {
      h = await startHarness({ env: { COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none' }, script: shell });
      expect(fs.existsSync(stale)).toBe(false);
      expect(fs.existsSync(live)).toBe(true);
    } finally {
      fs.rmSync(live, { recursive: true, force: true });
    }
  });

  it('a session written before tools were enabled continues in the sandbox, and back', async () => {
    h = await startHarness({ env: { TOOLS_SANDBOX: 'on' }, script: shell });
    const thread = localThread('upgrade', 'ana');
    await h.app.conversation.handleMessage(thread, 'before tools');
    // Restart with tools (sandboxed: the session goes through the bot's sessionFs), then without.
    await h.app.shutdown(5000);
    const { createApp } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const { testLogger } = await import('../../testkit/harness.js');
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

  it("file tools work in the thread's folder in the sandbox (create, edit, grep, glob), and nowhere else, whatever links a tool makes", async () => {
    h = await startHarness({
      env: { COPILOT_TOOLS: 'bash,create,edit,grep,glob', COPILOT_TOOLS_APPROVAL: 'none' },
      script: (req) => {
        const last = req.messages.at(-1)!;
        if (last.role === 'tool') return { kind: 'text', text: `OUT: ${textOf(last.content)}` };
        const said = req.userTexts.at(-1) ?? '';
        if (said.startsWith('sh ')) return { kind: 'tool', name: 'bash', args: { command: said.slice(3), description: 'links' } };
        const [name = '', ...rest] = said.split(' ');
        return { kind: 'tool', name, args: JSON.parse(rest.join(' ')) as Record<string, unknown> };
      },
    });
    const c = h.app.conversation;
    const thread = localThread('files', 'ana');
    const folder = path.join(h.config.copilotHome, 'workspace', sessionIdFor(thread));
    expect((await c.handleMessage(thread, `create {"path":"${folder}/notes.md","file_text":"alpha beta"}`)).text).toMatch(/Created file/);
    expect((await c.handleMessage(thread, 'edit {"path":"notes.md","old_str":"beta","new_str":"gamma"}')).text).toMatch(/updated/);
    expect(fs.readFileSync(path.join(folder, 'notes.md'), 'utf8')).toBe('alpha gamma');
    expect((await c.handleMessage(thread, 'grep {"pattern":"gamma"}')).text).toContain('notes.md');
    expect((await c.handleMessage(thread, 'glob {"pattern":"*.md"}')).text).toContain('notes.md');
    expect((await c.handleMessage(thread, `create {"path":"${h.dir}/outside.txt","file_text":"x"}`)).text).not.toMatch(/Created file/);
    expect(fs.existsSync(path.join(h.dir, 'outside.txt'))).toBe(false);

    // Links made by a tool lead nowhere outside: a host file, the host's root, another thread.
    const hostFile = path.join(h.dir, 'host-file.txt');
    fs.writeFileSync(hostFile, 'host\n');
    const otherFolder = path.join(h.config.copilotHome, 'workspace', sessionIdFor(localThread('victim', 'bob')));
    fs.mkdirSync(otherFolder, { recursive: true });
    fs.writeFileSync(path.join(otherFolder, 'notes.txt'), 'victim notes\n');
    await c.handleMessage(thread, `sh ln -sfn / hostroot; ln -sfn ${hostFile} direct; ln -sfn ${otherFolder} victim; ln -sfn .. up; echo done`);
    for (const attack of [
      `create {"path":"hostroot${h.dir}/planted.txt","file_text":"pwned"}`,
      `edit {"path":"direct","old_str":"host","new_str":"pwned"}`,
      `create {"path":"direct","file_text":"pwned"}`,
      `edit {"path":"victim/notes.txt","old_str":"victim","new_str":"pwned"}`,
      `create {"path":"up/${sessionIdFor(localThread('victim', 'bob'))}/new.txt","file_text":"pwned"}`,
    ]) {
      expect((await c.handleMessage(thread, attack)).text, attack).not.toMatch(/Created file|updated/);
    }
    for (const read of ['grep {"pattern":"victim","path":"victim"}', 'grep {"pattern":"root","path":"hostroot/etc"}', 'glob {"pattern":"**/*","path":"up"}', 'grep {"pattern":"victim notes","path":"up"}']) {
      expect((await c.handleMessage(thread, read)).text, read).not.toMatch(/victim notes|notes\.txt|root:/);
    }
    expect(fs.readFileSync(hostFile, 'utf8')).toBe('host\n');
    expect(fs.existsSync(path.join(h.dir, 'planted.txt'))).toBe(false);
    expect(fs.readdirSync(otherFolder)).toEqual(['notes.txt']);
    expect(fs.readFileSync(path.join(otherFolder, 'notes.txt'), 'utf8')).toBe('victim notes\n');
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

  it('starts tools with a GitHub token too: the token goes to the runtime per session, and no tool can see the runtime', async () => {
    const os = await import('node:os');
    const { createApp } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const { testNamespace, testStoreUrl } = await import('../../testkit/services.js');
    const { testLogger } = await import('../../testkit/harness.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-ghtoken-'));
    const env = { COPILOT_GITHUB_TOKEN: 'ghp_placeholder_token_value_000000000', COPILOT_TOOLS: 'bash', COPILOT_HOME: path.join(dir, 'copilot'), STORE_URL: testStoreUrl(dir), STORE_NAMESPACE: testNamespace() };
    try {
      const app = await createApp(loadConfig(env, { needModel: true }), testLogger());
      expect(app.agent.sandboxReport()).toMatchObject({ network: 'none' });
      await app.shutdown(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('TOOLS_SANDBOX=off runs tools as before (for bots isolated another way)', async () => {
    h = await startHarness({ env: { COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none', TOOLS_SANDBOX: 'off' }, script: shell });
    expect((await h.app.conversation.handleMessage(localThread('off', 'ana'), `sh ls ${h.dir}`)).text).toContain('copilot');
  });
});
