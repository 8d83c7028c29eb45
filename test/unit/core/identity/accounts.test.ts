/**
 * Linking people's GitHub accounts (core/identity/accounts.ts) against a fake GitHub on 127.0.0.1
 * and a real SQLite store: the device flow's every answer, the web flow's state, refreshing before
 * expiry (once, even when asked twice at once), a revoked grant, logout and an administrator's revoke.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Accounts } from '../../../../src/core/identity/accounts.js';
import type { AuditEvent } from '../../../../src/core/audit.js';
import type { Reply } from '../../../../src/core/reply.js';
import { GitHubOAuth } from '../../../../src/infra/github-oauth.js';
import { keyring, newKey, parseKey } from '../../../../src/infra/keyring.js';
import { openStore, type Store } from '../../../../src/store/store.js';
import { startFakeGitHub, type FakeGitHub } from '../../../../testkit/fake-github.js';
import { silentLogger } from '../../../../src/infra/log.js';

const alice = { platform: 'slack', workspace: 'T1', channel: 'C1', thread: '1.1', user: 'UALICE' };
const bob = { ...alice, user: 'UBOB' };

let gh: FakeGitHub;
let store: Store;
let dbFile: string;
let audit: AuditEvent[];
let told: Reply[];
let clock: number;
const tell = async (r: Reply) => void told.push(r);

/** Starts a sign-in the way the core does: what it says first is shown, the rest told. */
function connect(a: Accounts, who = alice): Promise<boolean> {
  const signIn = a.connect(who, tell);
  void signIn.said.then((r) => told.push(r));
  return signIn.linked;
}

function accounts(o: { secret?: string; publicUrl?: string; marginMs?: number; clientId?: string; clockStands?: boolean } = {}): Accounts {
  return new Accounts({
    store: store.identities,
    github: new GitHubOAuth({ url: gh.url, clientId: o.clientId ?? 'Iv1.testclient', ...(o.secret ? { clientSecret: o.secret } : {}) }),
    audit: { record: (e) => void audit.push(e) },
    logger: silentLogger,
    claimOnce: (key, ttl) => store.dedupe.claim(key, ttl),
    refreshMarginMs: o.marginMs ?? 10 * 60_000,
    ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
    now: () => clock,
    // Polls come at once; the clock moves by the interval asked for (or stands, where a test acts
    // between polls: a web sign-in's link would otherwise run out while the test reads it).
    sleep: async (ms) => {
      if (o.clockStands) return new Promise((r) => setTimeout(r, 5));
      clock += ms;
      await new Promise((r) => setImmediate(r));
    },
  });
}

/** The user code of the last sign-in prompt, once it was told. */
async function codeTold(): Promise<string> {
  await expect.poll(() => told.some((r) => /CODE-\d+/.test(r.text))).toBe(true);
  return /CODE-\d+/.exec(told.findLast((r) => /CODE-\d+/.test(r.text))!.text)![0];
}

beforeEach(async () => {
  // Codes that outlive any test however slow its machine (the clock moves with every poll); the test of
  // a code running out makes its own.
  gh = await startFakeGitHub({ clientSecret: 'shh', deviceSeconds: 365 * 86_400 });
  gh.account('alice');
  gh.account('bob');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-accounts-'));
  dbFile = path.join(dir, 's.sqlite');
  store = await openStore(`sqlite://${dbFile}`, 5000, 'copilot-threads', keyring(parseKey(newKey())));
  audit = [];
  told = [];
  clock = Date.now();
});

afterEach(async () => {
  await store.close();
  await gh.close();
});

describe('connecting with the device flow', () => {
  it('tells the code and where to enter it, waits through pending and slow_down, links the account and says so', async () => {
    const a = accounts();
    const linked = connect(a);
    const code = await codeTold();
    expect(told[0]).toMatchObject({ kind: 'account', link: { url: `${gh.url}/login/device` } });
    expect(told[0]!.text).toContain(`${gh.url}/login/device`);
    gh.slowDown(code, 2);
    await expect.poll(() => gh.calls.filter((c) => c.form?.device_code).length).toBeGreaterThanOrEqual(3);
    gh.approve(code, 'alice');
    expect(await linked).toBe(true);
    expect(told.at(-1)!.text).toMatch(/Connected as \*\*@alice\*\*/);
    const check = await a.credentials(alice);
    expect(check).toMatchObject({ ok: true, credentials: { login: 'alice', host: new URL(gh.url).host, token: gh.tokenOf('alice') } });
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'login', actor: 'slack:UALICE', detail: expect.objectContaining({ login: 'alice', via: 'device' }) }));
    // Someone else is not linked by it.
    expect(await a.credentials(bob)).toMatchObject({ ok: false, reconnect: false });
  });

  it('a second message while signing in joins the same sign-in (one code), and is told it again', async () => {
    const a = accounts();
    const first = connect(a);
    const code = await codeTold();
    const second = connect(a);
    await expect.poll(() => told.filter((r) => r.text.includes(code)).length).toBe(2);
    gh.approve(code, 'alice');
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(gh.calls.filter((c) => c.path === '/login/device/code')).toHaveLength(1);
  });

  it('a declined or expired code ends the sign-in, saying so, with nothing linked', async () => {
    const a = accounts();
    let linked = connect(a);
    gh.deny(await codeTold());
    expect(await linked).toBe(false);
    expect(told.at(-1)!.text).toMatch(/declined/);
    told = [];
    linked = connect(a);
    gh.expire(await codeTold());
    expect(await linked).toBe(false);
    expect(told.at(-1)!.text).toMatch(/expired/);
    expect(await a.credentials(alice)).toMatchObject({ ok: false });
    expect(audit.filter((e) => e.kind === 'login')).toHaveLength(0);
  });

  it('a code nobody enters runs out with its own lifetime', async () => {
    await gh.close();
    gh = await startFakeGitHub({ deviceSeconds: 60 });
    const a = accounts();
    const linked = connect(a);
    await codeTold();
    expect(await linked).toBe(false);
    expect(told.at(-1)!.text).toMatch(/The code expired/);
  });
});

describe('tokens', () => {
  async function linkedAlice(a: Accounts) {
    told = [];
    const linked = connect(a);
    gh.approve(await codeTold(), 'alice');
    expect(await linked).toBe(true);
  }

  it('a token about to expire is refreshed first, once even when two turns ask at once, and the new one is kept', async () => {
    const a = accounts();
    await linkedAlice(a);
    const first = gh.tokenOf('alice')!;
    clock += 8 * 3600_000 - 5 * 60_000;
    const [x, y] = await Promise.all([a.credentials(alice), a.credentials(alice)]);
    const fresh = gh.tokenOf('alice');
    expect(fresh).not.toBe(first);
    expect(x).toMatchObject({ ok: true, credentials: { token: fresh } });
    expect(y).toMatchObject({ ok: true, credentials: { token: fresh } });
    expect(gh.calls.filter((c) => c.form?.grant_type === 'refresh_token')).toHaveLength(1);
    expect(await a.credentials(alice)).toMatchObject({ ok: true, credentials: { token: fresh } });
  });

  it('a grant revoked on GitHub: the refresh is refused, the link ends, the person is asked to reconnect', async () => {
    const a = accounts();
    await linkedAlice(a);
    gh.revokeAll('alice');
    clock += 8 * 3600_000;
    const check = await a.credentials(alice);
    expect(check).toMatchObject({ ok: false, reconnect: true, reply: { kind: 'account' } });
    expect(!check.ok && check.reply.text).toMatch(/connection \(@alice\) has ended/);
    expect(await store.identities.get('slack:UALICE')).toBeUndefined();
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'revoke', actor: 'system', detail: expect.objectContaining({ via: 'refresh refused (bad_refresh_token)' }) }));
  });

  it('only GitHub saying the grant is gone ends a link: a refresh refused for the bot’s own reasons (a wrong client) keeps it', async () => {
    await linkedAlice(accounts());
    clock += 8 * 3600_000 - 60_000;
    // A misconfigured client: GitHub refuses the bot, not alice's grant. The token still works for a minute.
    expect(await accounts({ clientId: 'Iv1.wrong' }).credentials(alice)).toMatchObject({ ok: true });
    clock += 120_000;
    expect(await accounts({ clientId: 'Iv1.wrong' }).credentials(alice)).toMatchObject({ ok: false, reconnect: false, unavailable: true });
    expect(await store.identities.get('slack:UALICE')).toMatchObject({ account: { login: 'alice' } });
    expect(audit.filter((e) => e.kind === 'revoke')).toEqual([]);
  });

  it('Copilot refusing a token mid-turn ends the link only when GitHub does too, and never a link renewed meanwhile', async () => {
    const a = accounts();
    await linkedAlice(a);
    const first = (await a.credentials(alice)) as { ok: true; credentials: { login: string; host: string; token: string } };
    // Renewed since the turn began (another turn refreshed it): the refusal of the old token ends nothing.
    clock += 8 * 3600_000 - 60_000;
    expect(await a.credentials(alice)).toMatchObject({ ok: true });
    expect(await a.rejected(alice, first.credentials)).toBe(false);
    const current = (await a.credentials(alice)) as { ok: true; credentials: { login: string; host: string; token: string } };
    // The current token, refused, but GitHub renews it: kept.
    expect(await a.rejected(alice, current.credentials)).toBe(false);
    expect(await store.identities.get('slack:UALICE')).toBeDefined();
    // Revoked at GitHub: over.
    gh.revokeAll('alice');
    const now = (await a.credentials(alice)) as { ok: true; credentials: { login: string; host: string; token: string } };
    expect(await a.rejected(alice, now.credentials)).toBe(true);
    expect(await store.identities.get('slack:UALICE')).toBeUndefined();
  });

  it('logout deletes the link and revokes the token at GitHub; an administrator’s revoke ends another’s link', async () => {
    const a = accounts({ secret: 'shh' });
    await linkedAlice(a);
    const token = gh.tokenOf('alice')!;
    expect((await a.whoami(alice)).text).toMatch(/connected as \*\*@alice\*\*/);
    expect((await a.logout(alice)).text).toMatch(/Disconnected \*\*@alice\*\*/);
    expect(gh.tokenOf('alice')).toBeUndefined();
    expect(gh.calls.some((c) => c.method === 'DELETE' && c.form?.access_token === token)).toBe(true);
    expect((await a.whoami(alice)).text).toMatch(/not connected/);
    expect((await a.logout(alice)).text).toMatch(/nothing to disconnect/);
    await linkedAlice(a);
    expect(await a.revoke('slack:UALICE', 'cli:root')).toMatchObject({ login: 'alice' });
    expect(await a.revoke('slack:UALICE', 'cli:root')).toBeUndefined();
    expect(await a.list()).toEqual([]);
    expect(audit.map((e) => e.kind)).toEqual(['login', 'logout', 'login', 'revoke']);
  });
});

describe('connecting with the web flow', () => {
  it('offers GitHub’s consent page; the callback (state bound to the person, once) links them, and the waiting sign-in says so', async () => {
    const a = accounts({ secret: 'shh', publicUrl: 'https://bot.example.com', clockStands: true });
    const linked = connect(a);
    await expect.poll(() => told.length).toBe(1);
    const authorize = told[0]!.kind === 'account' ? told[0]!.link!.url : '';
    expect(authorize).toContain(`${gh.url}/login/oauth/authorize?`);
    expect(new URL(authorize).searchParams.get('redirect_uri')).toBe('https://bot.example.com/auth/github/callback');
    const back = new URL(gh.consent(authorize, 'alice'));
    const state = back.searchParams.get('state')!;
    // The browser is asked whose chat identity this connects, before anything is linked.
    expect(await a.webSignInFor(state)).toEqual({ ok: true, who: 'the Slack user UALICE' });
    expect(await a.webSignInFor('forged-state')).toMatchObject({ ok: false });
    expect(await store.identities.get('slack:UALICE')).toBeUndefined();
    expect(await a.finishWebSignIn('forged-state', back.searchParams.get('code')!)).toMatchObject({ ok: false });
    expect(await a.finishWebSignIn(state, back.searchParams.get('code')!)).toEqual({ ok: true, text: expect.stringMatching(/Connected as @alice/) });
    expect(await linked).toBe(true);
    expect(told.at(-1)!.text).toMatch(/Connected as \*\*@alice\*\*/);
    // The state worked once.
    expect(await a.finishWebSignIn(state, 'again')).toMatchObject({ ok: false, text: expect.stringMatching(/expired or was already used/) });
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'login', detail: expect.objectContaining({ via: 'web' }) }));
  });
});

it('what the store holds of a link: the login in plain, no token readable', async () => {
  const a = accounts();
  const linked = connect(a);
  gh.approve(await codeTold(), 'alice');
  await linked;
  const bytes = [dbFile, `${dbFile}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString('latin1')).join('');
  expect(bytes).toContain('"login":"alice"');
  expect(bytes).not.toContain(gh.tokenOf('alice')!);
  expect(bytes).not.toContain('ghr_alice');
});
