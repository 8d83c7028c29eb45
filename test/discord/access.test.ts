/** Access rules on real discord.js: refused people get one DM per thread; no thread is opened for them, no model call. */
import { afterEach, describe, expect, it } from 'vitest';
import { IDS } from '../../testkit/fake-discord.js';
import { G2, ROLE, startDiscordHarness, T1, T3, TEXT, type DiscordHarness } from '../../testkit/discord-harness.js';

let d: DiscordHarness | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

const dmTo = (d: DiscordHarness, user: string) => d.discord.callsTo('POST', /^\/users\/@me\/channels$/).filter((c) => (c.body as { recipient_id?: string }).recipient_id === user);

describe('Discord access rules', () => {
  it('DISCORD_ALLOWED_ROLES: a member without the role is told once by DM, and no thread is opened; a member with it is answered', async () => {
    d = await startDiscordHarness({ env: { DISCORD_ALLOWED_ROLES: ROLE } });
    d.say('open a thread for me', { channel: TEXT, author: IDS.other });
    await expect.poll(() => dmTo(d!, IDS.other).length).toBe(1);
    const dm = `5${IDS.other.slice(1)}`;
    await expect.poll(() => d!.sent(dm)).toEqual([expect.stringMatching(/only answer the people/)]);
    d.say('please', { channel: TEXT, author: IDS.other });
    expect(d.discord.callsTo('POST', /\/threads$/)).toHaveLength(0);

    d.say('hello from a member', { channel: T1, roles: [ROLE] });
    await expect.poll(() => d!.sent(T1)).toEqual(['you said: hello from a member']);
    d.say('me too', { channel: T1, author: IDS.other });
    // Another thread: told again (discord.js reuses the DM channel it opened).
    await expect.poll(() => d!.sent(dm).length).toBe(2);
    expect(d.h.model.requests.map((r) => r.userTexts.at(-1))).toEqual(['hello from a member']);
    expect(d.sent(T1)).toHaveLength(1);
  });

  it('ALLOWED_CHANNELS: a thread counts by its parent channel; threads under other channels are refused', async () => {
    d = await startDiscordHarness({ env: { ALLOWED_CHANNELS: `discord:${TEXT}` } });
    d.say('in a thread of the listed channel', { channel: T1 });
    await expect.poll(() => d!.sent(T1)).toEqual(['you said: in a thread of the listed channel']);
    d.say('in another guild', { channel: T3, guild: G2 });
    await expect.poll(() => d!.sent(`5${IDS.human.slice(1)}`)).toEqual([expect.stringMatching(/not enabled in this channel/)]);
    expect(d.sent(T3)).toEqual([]);
    expect(d.h.model.requests).toHaveLength(1);
  });
});
