/** Long answers, pings, REST failures, rate limits, gateway trouble: the bot answers or logs, and lives on. */
import { afterEach, describe, expect, it } from 'vitest';
import { openFence } from '../../adapters/shared/chunk.js';
import { echoReply, type ModelReply } from '../../testkit/model-server.js';
import { G1, startDiscordHarness, T1, T2, TEXT, type DiscordHarness } from '../../testkit/discord-harness.js';

let d: DiscordHarness | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

const posts = (d: DiscordHarness, channel: string) => d.discord.callsTo('POST', new RegExp(`^/channels/${channel}/messages$`));

describe('Discord replies', () => {
  it('a 2,500-character answer with a code block arrives as valid chunks within the 2,000 limit', async () => {
    const code = ['```ts', ...Array.from({ length: 60 }, (_, i) => `const line${i} = ${i}; // padding padding padding`), '```'].join('\n');
    const text = `Here is the plan.\n\n${code}\n\nThat is all.`;
    expect(text.length).toBeGreaterThan(2500);
    d = await startDiscordHarness({ script: (): ModelReply => ({ kind: 'text', text }) });
    d.say('write code');
    await expect.poll(() => d!.sent(T1).at(-1), { timeout: 30_000 }).toMatch(/That is all\.$/);
    const parts = d.sent(T1);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(2000);
      expect(openFence(p)).toBeUndefined();
    }
    expect(parts[1]!.startsWith('```ts\n')).toBe(true);
    for (const i of [0, 30, 59]) expect(parts.join('\n')).toContain(`const line${i} = ${i};`);
  });

  it('never lets model output ping anyone', async () => {
    d = await startDiscordHarness({ script: () => ({ kind: 'text', text: '@everyone @here <@&555> <@111> look!' }) });
    d.say('ping them');
    await expect.poll(() => posts(d!, T1).length, { timeout: 30_000 }).toBe(1);
    expect(posts(d, T1)[0]!.body).toMatchObject({ content: '@everyone @here <@&555> <@111> look!', allowed_mentions: { parse: [], replied_user: false } });
  });

  it('says so in the thread when a turn fails, and the thread keeps working', async () => {
    let hang = true;
    d = await startDiscordHarness({ env: { TURN_TIMEOUT_SECONDS: '2' }, script: (req) => (hang ? { kind: 'hang' } : echoReply(req)) });
    d.say('slow');
    await expect.poll(() => d!.sent(T1)[0], { timeout: 30_000 }).toMatch(/took longer than 2 s/);
    hang = false;
    d.say('fast');
    await expect.poll(() => d!.sent(T1)[1], { timeout: 30_000 }).toMatch(/^you said: fast/);
  });
});

describe('Discord failures', () => {
  it('survives REST 500s on send and answers the next message', async () => {
    d = await startDiscordHarness();
    // A 500 is retried twice by discord.js; after three failures the answer is sent once more, as a fresh message.
    d.discord.fail('POST', new RegExp(`^/channels/${T1}/messages$`), { status: 500 }, 3);
    d.say('lost');
    await expect.poll(() => d!.sent(T1), { timeout: 30_000 }).toEqual(['you said: lost']);
    expect(posts(d, T1)).toHaveLength(4);
    d.say('found');
    await expect.poll(() => d!.sent(T1).at(-1), { timeout: 30_000 }).toMatch(/^you said: found \| earlier: lost/);
  });

  it('waits out a 429 (Retry-After) and delivers', async () => {
    d = await startDiscordHarness();
    d.discord.fail('POST', new RegExp(`^/channels/${T1}/messages$`), { status: 429, retryAfter: 0.3 });
    d.say('rate limited');
    await expect.poll(() => d!.sent(T1).filter((c) => c === 'you said: rate limited').length, { timeout: 30_000 }).toBe(1);
    expect(posts(d, T1)).toHaveLength(2);
  });

  it('lives through malformed gateway payloads', async () => {
    d = await startDiscordHarness();
    d.discord.sendRaw('{"op":0,"t":"MESSAGE_CREATE","s":50,"d":{"id":"1"}}');
    d.discord.sendRaw('{"op":0,"t":"INTERACTION_CREATE","s":51,"d":{"id":"2","type":2}}');
    d.discord.sendRaw('{"op":0,"t":"THREAD_CREATE","s":52,"d":null}');
    d.say('still there?', { channel: T2 });
    await expect.poll(() => d!.sent(T2), { timeout: 30_000 }).toEqual(['you said: still there?']);
  });

  it.each([
    ['THREAD_LIST_SYNC', (g: string) => ({ guild_id: g, channel_ids: [TEXT], threads: [{ id: T2 }], members: [] })],
    ['CHANNEL_UPDATE', (g: string) => ({ id: T2, type: 999, guild_id: g, parent_id: TEXT, name: 'thread two' })],
  ])('fetches a thread that a malformed %s dropped from the cache, and keeps answering it in order', async (event, payload) => {
    d = await startDiscordHarness();
    d.say('first', { channel: T2 });
    await expect.poll(() => d!.sent(T2)).toEqual(['you said: first']);
    d.discord.dispatch(event, payload(G1));
    await expect.poll(() => d!.adapter.client.channels.cache.has(T2)).toBe(false);
    // Follow-ups without a mention: only the registry says the bot cares about this thread.
    d.say('second', { channel: T2, mention: false });
    d.say('third', { channel: T2, mention: false });
    await expect.poll(() => d!.sent(T2)).toEqual(['you said: first', 'you said: second | earlier: first', 'you said: third | earlier: first; second']);
    expect(d.discord.callsTo('GET', new RegExp(`^/channels/${T2}$`))).toHaveLength(1);
  });

  it('resumes after the gateway drops the connection', async () => {
    d = await startDiscordHarness();
    d.say('before');
    await expect.poll(() => d!.sent(T1).length, { timeout: 30_000 }).toBe(1);
    d.discord.dropConnection(4000);
    await expect.poll(() => d!.discord.resumes, { timeout: 30_000 }).toBe(1);
    d.say('after the blip');
    await expect.poll(() => d!.sent(T1)[1], { timeout: 30_000 }).toBe('you said: after the blip | earlier: before');
  });
});

describe('Discord streaming', () => {
  it('shows typing, then edits one message as the answer grows, within the channel’s rate limit, continuing past 2,000 characters fence-safely', async () => {
    const code = ['```py', ...Array.from({ length: 70 }, (_, i) => `print("streamed line ${i}")  # pad pad`), '```'].join('\n');
    const text = `Streaming now.\n\n${code}\n\nFinished.`;
    d = await startDiscordHarness({ script: (): ModelReply => ({ kind: 'text', text, pieceDelayMs: 40 }) });
    // Discord's own limit, announced in X-RateLimit-* headers: five message calls per five seconds per channel.
    d.discord.rateLimitMessages(5, 5000);
    d.say('stream it');
    await expect.poll(() => d!.sent(T1).at(-1), { timeout: 60_000 }).toMatch(/Finished\.$/);
    const typing = d.discord.callsTo('POST', new RegExp(`^/channels/${T1}/typing$`));
    const first = d.discord.calls.findIndex((c) => c.method === 'POST' && c.path === `/channels/${T1}/messages`);
    expect(typing.length).toBeGreaterThan(0);
    expect(d.discord.calls.indexOf(typing[0]!)).toBeLessThan(first);
    const edits = d.discord.callsTo('PATCH', new RegExp(`^/channels/${T1}/messages/\\d+$`));
    // It streamed (the message was edited while the answer grew), and never ran into Discord's limit.
    expect(edits.length).toBeGreaterThan(0);
    // The first text came before the answer was done, marked as going on.
    expect((posts(d, T1)[0]!.body as { content: string }).content).toMatch(/ …$/);
    expect(d.discord.calls.filter((c) => c.status === 429)).toHaveLength(0);
    const parts = d.sent(T1);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(2000);
      expect(openFence(p)).toBeUndefined();
      expect(p).not.toMatch(/ …$/);
    }
    for (const i of [0, 35, 69]) expect(parts.join('\n')).toContain(`print("streamed line ${i}")`);
    for (const c of [...edits, ...posts(d, T1)]) expect((c.body as { allowed_mentions?: unknown }).allowed_mentions).toEqual({ parse: [], replied_user: false });
  });
});
