/**
 * Scheduled prompts on Discord: `/copilot schedule when: prompt:` and the same words in a thread,
 * SCHEDULE_TIMEZONE for people (Discord does not say theirs), a run posted in the thread as a turn
 * of its author (roles asked again: a role allowlist still applies), `schedules` with Cancel
 * buttons, and a person who left the server having their schedule stopped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BUTTON } from '../../adapters/discord/commands.js';
import { IDS } from '../../testkit/fake-discord.js';
import { G1, interactionMessages, ROLE, startDiscordHarness, T1, type DiscordHarness } from '../../testkit/discord-harness.js';
import { runSchedulesUntil } from '../../testkit/schedules.js';

let d: DiscordHarness | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

async function shown(d: DiscordHarness, token: string, n = 1) {
  await expect.poll(() => interactionMessages(d.discord, token).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(n);
  return interactionMessages(d.discord, token);
}


describe('scheduled prompts on Discord', () => {
  it('schedules with /copilot schedule, runs in the thread as its author with their roles now, lists and cancels with buttons', async () => {
    d = await startDiscordHarness({ env: { SCHEDULE_TIMEZONE: 'Europe/Paris', DISCORD_ALLOWED_ROLES: ROLE } });
    d.say('hello there', { channel: T1, roles: [ROLE] });
    await expect.poll(() => d!.sent(T1).length, { timeout: 30_000 }).toBe(1);

    const weekly = d.slash('schedule', { channel: T1, roles: [ROLE], strings: { when: 'every monday at 10:00', prompt: 'what is new this week?' } });
    expect((await shown(d, weekly.token))[0]!.content).toMatch(/⏰ Scheduled `[a-f0-9]{8}`: “what is new this week\?”, every monday at 10:00 \(Europe\/Paris\), first on Mon \d+ \w{3}, 10:00 \(Europe\/Paris\)/);

    // The same words in the thread; its run is posted there, then answered.
    d.discord.memberRoles(G1, IDS.human, [ROLE]);
    d.say('schedule "in 1s" is the build green? @everyone', { channel: T1, roles: [ROLE] });
    await expect.poll(() => d!.sent(T1).some((t) => /Scheduled `[a-f0-9]{8}`: “is the build green\?/.test(t)), { timeout: 30_000 }).toBe(true);
    const before = d.sent(T1).length;
    await runSchedulesUntil(d.h.app, 'discord', d.adapter.scheduledRuns, () => d!.sent(T1).slice(before).some((t) => t.includes('is the build green') && !t.startsWith('⏰')));
    const run = d.sent(T1).slice(before);
    expect(run[0]).toMatch(new RegExp(`^⏰ Scheduled by <@${IDS.human}> \\(\`[a-f0-9]{8}\`, once\\):\\n> is the build green\\? @everyone`));
    // Nobody is pinged by the run's message (a mention shows the person; @everyone stays text).
    const posted = d.discord.callsTo('POST', new RegExp(`/channels/${T1}/messages$`)).find((c) => String((c.body as { content?: string }).content).startsWith('⏰ Scheduled by'))!;
    expect((posted.body as { allowed_mentions?: unknown }).allowed_mentions).toEqual({ parse: [], replied_user: false });

    // The list, privately, with a Cancel button; pressing it stops that schedule.
    const list = d.slash('schedules', { channel: T1, roles: [ROLE] });
    const [first] = await shown(d, list.token);
    expect(first!.content).toContain('every monday at 10:00');
    const id = /`([a-f0-9]{8})`/.exec(first!.content)![1]!;
    expect(JSON.stringify(first!.components)).toContain(`${BUTTON.unschedule}${id}`);
    const cancel = d.press(`${BUTTON.unschedule}${id}`, { roles: [ROLE] });
    expect((await shown(d, cancel.token)).map((m) => m.content).join('\n')).toMatch(new RegExp(`Stopped \`${id}\``));
    expect(await d.h.app.store.schedules.list()).toEqual([]);
  });

  it('stops the schedule of someone who lost the role the bot is open to, or left the server, saying so in the thread', async () => {
    d = await startDiscordHarness({ env: { DISCORD_ALLOWED_ROLES: ROLE } });
    d.say('hello', { channel: T1, roles: [ROLE] });
    await expect.poll(() => d!.sent(T1).length, { timeout: 30_000 }).toBe(1);
    d.say('schedule "in 1s" status?', { channel: T1, roles: [ROLE] });
    d.say('schedule "in 1s" status?', { channel: T1, roles: [ROLE], author: IDS.other });
    await expect.poll(async () => (await d!.h.app.store.schedules.list()).length, { timeout: 30_000 }).toBe(2);
    // The role was taken from one; the other left the server.
    d.discord.memberRoles(G1, IDS.human, []);
    d.discord.leaveGuild(G1, IDS.other);
    const asked = d.h.model.requests.length;
    await runSchedulesUntil(d.h.app, 'discord', d.adapter.scheduledRuns, () => d!.sent(T1).filter((t) => /stopped:/.test(t)).length === 2);
    const stopped = d.sent(T1).filter((t) => /stopped:/.test(t));
    expect(stopped).toHaveLength(2);
    expect(stopped).toEqual(expect.arrayContaining([
      expect.stringMatching(/stopped: they are no longer in this server\.$/),
      expect.stringMatching(/stopped: they may no longer talk to me here\.$/),
    ]));
    expect(d.h.model.requests.length).toBe(asked);
    expect(await d.h.app.store.schedules.list()).toEqual([]);
  });
});
