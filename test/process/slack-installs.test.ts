/**
 * Every Slack workspace its own install (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET),
 * on the built bot with both adapters on: `/slack/install` sends a person to Slack's consent
 * screen, Slack's return (`/slack/oauth_redirect`, state checked against the browser's cookie)
 * keeps the workspace's token sealed, each workspace's messages are answered with its own token,
 * an org-wide Enterprise Grid install answers in the org's workspaces, a workspace the app is not
 * installed in gets nothing, and `app_uninstalled` deletes the workspace's token at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from '../../src/infra/keyring.js';
import { exitOf, SLACK_SECRET, startStack, type Proc, type Stack } from '../../testkit/bot-process.js';
import { signed } from '../../testkit/fake-slack.js';
import { slackTs } from '../../testkit/slack-ts.js';
import { threadTexts } from '../../testkit/slack-view.js';

let stack: Stack;
let bot: Proc;
let events = 0;

beforeAll(async () => {
  stack = await startStack();
  bot = await stack.startBot({
    SLACK_BOT_TOKEN: '',
    SLACK_CLIENT_ID: '111.222',
    SLACK_CLIENT_SECRET: 'slack-client-secret',
    SLACK_STATE_SECRET: 'a-state-secret-of-some-length',
    SLACK_ALLOWED_TEAMS: 'T222,E333',
    TOKEN_ENCRYPTION_KEY: newKey(),
  });
}, 120_000);

afterAll(async () => {
  bot.signalGroup('SIGTERM');
  expect((await exitOf(bot)).code).toBe(0);
  await stack.close();
  // Workspaces' tokens never reach the log.
  expect(bot.output()).not.toMatch(/xoxb-(T222|E333)/);
  expect(bot.output()).not.toContain('slack-client-secret');
});

const base = () => `http://127.0.0.1:${stack.port}`;

/** Installs the app as a person would: the install link, Slack's consent (the fake's), and Slack's return with the browser's cookie. */
async function install(code: string, bot: { team: string; enterprise?: string; orgWide?: boolean; token: string; botUserId: string }): Promise<Response> {
  const start = await fetch(`${base()}/slack/install`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get('location')!);
  expect(authorize.origin + authorize.pathname).toBe(`${stack.slack.url}/oauth/v2/authorize`);
  expect(authorize.searchParams.get('client_id')).toBe('111.222');
  expect(authorize.searchParams.get('scope')).toContain('app_mentions:read');
  const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
  stack.slack.consent(code, bot);
  return fetch(`${base()}/slack/oauth_redirect?code=${code}&state=${encodeURIComponent(authorize.searchParams.get('state')!)}`, { headers: { cookie } });
}

/** An event as Slack sends it to an app installed in `team` (or org-wide in its enterprise: said in `authorizations` only). */
function send(team: string, event: Record<string, unknown>, o: { enterprise?: string; orgWide?: boolean } = {}) {
  const body = JSON.stringify({
    type: 'event_callback',
    team_id: team,
    ...(o.enterprise ? { enterprise_id: o.enterprise } : {}),
    authorizations: [{ team_id: o.orgWide ? null : team, enterprise_id: o.enterprise ?? null, is_enterprise_install: o.orgWide === true, is_bot: true }],
    event_id: `EvI${++events}`,
    event_time: 1700000100,
    event,
  });
  return fetch(`${base()}/slack/events`, { method: 'POST', headers: signed(body, 'application/json', SLACK_SECRET), body });
}

/** A mention in `team`'s workspace. */
function mention(team: string, text: string, o: { enterprise?: string; orgWide?: boolean } = {}) {
  const ts = slackTs();
  return { ts, sent: send(team, { type: 'app_mention', user: 'UPERSON', text: `<@UBOT> ${text}`, ts, channel: 'C222', event_ts: ts }, o) };
}

/** What a person sees in a thread of channel C222. */
const seen = (thread: string) => threadTexts(stack.slack, 'C222', thread);
/** Bolt found no install for an event's workspace: said once per such event. */
const refusals = () => (bot.output().match(/Authorization of incoming event did not succeed/g) ?? []).length;

describe('every Slack workspace its own install', () => {
  it('an install through /slack/install keeps the workspace’s token; its messages are answered with it', async () => {
    const done = await install('code-t222', { team: 'T222', token: 'xoxb-T222-token', botUserId: 'UBOT' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Copilot is installed');
    const { ts, sent } = mention('T222', 'hello from team two');
    expect((await sent).status).toBe(200);
    await expect.poll(() => seen(ts).some((t) => t.includes('hello from team two'))).toBe(true);
    // Every call for that workspace carried its own token.
    const tokens = new Set(stack.slack.calls.filter((c) => c.args.channel === 'C222' && c.args.thread_ts === ts).map((c) => c.token));
    expect([...tokens]).toEqual(['xoxb-T222-token']);
    // Kept sealed: the store's files hold no token.
    const files = fs.readdirSync(stack.dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && /sqlite/.test(e.name));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(fs.readFileSync(path.join(f.parentPath, f.name)).toString('latin1')).not.toContain('xoxb-T222-token');
  });

  it('an org-wide Enterprise Grid install answers in the org’s workspaces with the org’s token', async () => {
    expect((await install('code-e333', { team: 'T444', enterprise: 'E333', orgWide: true, token: 'xoxb-E333-token', botUserId: 'UBOT' })).status).toBe(200);
    const { ts, sent } = mention('T444', 'hello from the org', { enterprise: 'E333', orgWide: true });
    expect((await sent).status).toBe(200);
    await expect.poll(() => seen(ts).some((t) => t.includes('hello from the org'))).toBe(true);
    expect(stack.slack.calls.filter((c) => c.args.thread_ts === ts).every((c) => c.token === 'xoxb-E333-token')).toBe(true);
  });

  it('a workspace SLACK_ALLOWED_TEAMS does not name cannot install the app', async () => {
    const refused = await install('code-t666', { team: 'T666', token: 'xoxb-T666-token', botUserId: 'UBOT' });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('This workspace may not install this app');
    const before = refusals();
    const { ts } = mention('T666', 'let me in');
    await expect.poll(refusals).toBeGreaterThan(before);
    expect(seen(ts)).toEqual([]);
  });

  it('a workspace the app is not installed in gets nothing; a forged install return installs nothing', async () => {
    const asked = stack.model.requests.length;
    const before = refusals();
    const { ts, sent } = mention('T999', 'anyone?');
    expect((await sent).status).toBe(200);
    await expect.poll(refusals).toBeGreaterThan(before);
    expect(seen(ts)).toEqual([]);
    expect(stack.model.requests.length).toBe(asked);
    stack.slack.consent('code-forged', { team: 'T555', token: 'xoxb-T555-token', botUserId: 'UBOT' });
    const forged = await fetch(`${base()}/slack/oauth_redirect?code=code-forged&state=made-up`);
    expect(forged.status).toBe(400);
    expect(stack.slack.calls.some((c) => c.method === 'oauth.v2.access' && c.args.code === 'code-forged')).toBe(false);
  });

  it('app_uninstalled deletes the workspace’s token at once: its messages are not answered any more', async () => {
    // A late removal event while the token still works (a reinstall since) deletes nothing.
    expect((await send('T222', { type: 'app_uninstalled', event_ts: '1700000200.000100' })).status).toBe(200);
    await bot.waitFor(/a removal event for an install whose token still works/);
    // Slack revokes the token, then tells the app.
    stack.slack.uninstalled('xoxb-T222-token');
    expect((await send('T222', { type: 'app_uninstalled', event_ts: '1700000201.000100' })).status).toBe(200);
    await bot.waitFor(/removed from a workspace; its token is deleted/);
    const asked = stack.model.requests.length;
    const before = refusals();
    const { ts, sent } = mention('T222', 'still there?');
    expect((await sent).status).toBe(200);
    await expect.poll(refusals).toBeGreaterThan(before);
    expect(seen(ts)).toEqual([]);
    expect(stack.model.requests.length).toBe(asked);
    // The org's install is untouched; removed in turn (org-wide, as Slack says in `authorizations`), its token goes too.
    const again = mention('T444', 'org still here', { enterprise: 'E333', orgWide: true });
    await expect.poll(() => seen(again.ts).some((t) => t.includes('org still here'))).toBe(true);
    stack.slack.uninstalled('xoxb-E333-token');
    expect((await send('T444', { type: 'app_uninstalled', event_ts: '1700000202.000100' }, { enterprise: 'E333', orgWide: true })).status).toBe(200);
    await expect.poll(() => (bot.output().match(/removed from a workspace; its token is deleted/g) ?? []).length).toBe(2);
    expect(bot.output()).toMatch(/"enterprise":"E333","orgWide":true,"why":"app_uninstalled","msg":"Slack: removed from a workspace/);
  });
});
