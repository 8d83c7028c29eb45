/**
 * COPILOT_AUTH=per-user with the real Copilot runtime pointed at a fake GitHub on 127.0.0.1 (the
 * runtime asks `/copilot_internal/user` per token, then calls the fake Copilot API with the
 * person's own token, which hands the chat on to the scriptable model). What each test proves is
 * what the model's side saw: whose token each turn carried.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newKey } from '../../src/infra/keyring.js';
import type { Reply } from '../../src/core/reply.js';
import type { ThreadRef } from '../../src/core/thread.js';
import { perUserEnv, startFakeGitHub, type FakeGitHub } from '../../testkit/fake-github.js';
import { startHarness, type Harness } from '../../testkit/harness.js';
import { startModelServer, toolScript, type ModelServer } from '../../testkit/model-server.js';

let gh: FakeGitHub;
let model: ModelServer;
let h: Harness | undefined;

beforeEach(async () => {
  model = await startModelServer();
  gh = await startFakeGitHub({ modelUrl: model.url, clientSecret: 'shh', tokenSeconds: 8 * 3600 });
  for (const login of ['alice', 'bob']) gh.account(login);
  gh.account('carol', { seat: false });
  // The runtime reads it from the bot's environment (it passes it on).
  process.env.COPILOT_DEBUG_GITHUB_API_URL = gh.runtimeEnv.COPILOT_DEBUG_GITHUB_API_URL;
});

afterEach(async () => {
  delete process.env.COPILOT_DEBUG_GITHUB_API_URL;
  await h?.close();
  h = undefined;
  await gh.close();
  await model.close();
});

async function perUser(env: Record<string, string> = {}): Promise<Harness> {
  h = await startHarness({ env: { ...perUserEnv(gh, newKey()), ...env } });
  return h;
}

const thread = (user: string, name = 'shared'): ThreadRef => ({ platform: 'slack', workspace: 'T1', channel: 'C1', thread: name, user });

/** Links `login` for `who` through the device flow, as the person would at GitHub. */
async function link(who: ThreadRef, login: string): Promise<void> {
  const told: Reply[] = [];
  const signIn = await h!.app.conversation.signIn(who, async (r) => void told.push(r));
  expect(signIn).toBeDefined();
  const said = await signIn!.said;
  const code = /CODE-\d+/.exec(said.text)![0];
  gh.approve(code, login);
  expect(await signIn!.linked).toBe(true);
  expect(told.at(-1)!.text).toContain(`Connected as **@${login}**`);
}

const chatTokens = () => gh.copilot.filter((c) => c.path === '/chat/completions').map((c) => c.login);

describe('per-user identity against the real runtime', () => {
  it('two people alternating in one thread: each turn goes to Copilot with its author’s own token; history says whose turn it was', async () => {
    await perUser();
    const alice = thread('UALICE');
    const bob = thread('UBOB');
    await link(alice, 'alice');
    await link(bob, 'bob');
    expect(await h!.app.conversation.handleMessage(alice, 'first from alice')).toMatchObject({ kind: 'answer', text: expect.stringContaining('first from alice') });
    // The model hears who asks (several people share the thread).
    expect(model.requests.at(-1)!.userTexts.at(-1)).toBe('<turn_author github="alice"/>\nfirst from alice');
    expect(await h!.app.conversation.handleMessage(bob, 'then bob')).toMatchObject({ kind: 'answer', text: expect.stringContaining('then bob') });
    expect(await h!.app.conversation.handleMessage(alice, 'alice again')).toMatchObject({ kind: 'answer', text: expect.stringContaining('alice again') });
    expect(chatTokens()).toEqual(['alice', 'bob', 'alice']);
    // Exactly each person's current token, nothing else.
    expect(gh.copilot.filter((c) => c.path === '/chat/completions').map((c) => c.token)).toEqual([gh.tokenOf('alice'), gh.tokenOf('bob'), gh.tokenOf('alice')]);
    const history = await h!.app.conversation.runCommand(alice, { kind: 'history', page: 0 });
    expect(history.text).toMatch(/as @alice\)_ first from alice[\s\S]*as @bob\)_ then bob[\s\S]*as @alice\)_ alice again/);
    // Tokens are in no environment of the runtime and in no file of the bot's home.
    const environ = fs.readFileSync(`/proc/${h!.app.agent.runtimePid}/environ`, 'latin1');
    expect(environ).not.toContain('gho_');
    const files = fs.readdirSync(h!.config.copilotHome, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (const f of files) expect(fs.readFileSync(`${f.parentPath}/${f.name}`, 'latin1')).not.toMatch(/gh[or]_(alice|bob)_\d/);
  });

  it('a token about to expire is refreshed before the turn, which runs with the new one', async () => {
    // Tokens that expire in 15 minutes: less than a turn and an approval may take, so refreshed first.
    await gh.close();
    gh = await startFakeGitHub({ modelUrl: model.url, clientSecret: 'shh', tokenSeconds: 900 });
    gh.account('alice');
    process.env.COPILOT_DEBUG_GITHUB_API_URL = gh.runtimeEnv.COPILOT_DEBUG_GITHUB_API_URL;
    await perUser();
    const alice = thread('UALICE');
    await link(alice, 'alice');
    const first = gh.tokenOf('alice')!;
    expect((await h!.app.conversation.handleMessage(alice, 'hello')).kind).toBe('answer');
    expect(gh.calls.filter((c) => c.form?.grant_type === 'refresh_token')).toHaveLength(1);
    const fresh = gh.tokenOf('alice')!;
    expect(fresh).not.toBe(first);
    expect(gh.copilot.filter((c) => c.path === '/chat/completions').map((c) => c.token)).toEqual([fresh]);
  });

  it('a grant revoked on GitHub: one private “reconnect”, no answer, the link gone; connecting again works', async () => {
    await perUser();
    const alice = thread('UALICE');
    await link(alice, 'alice');
    expect((await h!.app.conversation.handleMessage(alice, 'works')).kind).toBe('answer');
    gh.revokeAll('alice');
    const refused = await h!.app.conversation.handleMessage(alice, 'now?');
    expect(refused).toMatchObject({ kind: 'account', text: expect.stringMatching(/GitHub no longer accepts your connection \(@alice\)/) });
    expect(await h!.app.store.identities.get('slack:UALICE')).toBeUndefined();
    // Asked again, not retried in a loop: the runtime's own retries, then nothing.
    const calls = gh.copilot.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(gh.copilot.length).toBe(calls);
    await link(alice, 'alice');
    expect(await h!.app.conversation.handleMessage(alice, 'back')).toMatchObject({ kind: 'answer', text: expect.stringContaining('back') });
    await h!.app.audit.flush();
    const kinds = (await h!.app.store.audit.list({})).map((r) => r.kind);
    expect(kinds.filter((k) => k === 'login')).toHaveLength(2);
    expect(kinds).toContain('revoke');
  });

  it('an account without a Copilot seat: a private, specific reply, no turn, nothing retried (a new thread and one another person started)', async () => {
    await perUser();
    const carol = thread('UCAROL', 'carols');
    await link(carol, 'carol');
    const own = await h!.app.conversation.handleMessage(carol, 'hello?');
    expect(own).toMatchObject({ kind: 'account', text: expect.stringMatching(/^🚫 @carol has no GitHub Copilot seat/) });
    const alice = thread('UALICE');
    await link(alice, 'alice');
    expect((await h!.app.conversation.handleMessage(alice, 'mine')).kind).toBe('answer');
    const inShared = await h!.app.conversation.handleMessage(thread('UCAROL'), 'me too');
    expect(inShared).toMatchObject({ kind: 'account', text: expect.stringMatching(/@carol has no GitHub Copilot seat/) });
    // The link stays (the account is fine, only without Copilot), and no model call went out as carol.
    expect(await h!.app.store.identities.get('slack:UCAROL')).toBeDefined();
    expect(chatTokens()).toEqual(['alice']);
    expect(await h!.app.conversation.handleMessage(alice, 'still mine')).toMatchObject({ kind: 'answer', text: expect.stringContaining('still mine') });
    expect(chatTokens()).toEqual(['alice', 'alice']);
  });

  it('a tool sees nobody’s token: not in its environment, nor its parent’s (TOOLS_SANDBOX=off, the weakest set-up)', async () => {
    await perUser({ COPILOT_TOOLS: 'bash', TOOLS_SANDBOX: 'off', COPILOT_TOOLS_APPROVAL: 'none' });
    model.script(toolScript);
    const alice = thread('UALICE');
    await link(alice, 'alice');
    const look = 'env; tr "\\0" "\\n" < /proc/$PPID/environ; echo looked';
    const reply = await h!.app.conversation.handleMessage(alice, `exact ${Buffer.from(look).toString('hex')}`);
    expect(reply).toMatchObject({ kind: 'answer', text: expect.stringContaining('looked') });
    expect(reply.text).toContain('PATH=');
    expect(reply.text).not.toMatch(/gh[or]_alice_\d/);
    expect(chatTokens()).toEqual(['alice', 'alice']);
  });

  it('whoami, logout (revoked at GitHub too), and login when connected already', async () => {
    await perUser({ GITHUB_CLIENT_SECRET: 'shh' });
    const alice = thread('UALICE');
    expect((await h!.app.conversation.runCommand(alice, { kind: 'whoami' })).text).toMatch(/not connected/);
    await link(alice, 'alice');
    expect((await h!.app.conversation.runCommand(alice, { kind: 'whoami' })).text).toMatch(/connected as \*\*@alice\*\*/);
    expect((await h!.app.conversation.runCommand(alice, { kind: 'login' })).text).toMatch(/connected as \*\*@alice\*\* already/);
    const token = gh.tokenOf('alice');
    expect((await h!.app.conversation.runCommand(alice, { kind: 'logout' })).text).toMatch(/Disconnected \*\*@alice\*\*/);
    expect(gh.tokenOf('alice')).toBeUndefined();
    expect(token).toBeDefined();
    // A turn now asks to connect (as `signIn` would have).
    expect(await h!.app.conversation.handleMessage(alice, 'hi')).toMatchObject({ kind: 'account', text: expect.stringMatching(/not connected/) });
  });
});
