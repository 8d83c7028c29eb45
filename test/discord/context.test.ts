/**
 * The thread is the context (Discord): the thread before the bot's first turn (and the channel
 * message it was started from), what people said between turns, and what a reply, a forward or
 * a sticker carries; a DM whose event lacks `channel_type`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { splitContext } from '../../src/core/thread-context.js';
import { IDS, nextId } from '../../testkit/fake-discord.js';
import { discordMessage, DM, startDiscordHarness, T1, T2, TEXT, type DiscordHarness } from '../../testkit/discord-harness.js';

let d: DiscordHarness | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

const answered = (d: DiscordHarness, channel: string, n: number) =>
  expect.poll(() => d.sent(channel).filter((t) => t.startsWith('you said:')).length, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(n);
const lastPrompt = (d: DiscordHarness) => d.h.model.requests.at(-1)!.userTexts.at(-1)!;
const contextLines = (prompt: string) => prompt.split('\n</thread_context>')[0]!.split('\n').slice(2).map((l) => l.replace(/^\[[-\d: ]+ UTC\] /, ''));

describe('Discord: the thread is the context', () => {
  it('gives the first turn the thread so far (from the channel message it was started from), then only what is new', async () => {
    d = await startDiscordHarness();
    // The channel message the thread was opened from, and the pointer Discord puts at the thread's start.
    const starter = T2;
    d.discord.dispatch('MESSAGE_CREATE', { ...discordMessage('deploys fail since noon', { channel: TEXT, id: starter, mention: false, author: IDS.other }) });
    d.discord.dispatch('MESSAGE_CREATE', { ...discordMessage('', { channel: T2, mention: false }), type: 21, message_reference: { message_id: starter, channel_id: TEXT } });
    d.say('only on arm64 <@' + IDS.other + '>', { channel: T2, mention: false });
    d.say('the runner image changed', { channel: T2, mention: false, author: IDS.other });
    d.say('what do we know?', { channel: T2 });
    await answered(d, T2, 1);
    const first = lastPrompt(d);
    expect(first.split('\n')[1]).toBe('Earlier messages of this chat thread, before you were asked (3 messages):');
    expect(contextLines(first)).toEqual(['user03: deploys fail since noon', 'user02: only on arm64 @user03', 'user03: the runner image changed']);
    expect(splitContext(first).question).toBe('what do we know?');
    d.say('thanks', { channel: T2 });
    await answered(d, T2, 2);
    expect(lastPrompt(d)).toBe('thanks');
  });

  it('answers follow-ups without a mention only from the starter; the others’ come with the next turn', async () => {
    d = await startDiscordHarness();
    d.say('first', { channel: T1 });
    await answered(d, T1, 1);
    d.say('not for the bot', { channel: T1, mention: false, author: IDS.other });
    d.say('follow-up', { channel: T1, mention: false });
    await answered(d, T1, 2);
    expect(d.h.model.requests).toHaveLength(2);
    expect(splitContext(lastPrompt(d))).toEqual({ question: 'follow-up', context: '1 message said in the thread since the last answer' });
    expect(contextLines(lastPrompt(d))).toEqual(['user03: not for the bot']);
  });

  it('gives the model the message a reply answers, what a forward carries, and a sticker', async () => {
    d = await startDiscordHarness();
    const original = d.say('the cache TTL is 300s', { channel: T1, mention: false, author: IDS.other });
    d.discord.dispatch('MESSAGE_CREATE', {
      ...discordMessage('is that too long?', { channel: T1 }),
      type: 19,
      message_reference: { type: 0, message_id: original, channel_id: T1, guild_id: '100000000000000001' },
      referenced_message: discordMessage('the cache TTL is 300s', { channel: T1, mention: false, author: IDS.other, id: original }),
    });
    await answered(d, T1, 1);
    expect(lastPrompt(d)).toMatch(/is that too long\?\n\nBrought along with this message \(shared, forwarded or replied to\):\n.*user03 \(the message this replies to\): the cache TTL is 300s$/);

    // A forward in a DM: no words of its own.
    d.discord.dispatch('MESSAGE_CREATE', {
      ...discordMessage('', { channel: DM, guild: null, mention: false }),
      flags: 16384,
      message_reference: { type: 1, message_id: nextId(), channel_id: TEXT },
      message_snapshots: [{ message: { content: 'build 77 is red', timestamp: new Date().toISOString(), type: 0, attachments: [], embeds: [], flags: 0, mentions: [], mention_roles: [] } }],
    });
    await answered(d, DM, 1);
    expect(lastPrompt(d)).toMatch(/^Brought along with this message .*\n.*a forwarded message: build 77 is red$/);

    d.discord.dispatch('MESSAGE_CREATE', { ...discordMessage('', { channel: DM, guild: null, mention: false }), sticker_items: [{ id: nextId(), name: 'thumbs up', format_type: 1 }] });
    await answered(d, DM, 2);
    expect(lastPrompt(d)).toBe('[sticker: thumbs up]');
  });

  it('gives the model a text file and a picture attached to a message', async () => {
    d = await startDiscordHarness();
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    d.discord.dispatch('MESSAGE_CREATE', {
      ...discordMessage('what is wrong here?', { channel: T1 }),
      attachments: [d.discord.file('config.yaml', 'replicas: 0\n', 'application/yaml'), d.discord.file('graph.png', png, 'image/png'), d.discord.file('movie.mp4', 'x', 'video/mp4')],
    });
    await answered(d, T1, 1);
    const sent = JSON.stringify(d.h.model.requests.at(-1)!.messages.at(-1));
    expect(sent).toContain('replicas: 0');
    expect(sent).toMatch(/"type":"image_url"[^}]*data:image\/png;base64,/);
    expect(d.sent(T1)).toContain("I couldn't read movie.mp4: video isn't supported yet (pictures and text files are).");
  });

  it('answers a DM whose event says no channel_type (an uncached DM channel)', async () => {
    d = await startDiscordHarness();
    const { channel_type: _omitted, ...payload } = discordMessage('hello from an uncached DM', { channel: '400000000000000077', guild: null, mention: false }) as ReturnType<typeof discordMessage> & { channel_type?: number };
    d.discord.dispatch('MESSAGE_CREATE', payload);
    await answered(d, '400000000000000077', 1);
    expect(lastPrompt(d)).toBe('hello from an uncached DM');
  });
});
