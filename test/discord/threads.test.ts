/** Real discord.js + fake gateway/REST + real Copilot runtime: every Discord thread is a session. */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { INTENTS } from '../../adapters/discord/index.js';
import { IDS, nextId } from '../../testkit/fake-discord.js';
import { DM, G1, G2, startDiscordHarness, T1, T2, T3, TEXT, type DiscordHarness } from '../../testkit/discord-harness.js';

let d: DiscordHarness | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

const answered = (d: DiscordHarness, channel: string, n: number) =>
  expect.poll(() => d.sent(channel).length, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(n);

describe('Discord threads', () => {
  it('identifies with the intents it needs, MessageContent included', async () => {
    d = await startDiscordHarness();
    const intents = d.discord.identify[0]!.intents;
    expect(intents & 32768).toBe(32768);
    expect(intents).toBe(INTENTS.reduce((a, b) => a | b, 0));
  });

  it('answers a mention in a thread there, resuming that thread’s session', async () => {
    d = await startDiscordHarness();
    d.say('hello');
    await answered(d, T1, 1);
    d.say('again');
    await answered(d, T1, 2);
    expect(d.sent(T1)).toEqual(['you said: hello', 'you said: again | earlier: hello']);
    expect(fs.existsSync(d.h.sessionDir(`discord-${G1}-${T1}`))).toBe(true);
    const post = d.discord.callsTo('POST', new RegExp(`^/channels/${T1}/messages$`))[0]!.body as { allowed_mentions?: unknown };
    expect(post.allowed_mentions).toEqual({ parse: [], replied_user: false });
  });

  it('opens a thread named from the prompt when mentioned in a channel, and answers there', async () => {
    d = await startDiscordHarness();
    const msg = d.say('How do I reverse a list in Python?', { channel: TEXT });
    await expect.poll(() => d!.discord.callsTo('POST', new RegExp(`^/channels/${TEXT}/messages/${msg}/threads$`)).length, { timeout: 30_000 }).toBe(1);
    const body = d.discord.callsTo('POST', /threads$/)[0]!.body as { name: string };
    expect(body.name).toBe('How do I reverse a list in Python?');
    // On Discord the thread id is the starter message id.
    await answered(d, msg, 1);
    expect(d.sent(msg)).toEqual(['you said: How do I reverse a list in Python?']);
    expect(d.sent(TEXT)).toEqual([]);
    expect(fs.existsSync(d.h.sessionDir(`discord-${G1}-${msg}`))).toBe(true);
  });

  it('answers follow-ups without a mention in a thread with a session, and ignores the rest', async () => {
    d = await startDiscordHarness();
    d.say('first');
    await answered(d, T1, 1);
    d.say('follow-up', { mention: false });
    await answered(d, T1, 2);
    expect(d.sent(T1)[1]).toBe('you said: follow-up | earlier: first');

    d.say('no mention in a thread without a session', { channel: T2, mention: false });
    d.say('no mention in a channel', { channel: TEXT, mention: false });
    d.say('from a bot', { bot: true });
    d.say('system message', { type: 7 });
    d.say('last', { mention: true });
    await answered(d, T1, 3);
    expect(d.h.model.requests.map((r) => r.userTexts.at(-1))).toEqual(['first', 'follow-up', 'last']);
  });

  it('needs a mention for follow-ups when DISCORD_REPLY_WITHOUT_MENTION=false', async () => {
    d = await startDiscordHarness({ env: { DISCORD_REPLY_WITHOUT_MENTION: 'false' } });
    d.say('first');
    await answered(d, T1, 1);
    d.say('ignored', { mention: false });
    d.say('mentioned');
    await answered(d, T1, 2);
    // Not answered, but not lost: what was said between two turns comes with the next one, once.
    expect(d.sent(T1)[1]).toMatch(/^you said: <thread_context>\nSince your last answer, people in the thread said \(1 message\), not addressed to you:\n\[[-\d: ]+ UTC\] user02: ignored\n<\/thread_context>\n\nmentioned \| earlier: first$/);
    d.say('again');
    await answered(d, T1, 3);
    expect(d.h.model.requests.at(-1)!.userTexts.at(-1)).toBe('again');
  });

  it('keeps one session per DM channel', async () => {
    d = await startDiscordHarness();
    d.say('private', { channel: DM, guild: null, mention: false });
    await answered(d, DM, 1);
    d.say('more', { channel: DM, guild: null, mention: false });
    await answered(d, DM, 2);
    expect(d.sent(DM)).toEqual(['you said: private', 'you said: more | earlier: private']);
    expect(fs.existsSync(d.h.sessionDir(`discord-dm-${DM}`))).toBe(true);
  });

  it('keeps thread A, thread B and another guild’s thread apart', async () => {
    d = await startDiscordHarness();
    d.say('secret of A');
    await answered(d, T1, 1);
    d.say('hello B', { channel: T2 });
    d.say('hello other guild', { channel: T3, guild: G2 });
    await answered(d, T2, 1);
    await answered(d, T3, 1);
    expect(d.sent(T2)).toEqual(['you said: hello B']);
    expect(d.sent(T3)).toEqual(['you said: hello other guild']);
    expect(fs.existsSync(d.h.sessionDir(`discord-${G2}-${T3}`))).toBe(true);
  });

  it('keys sessions on the guild too: the same thread id under two guilds gives two sessions', async () => {
    d = await startDiscordHarness();
    d.say('in guild one');
    await answered(d, T1, 1);
    d.say('in guild two', { guild: G2 });
    await answered(d, T1, 2);
    // (The fake keeps one history per channel id, so guild one's message shows as the thread's context.)
    expect(d.sent(T1)[1]).toMatch(/in guild two$/);
    expect(fs.existsSync(d.h.sessionDir(`discord-${G1}-${T1}`))).toBe(true);
    expect(fs.existsSync(d.h.sessionDir(`discord-${G2}-${T1}`))).toBe(true);
  });

  it('remembers a thread across a restart, also once an archived thread is unarchived', async () => {
    d = await startDiscordHarness();
    const msg = d.say('start in channel', { channel: TEXT });
    await answered(d, msg, 1);
    await d.restart();
    // After the restart the thread is not in the gateway's active list: unarchiving announces it.
    d.discord.dispatch('THREAD_UPDATE', {
      id: msg, type: 11, guild_id: G1, parent_id: TEXT, owner_id: IDS.bot, name: 'start in channel',
      thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
    });
    d.say('back days later', { channel: msg, mention: false });
    await answered(d, msg, 2);
    expect(d.sent(msg)[1]).toBe('you said: back days later | earlier: start in channel');
  });

  it('answers a gateway replay of one message once', async () => {
    d = await startDiscordHarness();
    const id = nextId();
    d.say('only once', { id });
    d.say('only once', { id });
    await answered(d, T1, 1);
    d.say('next');
    await answered(d, T1, 2);
    expect(d.h.model.requests.map((r) => r.userTexts.at(-1))).toEqual(['only once', 'next']);
  });
});
