/**
 * COPILOT_AUTH=per-user on the built bot with both adapters on, against a fake GitHub (OAuth,
 * REST, and the Copilot API the runtime calls with each person's token). As people meet it: a
 * Slack mention from someone not connected gets a private prompt with a code and a GitHub button,
 * and is answered once they have connected; a Discord message likewise, by DM; with PUBLIC_URL the
 * prompt is a link whose return (`/auth/github/callback`) links the account. Each answer's model
 * call carries its author's token, and no token ever reaches the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from '../../src/infra/keyring.js';
import { exitOf, startBuilt, startStack, type Proc, type Stack } from '../../testkit/bot-process.js';
import { T1 } from '../../testkit/discord-harness.js';
import { IDS } from '../../testkit/fake-discord.js';
import { BOT } from '../../testkit/fake-slack.js';
import { perUserEnv, startFakeGitHub, type FakeGitHub } from '../../testkit/fake-github.js';
import { freePort } from '../../testkit/process.js';
import { slackTs } from '../../testkit/slack-ts.js';
import { threadTexts } from '../../testkit/slack-view.js';

let stack: Stack;
let gh: FakeGitHub;
const key = newKey();

beforeAll(async () => {
  stack = await startStack();
  gh = await startFakeGitHub({ modelUrl: stack.model.url, clientSecret: 'gh-secret' });
  gh.account('alice');
  gh.account('bob');
  gh.account('dave');
}, 60_000);

afterAll(async () => {
  await gh.close();
  await stack.close();
});

/** The bot's settings: people sign in at the fake GitHub, whose Copilot API the runtime is pointed at. */
const botEnv = (extra: Record<string, string> = {}) => ({ ...perUserEnv(gh, key), ...gh.runtimeEnv, ...extra });

/** The private Slack messages the bot sent `user`, as text with their buttons' URLs. */
const ephemerals = (user: string) =>
  stack.slack.calls
    .filter((c) => c.method === 'chat.postEphemeral' && c.args.user === user)
    .map((c) => `${String(c.args.text)} ${JSON.stringify(c.args.blocks ?? [])}`);

/** What the bot sent a Discord user by DM (the fake opens DM channel `5…` for user `8…`). */
const dms = (user: string) =>
  stack.discord
    .callsTo('POST', new RegExp(`^/channels/5${user.slice(1)}/messages$`))
    .map((c) => `${String((c.body as { content?: string }).content ?? '')} ${JSON.stringify((c.body as { components?: unknown }).components ?? [])}`);

const chats = () => gh.copilot.filter((c) => c.path === '/chat/completions');

describe('per-user sign-in on the built bot (device flow)', () => {
  let bot: Proc;
  beforeAll(async () => {
    bot = await stack.startBot(botEnv());
    await stack.discord.connected();
  }, 120_000);
  afterAll(async () => {
    bot.signalGroup('SIGTERM');
    expect((await exitOf(bot)).code).toBe(0);
    // Tokens never reach the log (refresh tokens neither).
    expect(bot.output()).not.toMatch(/gh[or]_[a-z]+_\d/);
  });

  it('Slack: a mention from someone not connected → a private code and a GitHub button; once connected, the mention is answered as them', async () => {
    const root = slackTs();
    await stack.slackEvent({ type: 'app_mention', user: 'UALICE', text: `<@${BOT.userId}> what is up?`, ts: root, channel: 'C222' });
    await expect.poll(() => ephemerals('UALICE').some((e) => /CODE-\d+/.test(e))).toBe(true);
    const prompt = ephemerals('UALICE').find((e) => /CODE-\d+/.test(e))!;
    expect(prompt).toContain(`"url":"${gh.url}/login/device"`);
    expect(prompt).toContain('Open GitHub');
    // Nothing ran, nothing public was said.
    expect(chats()).toHaveLength(0);
    expect(threadTexts(stack.slack, 'C222', root)).toEqual([]);
    gh.approve(/CODE-\d+/.exec(prompt)![0], 'alice');
    await expect.poll(() => ephemerals('UALICE').some((e) => e.includes('Connected as *@alice*'))).toBe(true);
    await expect.poll(() => threadTexts(stack.slack, 'C222', root).some((t) => t.includes('what is up?'))).toBe(true);
    expect(chats().map((c) => [c.login, c.token])).toEqual([['alice', gh.tokenOf('alice')]]);
  });

  it('Discord: a message from someone not connected → the code by DM; once connected, answered as them; Slack’s alice stays alice', async () => {
    const before = chats().length;
    stack.discordSay('hello from discord', { channel: T1, author: IDS.other });
    await expect.poll(() => dms(IDS.other).some((d) => /CODE-\d+/.test(d))).toBe(true);
    const prompt = dms(IDS.other).find((d) => /CODE-\d+/.test(d))!;
    expect(prompt).toContain(`"url":"${gh.url}/login/device"`);
    gh.approve(/CODE-\d+/.exec(prompt)![0], 'bob');
    await expect.poll(() => dms(IDS.other).some((d) => d.includes('Connected as **@bob**'))).toBe(true);
    await expect.poll(() => chats().length).toBe(before + 1);
    expect(chats().at(-1)).toMatchObject({ login: 'bob', token: gh.tokenOf('bob') });
    const answered = () => stack.discord.callsTo('POST', new RegExp(`^/channels/${T1}/messages$`)).some((c) => String((c.body as { content?: string }).content).includes('hello from discord'));
    await expect.poll(answered).toBe(true);

    const root = slackTs();
    await stack.slackEvent({ type: 'app_mention', user: 'UALICE', text: `<@${BOT.userId}> again`, ts: root, channel: 'C222' });
    await expect.poll(() => threadTexts(stack.slack, 'C222', root).some((t) => t.includes('again'))).toBe(true);
    expect(chats().at(-1)).toMatchObject({ login: 'alice' });
  });
});

describe('per-user sign-in at the console (npm run chat)', () => {
  it('the terminal shows the code; once connected, the line is answered as the person, and /whoami says who', async () => {
    const chat = startBuilt('src/bin/chat.js', ['--thread', 'mine', '--user', 'erin'], { ...stack.env, ...botEnv() }, { stdin: true });
    try {
      gh.account('erin');
      chat.type('hello from a terminal');
      const code = await chat.waitFor(/CODE-\d+/);
      expect(chat.output()).toContain(`${gh.url}/login/device`);
      gh.approve(/CODE-\d+/.exec(code)![0], 'erin');
      await chat.waitFor(/Connected as @?\**@?erin/);
      await chat.waitFor(/hello from a terminal/);
      await expect.poll(() => chats().at(-1)?.login).toBe('erin');
      chat.type('/whoami');
      await chat.waitFor(/connected as \**@erin\**/i);
      chat.type('/quit');
      expect((await exitOf(chat)).code).toBe(0);
      expect(chat.output()).not.toMatch(/gh[or]_erin_\d/);
    } finally {
      chat.signalGroup('SIGKILL');
    }
  });
});

describe('per-user sign-in on the built bot (web flow, PUBLIC_URL)', () => {
  let bot: Proc;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    bot = await stack.startBot(botEnv({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, GITHUB_CLIENT_SECRET: 'gh-secret' }));
  }, 120_000);
  afterAll(async () => {
    bot.signalGroup('SIGTERM');
    expect((await exitOf(bot)).code).toBe(0);
    expect(bot.output()).not.toMatch(/gh[or]_[a-z]+_\d/);
    expect(bot.output()).not.toContain('gh-secret');
  });

  it('the prompt is a link to GitHub’s consent page; its return links the account (once) and the mention is answered', async () => {
    const root = slackTs();
    await stack.slackEvent({ type: 'app_mention', user: 'UDAVE', text: `<@${BOT.userId}> through the web`, ts: root, channel: 'C222' }, undefined, port);
    await expect.poll(() => ephemerals('UDAVE').some((e) => e.includes('/login/oauth/authorize'))).toBe(true);
    const authorize = /"url":"([^"]+\/login\/oauth\/authorize[^"]+)"/.exec(ephemerals('UDAVE').find((e) => e.includes('/login/oauth/authorize'))!)![1]!;
    expect(new URL(authorize).searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${port}/auth/github/callback`);
    const back = new URL(gh.consent(authorize, 'dave'));
    // GitHub's return asks the browser to confirm whose chat identity this connects; nothing is linked yet.
    const page = await fetch(back);
    expect(page.status).toBe(200);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    expect(html).toContain('This connects your GitHub account to the Slack user UDAVE');
    expect(html).toContain('<form method="post" action="/auth/github/callback">');
    expect(chats().filter((c) => c.login === 'dave')).toHaveLength(0);
    const confirm = (state: string, code: string) =>
      fetch(`http://127.0.0.1:${port}/auth/github/callback`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ state, code }).toString() });
    const done = await confirm(back.searchParams.get('state')!, back.searchParams.get('code')!);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Connected as @dave');
    await expect.poll(() => threadTexts(stack.slack, 'C222', root).some((t) => t.includes('through the web'))).toBe(true);
    expect(chats().at(-1)).toMatchObject({ login: 'dave' });
    // The state worked once; a forged one links nobody; a decline says so.
    expect((await confirm(back.searchParams.get('state')!, back.searchParams.get('code')!)).status).toBe(400);
    expect((await fetch(back)).status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${port}/auth/github/callback?state=forged&code=x`)).status).toBe(400);
    expect(await (await fetch(`http://127.0.0.1:${port}/auth/github/callback?error=access_denied&state=x`)).text()).toContain('You declined');
  });
});
