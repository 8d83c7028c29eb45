/**
 * A thread's repository (`repo …`) on the real runtime, in the tool sandbox, on every store: a
 * repository served over HTTP on 127.0.0.1 (`git http-backend`) is cloned shallow into one
 * thread's folder, with REPO_TOKEN, through the sandbox's proxy; the thread's sessions are told
 * where it is and read it with their tools; another thread does not see it; `repo pull` refreshes
 * it (local changes kept unless discarded); REPOS_ALLOWED and the thread's starter decide; a
 * restart keeps it and forget removes it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sessionIdFor } from '../../src/core/thread.js';
import { localThread, startHarness, type Harness } from '../../testkit/harness.js';
import { startGitServer, type GitServer } from '../../testkit/git-server.js';
import { shellScript, textOf } from '../../testkit/model-server.js';

let h: Harness | undefined;
let git: GitServer;
beforeEach(async () => {
  git = await startGitServer();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await git.close();
});

const script = shellScript;

const repo = (target?: string, ref?: string) => ({ kind: 'repo' as const, action: target === undefined ? { kind: 'show' as const } : { kind: 'bind' as const, target, ...(ref ? { ref } : {}) } });

describe('a thread\'s repository', () => {
  it('is cloned into its thread\'s folder with REPO_TOKEN through the proxy, read there, refreshed, kept across a restart, invisible elsewhere, gone with forget', async () => {
    const first = git.makeRepo('acme/widgets', { 'README.md': 'Widgets\n', 'src/gear.ts': 'export const teeth = 42;\n' });
    git.makeRepo('other/thing', { 'x.txt': 'x' });
    h = await startHarness({
      env: {
        COPILOT_TOOLS: 'bash',
        COPILOT_TOOLS_APPROVAL: 'none',
        REPOS_ALLOWED: 'acme/*',
        REPOS_URL: `http://git.test:${git.port}`,
        REPO_TOKEN: 'repo-token-5e2d',
        // The git server is on this machine: the operator places its name there (and so may use http://).
        TOOLS_ALLOWED_HOSTS: 'git.test',
        TOOLS_PINNED_HOSTS: `git.test=127.0.0.1:${git.port}`,
      },
      script,
    });
    const c = h.app.conversation;
    const ana = localThread('repo-thread', 'ana');
    const workspace = path.join(h.config.copilotHome, 'workspace');
    const folder = path.join(workspace, sessionIdFor(ana));
    expect((await c.runCommand(ana, repo())).text).toMatch(/This thread has no repository/);
    // Not before the thread has a session (the binder would become its starter).
    expect((await c.runCommand(ana, repo('acme/widgets'))).text).toMatch(/no Copilot session yet/);
    expect((await c.handleMessage(ana, 'hello')).text).toMatch(/^you said: hello/);

    const bound = await c.runCommand(ana, repo('acme/widgets'));
    expect(bound.text).toMatch(new RegExp(`Repository: \\*\\*acme/widgets\\*\\* \\(default branch\\) at \`${first.slice(0, 7)}\`, in \`widgets/\` \\(bound by ana\\)`));
    // With REPO_TOKEN, as a header (no credentials in the URL or in the clone's config).
    expect(git.authorizations).toContain(`Basic ${Buffer.from('x-access-token:repo-token-5e2d').toString('base64')}`);
    expect(fs.readFileSync(path.join(folder, 'widgets', 'src', 'gear.ts'), 'utf8')).toBe('export const teeth = 42;\n');
    expect(fs.readFileSync(path.join(folder, 'widgets', '.git', 'config'), 'utf8')).not.toMatch(/repo-token|extraheader|Basic/i);
    // Shallow: the one commit.
    expect((await c.handleMessage(ana, 'sh cd widgets && git rev-list --count HEAD && cat src/gear.ts')).text).toMatch(/^OUT: 1\nexport const teeth = 42;/);
    // The session is told where the code is.
    const system = textOf(h.model.requests.at(-1)!.messages.find((m) => m.role === 'system')!.content);
    expect(system).toContain(`This thread works on the repository acme/widgets (its default branch, commit ${first.slice(0, 12)}), checked out in the folder widgets/`);
    expect((await c.runCommand(ana, { kind: 'history', page: 0 })).text).toContain(`📦 Repository: **acme/widgets** (default branch) at \`${first.slice(0, 7)}\``);

    // Another thread: its own folder, no repository, and none of ana's.
    const bob = localThread('other-thread', 'bob');
    expect((await c.handleMessage(bob, 'hello')).text).toMatch(/^you said/);
    const peek = (await c.handleMessage(bob, `sh ls; cat ../${sessionIdFor(ana)}/widgets/README.md ${folder}/widgets/README.md 2>&1`)).text;
    expect(peek).not.toContain('Widgets');
    expect(peek).toMatch(/No such file or directory/);
    expect(fs.existsSync(path.join(workspace, sessionIdFor(bob), 'widgets'))).toBe(false);
    // Only ana (the starter) or an admin changes ana's thread's repository.
    expect((await c.runCommand({ ...ana, user: 'bob' }, { kind: 'repo', action: { kind: 'pull', discard: false } })).text).toMatch(/Only the person who started this thread/);

    // Refreshed: a new commit arrives; local changes are kept unless discarded.
    const second = git.commit('acme/widgets', { 'src/gear.ts': 'export const teeth = 48;\n' });
    expect((await c.handleMessage(ana, 'sh echo note >> widgets/README.md && echo ok')).text).toMatch(/^OUT: ok/);
    expect((await c.runCommand(ana, { kind: 'repo', action: { kind: 'pull', discard: false } })).text).toMatch(/local changes \(1 files changed here\)\. `repo pull --discard`/);
    // The thread's tools rewrite the clone's .git/config: a command on every status, another repository, file:// allowed.
    const tamper = `sh cd widgets && git config core.fsmonitor 'env > ../leak.txt; false' && git config remote.origin.url http://git.test:${git.port}/other/thing.git && git config protocol.file.allow always && echo tampered`;
    expect((await c.handleMessage(ana, tamper)).text).toMatch(/^OUT: tampered/);
        expect((await c.runCommand(ana, { kind: 'repo', action: { kind: 'pull', discard: true } })).text).toBe(`Refreshed **acme/widgets**: \`${first.slice(0, 7)}\` → \`${second.slice(0, 7)}\`. My next answer here reads it.`);
    // Nothing of that ran with the token, nor fetched from elsewhere: a fresh clone of the bound repository took its place.
    const leak = path.join(folder, 'leak.txt');
    expect(fs.existsSync(leak) ? fs.readFileSync(leak, 'utf8') : '').not.toMatch(/repo-token|Basic/);
    expect(fs.readFileSync(path.join(folder, 'widgets', '.git', 'config'), 'utf8')).not.toMatch(/fsmonitor|other\/thing|protocol/);
    expect(fs.readFileSync(path.join(folder, 'widgets', 'src', 'gear.ts'), 'utf8')).toBe('export const teeth = 48;\n');
    expect(fs.readFileSync(path.join(folder, 'widgets', 'README.md'), 'utf8')).toBe('Widgets\n');
    expect((await c.runCommand(ana, { kind: 'repo', action: { kind: 'pull', discard: false } })).text).toBe(`**acme/widgets** is up to date (\`${second.slice(0, 7)}\`).`);

    // REPOS_ALLOWED, the target's form, and a repository that is not there.
    expect((await c.runCommand(ana, repo('other/thing'))).text).toMatch(/other\/thing\*\* is not among the repositories this bot may bind \(REPOS_ALLOWED: acme\/\*\)/);
    expect((await c.runCommand(ana, repo('file:///etc'))).text).toMatch(/Only https:\/\/ repositories can be bound \(a repository on the bot's host only where REPOS_ALLOWED names its folder/);
    expect((await c.runCommand(ana, repo('http://evil.example/acme/x'))).text).toMatch(/only hosts the operator placed/);
    expect((await c.runCommand(ana, repo('acme/missing'))).text).toMatch(/^⚠️ git could not clone http:\/\/git\.test:\d+\/acme\/missing\.git: /);

    // A restart keeps the binding (beside the record, in the store): the next session is told again.
    await h.restart();
    const again = h.app.conversation;
    expect((await again.runCommand(ana, repo())).text).toContain(`**acme/widgets** (default branch) at \`${second.slice(0, 7)}\``);
    await again.handleMessage(ana, 'and now?');
    expect(textOf(h.model.requests.at(-1)!.messages.find((m) => m.role === 'system')!.content)).toContain(`commit ${second.slice(0, 12)}`);

    // Forgotten: the binding and the clone go.
    expect((await again.runCommand(ana, { kind: 'forget' })).text).toMatch(/forgot|deleted/i);
    expect(fs.existsSync(path.join(folder, 'widgets'))).toBe(false);
    expect(await h.app.store.registry.get(sessionIdFor(ana))).toBeUndefined();
  });

  it('a ref is checked out; without REPOS_ALLOWED, or without tools, nothing is cloned and the thread is told why', async () => {
    git.makeRepo('acme/widgets', { 'README.md': 'v1\n' });
    const v2 = git.commit('acme/widgets', { 'README.md': 'v2\n' });
    h = await startHarness({ env: { COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none', REPOS_ALLOWED: '*', REPOS_URL: `http://git.test:${git.port}`, TOOLS_ALLOWED_HOSTS: 'git.test', TOOLS_PINNED_HOSTS: `git.test=127.0.0.1:${git.port}` }, script });
    const c = h.app.conversation;
    const t = localThread('ref-thread');
    await c.handleMessage(t, 'hello');
    expect((await c.runCommand(t, repo(`http://git.test:${git.port}/acme/widgets.git`, 'main'))).text).toMatch(new RegExp(`\\*\\*acme/widgets\\*\\* \`main\` at \`${v2.slice(0, 7)}\``));
    // No REPO_TOKEN: no Authorization at all.
    expect(git.authorizations.every((a) => a === undefined)).toBe(true);
    // A repository on the bot's host needs a file:/// pattern of its own (* is not one).
    expect((await c.runCommand(t, repo(`file://${git.root}/acme/widgets.git`))).text).toMatch(/Only https:\/\/ repositories can be bound \(a repository on the bot's host only where REPOS_ALLOWED names its folder/);
    await h.close();

    // Named by the operator, it is cloned from its folder, bound read-only into the clone's sandbox.
    h = await startHarness({ env: { COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none', REPOS_ALLOWED: `file://${git.root}/acme/*` }, script });
    const local = localThread('local-repo');
    await h.app.conversation.handleMessage(local, 'hello');
    expect((await h.app.conversation.runCommand(local, repo(`file://${git.root}/acme/widgets.git`))).text).toMatch(new RegExp(`\\*\\*file://${git.root}/acme/widgets\\.git\\*\\* \\(default branch\\) at \`${v2.slice(0, 7)}\``));
    expect((await h.app.conversation.handleMessage(local, 'sh cat widgets/README.md')).text).toMatch(/^OUT: v2/);
    expect((await h.app.conversation.runCommand(local, repo(`file://${git.root}/other/thing.git`))).text).toMatch(/is not among the repositories/);
    expect((await h.app.conversation.runCommand(local, repo(`file://${git.root}/acme/nothing.git`))).text).toMatch(/^⚠️ There is no repository at/);
    await h.close();

    h = await startHarness({ env: { REPOS_ALLOWED: '*', REPOS_URL: `https://github.com` }, script });
    await h.app.conversation.handleMessage(t, 'hello');
    expect((await h.app.conversation.runCommand(t, repo('acme/widgets'))).text).toMatch(/^⚠️ Repositories need tools/);
    await h.close();
    h = await startHarness({ env: { COPILOT_TOOLS: 'bash' }, script });
    await h.app.conversation.handleMessage(t, 'hello');
    expect((await h.app.conversation.runCommand(t, repo('acme/widgets'))).text).toMatch(/Repositories are off on this bot \(REPOS_ALLOWED is empty\)/);
  });
});
