/** /copilot history|forget|sessions|help, its buttons, and the text commands, on Discord. */
import fs from 'node:fs';
import { startGitServer } from '../../testkit/git-server.js';
import { afterEach, describe, expect, it } from 'vitest';
import { BUTTON } from '../../adapters/discord/commands.js';
import { IDS } from '../../testkit/fake-discord.js';
import { DM, G1, G2, interactionMessages, ROLE, startDiscordHarness, T1, T2, T_PRIVATE, T_STAFF, TEXT, TEXT2, type DiscordHarness } from '../../testkit/discord-harness.js';

let d: DiscordHarness | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

async function turns(d: DiscordHarness, channel: string, ...prompts: string[]): Promise<void> {
  for (const [i, p] of prompts.entries()) {
    d.say(p, { channel });
    await expect.poll(() => d.sent(channel).length, { timeout: 30_000 }).toBe(i + 1);
  }
}

async function shown(d: DiscordHarness, token: string, n = 1) {
  await expect.poll(() => interactionMessages(d.discord, token).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(n);
  return interactionMessages(d.discord, token);
}

const deferredEphemeral = (d: DiscordHarness, token: string) =>
  d.discord.calls.find((c) => c.path.includes(`/${token}/callback`))?.body as { type: number; data?: { flags?: number } } | undefined;

describe('/copilot on Discord', () => {
  it('history is deferred at once, private, paged, with a transcript file for long sessions', async () => {
    d = await startDiscordHarness();
    await turns(d, T1, ...Array.from({ length: 9 }, (_, i) => `question ${i}`));
    const { token } = d.slash('history');
    const [first] = await shown(d, token);
    expect(deferredEphemeral(d, token)).toEqual({ type: 5, data: { flags: 64 } });
    expect(first!.content).toMatch(/History of this thread\*\* \(page (\d+) of \1/);
    expect(first!.content.length).toBeLessThanOrEqual(2000);
    expect(first!.files).toContain('question 0');
    expect(JSON.stringify(first!.components)).toContain(`${BUTTON.historyPage}`);

    const page1 = d.slash('history', { page: 1 });
    expect((await shown(d, page1.token))[0]!.content).toContain('question 0');

    const older = d.press(`${BUTTON.historyPage}1`);
    expect((await shown(d, older.token))[0]!.content).toContain('(page 1 of');
  });

  it('forget asks with buttons, refuses others, then deletes the session and tells the thread', async () => {
    d = await startDiscordHarness();
    await turns(d, T1, 'remember me');
    const { token } = d.slash('forget');
    expect(JSON.stringify((await shown(d, token))[0]!.components)).toContain(BUTTON.forgetYes);

    const intruder = d.press(BUTTON.forgetYes, { user: IDS.other });
    expect((await shown(d, intruder.token))[0]).toMatchObject({ content: expect.stringMatching(/Only the person who started/), flags: 64 });
    expect(fs.existsSync(d.h.sessionDir(`discord-${G1}-${T1}`))).toBe(true);

    const yes = d.press(BUTTON.forgetYes);
    expect((await shown(d, yes.token))[0]!.content).toMatch(/Forgotten/);
    expect(fs.existsSync(d.h.sessionDir(`discord-${G1}-${T1}`))).toBe(false);
    expect(await d.h.app.store.registry.get(`discord-${G1}-${T1}` as never)).toBeUndefined();
    await expect.poll(() => d!.sent(T1).at(-1), { timeout: 10_000 }).toMatch(/made me forget this thread/);

    d.say('fresh start');
    await expect.poll(() => d!.sent(T1).at(-1), { timeout: 30_000 }).toBe('you said: fresh start');
  });

  it('keep-it leaves the session alone', async () => {
    d = await startDiscordHarness();
    await turns(d, T1, 'stay');
    d.press(BUTTON.forgetNo);
    await expect
      .poll(() => d!.discord.calls.filter((c) => c.path.includes('/callback')).map((c) => (c.body as { type: number }).type), { timeout: 10_000 })
      .toContain(7);
    expect(fs.existsSync(d.h.sessionDir(`discord-${G1}-${T1}`))).toBe(true);
  });

  it('sessions lists only threads the asker may view: a hidden channel’s to its role, a private thread’s to its members', async () => {
    d = await startDiscordHarness();
    await turns(d, T1, 'for everyone');
    await turns(d, T_STAFF, 'staff only');
    await turns(d, T_PRIVATE, 'just us');
    const listed = async (user: string, roles?: string[]) => {
      const { token } = d!.slash('sessions', { channel: TEXT, user, ...(roles ? { roles } : {}) });
      const text = (await shown(d!, token))[0]!.content;
      return [T1, T_STAFF, T_PRIVATE].filter((t) => text.includes(t));
    };
    expect(await listed(IDS.other)).toEqual([T1]);
    expect(await listed(IDS.other, [ROLE])).toEqual([T1, T_STAFF]);
    // The guild's owner views every channel, and is a member of the private thread.
    expect(await listed(IDS.human)).toEqual([T1, T_STAFF, T_PRIVATE]);
  });

  it('sessions lists this guild’s threads readably (mentions, opening words, links, relative times, newest first); history outside a thread lists that channel’s', async () => {
    d = await startDiscordHarness();
    await turns(d, T1, 'one: how do I *deploy* this?');
    await turns(d, T2, 'two');
    const sessions = d.slash('sessions', { channel: TEXT });
    const [listing] = await shown(d, sessions.token);
    const lines = listing!.content.split('\n').filter((l) => l.startsWith('• '));
    // Newest first; where and who as mentions; the first prompt's words, its Markdown shown literally.
    expect(lines[0]).toMatch(new RegExp(`^• <#${T2}> in <#${TEXT}> · “two” · started by <@${IDS.human}> · 1 turn · just now · \\[open thread\\]\\(<https://discord.com/channels/${G1}/${T2}>\\)$`));
    expect(lines[1]).toContain(`<#${T1}> in <#${TEXT}> · “one: how do I \\*deploy\\* this?”`);
    // Listed, not pinged: the reply parses no mentions.
    const edit = d.discord.calls.find((c) => c.method === 'PATCH' && c.path.includes(sessions.token));
    expect((edit?.body as { allowed_mentions?: { parse?: unknown[] } }).allowed_mentions?.parse).toEqual([]);
    const help = d.slash('help');
    expect((await shown(d, help.token))[0]!.content).toContain('`forget`');
    const usage = d.slash('usage', { channel: TEXT });
    expect((await shown(d, usage.token))[0]!.content).toMatch(/Your Copilot usage[\s\S]*Today: \d+ turns, 0 tool runs/);
    const outside = d.slash('history', { channel: TEXT });
    const inChannel = (await shown(d, outside.token))[0]!.content;
    expect(inChannel).toMatch(/Threads with a Copilot session in this channel\*\* \(2, newest first\)/);
    expect(inChannel).toContain(`<#${T1}>`);
    expect(inChannel).toContain('use `/copilot history` there');
    const empty = d.slash('history', { channel: TEXT2, guild: G2 });
    expect((await shown(d, empty.token))[0]!.content).toMatch(/No thread in this channel[\s\S]*inside a thread/);
  });

  it('/copilot model and agent show and switch the thread\'s, privately; only in a thread, only by its starter', async () => {
    d = await startDiscordHarness({ env: { COPILOT_MODELS: 'model-b' } });
    await turns(d, T1, 'first');
    expect(d.h.model.requests.at(-1)!.model).toBe('test-model');
    const show = d.slash('model');
    expect((await shown(d, show.token))[0]!.content).toMatch(/This thread uses \*\*test-model\*\* \(the bot's default\)\.\nAlso on offer: `model-b`/);
    expect(deferredEphemeral(d, show.token)).toEqual({ type: 5, data: { flags: 64 } });
    const other = d.slash('model', { name: 'model-b', user: '900000000000000099' });
    expect((await shown(d, other.token))[0]!.content).toMatch(/Only the person who started this thread’s session/);
    const sw = d.slash('model', { name: 'model-b' });
    expect((await shown(d, sw.token))[0]!.content).toMatch(/This thread now uses \*\*model-b\*\*/);
    d.say('second', { channel: T1 });
    await expect.poll(() => d!.sent(T1).length, { timeout: 30_000 }).toBe(2);
    expect(d.h.model.requests.at(-1)!.model).toBe('model-b');
    const agents = d.slash('agent');
    expect((await shown(d, agents.token))[0]!.content).toMatch(/No custom agents are on offer here/);
    const outside = d.slash('model', { channel: TEXT, name: 'model-b' });
    expect((await shown(d, outside.token))[0]!.content).toMatch(/Use this inside a thread/);
  });

  it('/copilot repo binds the thread\'s repository (cloned in its sandbox), shows it, and says what is wrong', async () => {
    const git = await startGitServer();
    try {
      const commit = git.makeRepo('acme/widgets', { 'README.md': 'Widgets\n' });
      d = await startDiscordHarness({ env: { COPILOT_TOOLS: 'bash', REPOS_ALLOWED: 'acme/*', REPOS_URL: `http://git.test:${git.port}`, TOOLS_ALLOWED_HOSTS: 'git.test', TOOLS_PINNED_HOSTS: `git.test=127.0.0.1:${git.port}` } });
      await turns(d, T1, 'first');
      const bind = d.slash('repo', { strings: { what: 'acme/widgets', ref: 'main' } });
      expect((await shown(d, bind.token))[0]!.content).toMatch(new RegExp(`Repository: \\*\\*acme/widgets\\*\\* \`main\` at \`${commit.slice(0, 7)}\``));
      expect(deferredEphemeral(d, bind.token)).toEqual({ type: 5, data: { flags: 64 } });
      const show = d.slash('repo');
      expect((await shown(d, show.token))[0]!.content).toMatch(/acme\/widgets[\s\S]*`repo pull` refreshes it/);
      const bad = d.slash('repo', { strings: { what: 'other/thing' } });
      expect((await shown(d, bad.token))[0]!.content).toMatch(/not among the repositories this bot may bind/);
      const outside = d.slash('repo', { channel: TEXT, strings: { what: 'acme/widgets' } });
      expect((await shown(d, outside.token))[0]!.content).toMatch(/Use this inside a thread/);
    } finally {
      await git.close();
    }
  });

  it('works in DMs too', async () => {
    d = await startDiscordHarness();
    d.say('dm question', { channel: DM, guild: null, mention: false });
    await expect.poll(() => d!.sent(DM).length, { timeout: 30_000 }).toBe(1);
    const { token } = d.slash('history', { channel: DM, guild: null });
    expect((await shown(d, token))[0]!.content).toContain('dm question');
  });
});

describe('text commands in a thread', () => {
  it('`@copilot history`, `help` and `forget` reach the same commands', async () => {
    d = await startDiscordHarness();
    await turns(d, T1, 'text command thread');
    d.say('history');
    await expect.poll(() => d!.sent(T1).at(-1), { timeout: 30_000 }).toMatch(/History of this thread[\s\S]*text command thread/);
    d.say('help');
    await expect.poll(() => d!.sent(T1).at(-1), { timeout: 30_000 }).toContain('`history [page]`');
    d.say('forget');
    await expect.poll(() => d!.discord.callsTo('POST', new RegExp(`^/channels/${T1}/messages$`)).at(-1)?.body, { timeout: 30_000 }).toMatchObject({
      content: expect.stringMatching(/Forget this thread\?/),
      components: [expect.objectContaining({ components: expect.arrayContaining([expect.objectContaining({ custom_id: BUTTON.forgetYes })]) })],
    });
    const yes = d.press(BUTTON.forgetYes, { ephemeral: false });
    expect((await shown(d, yes.token))[0]!.content).toMatch(/Forgotten/);
    expect(d.h.model.requests).toHaveLength(1);
  });
});
