/**
 * Scheduled prompts on Slack, as people see them: set in a thread (the person's own time zone
 * from their profile), listed privately with Cancel buttons, run in the thread as a turn of their
 * author (a message saying whose schedule it is, then the answer), stopped when the person loses
 * the thread, and gone with `forget`. Real Bolt, store and runtime against the fake Slack API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../adapters/slack/blocks.js';
import { THINKING } from '../../adapters/slack/replier.js';
import { mention, nextTs, startSlackHarness, type SlackHarness } from '../../testkit/slack-harness.js';
import { blockAction, threadTexts } from '../../testkit/slack-view.js';
import { runSchedulesUntil } from '../../testkit/schedules.js';

let s: SlackHarness | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const finished = (s: SlackHarness, thread: string) => threadTexts(s.slack, 'C222', thread).filter((t) => t !== THINKING);

async function threadWithTurn(s: SlackHarness, prompt: string): Promise<string> {
  const ts = nextTs();
  await s.event(mention(prompt, { ts }));
  await expect.poll(() => finished(s, ts).length, { timeout: 30_000 }).toBe(1);
  return ts;
}

async function response(s: SlackHarness, id: string): Promise<Record<string, unknown>> {
  await expect.poll(() => s.slack.responses.filter((r) => r.id === id).length, { timeout: 30_000 }).toBeGreaterThan(0);
  return s.slack.responses.find((r) => r.id === id)!.body;
}


const scheduleId = (text: string) => /Scheduled `([a-f0-9]{8})`/.exec(text)?.[1];

describe('scheduled prompts on Slack', () => {
  it('schedules in the thread, reads times in the person’s own zone, runs as a turn of theirs, lists and cancels privately', async () => {
    s = await startSlackHarness();
    s.slack.timeZone('UHUMAN', 'Asia/Tokyo');
    s.slack.people({ UHUMAN: 'Ana' });
    const ts = await threadWithTurn(s, 'we ship on fridays');

    await s.event(mention('schedule "every weekday at 09:00" summarise what changed', { thread_ts: ts }));
    await expect.poll(() => finished(s!, ts).length, { timeout: 30_000 }).toBe(2);
    const weekly = finished(s, ts)[1]!;
    expect(weekly).toMatch(/⏰ Scheduled `[a-f0-9]{8}`: “summarise what changed”, every weekday at 09:00 \(Asia\/Tokyo\), first on \w{3} \d+ \w{3}, 09:00 \(Asia\/Tokyo\)/);

    // A one-off, soon: it runs in the thread, its message says whose it is, the answer follows it.
    await s.event(mention('schedule "in 1s" what is the status of the release?', { thread_ts: ts }));
    await expect.poll(() => finished(s!, ts).length, { timeout: 30_000 }).toBe(3);
    const once = scheduleId(finished(s, ts)[2]!)!;
    const asked = s.h.model.requests.length;
    await runSchedulesUntil(s.h.app, 'slack', s.adapter.scheduledRuns, () => finished(s!, ts).some((t) => /status of the release/.test(t) && !t.startsWith('⏰')));
    const texts = finished(s, ts);
    const header = texts.findIndex((t) => t.startsWith('⏰ Scheduled by *Ana*'));
    expect(texts[header]).toContain(`\`${once}\`, once`);
    expect(texts[header]).toContain('>what is the status of the release?');
    // The answer comes after the run's message, in the same thread, from the model.
    expect(texts.slice(header + 1).some((t) => t.includes('status of the release'))).toBe(true);
    expect(s.h.model.requests.length).toBe(asked + 1);
    // A one-off is done once it ran; the weekly one stays.
    expect((await s.h.app.store.schedules.list()).map((x) => x.prompt)).toEqual(['summarise what changed']);

    // The list is private, with a Cancel button; a click stops it and shows the list again.
    const link = `<https://test.slack.com/archives/C222/p${ts.replace('.', '')}>`;
    await s.command(`schedules ${link}`, { responseId: 'list' });
    const list = await response(s, 'list');
    const blocks = list.blocks as Array<{ text?: { text: string }; accessory?: { action_id: string; value: string } }>;
    const row = blocks.find((b) => b.accessory?.action_id === ACTION.unschedule)!;
    expect(row.text!.text).toContain('every weekday at 09:00');
    expect(row.text!.text).toContain('by <@UHUMAN>');
    await s.interact(blockAction(s.slack, ACTION.unschedule, row.accessory!.value, { responseId: 'cancel', ephemeral: true, blockId: 'b1' }));
    expect(String((await response(s, 'cancel')).text)).toMatch(/Stopped `[a-f0-9]{8}`/);
    expect(await s.h.app.store.schedules.list()).toEqual([]);
  });

  it('refuses what it cannot run, and holds each person to SCHEDULES_PER_USER', async () => {
    s = await startSlackHarness({ env: { SCHEDULES_PER_USER: '1' } });
    const ts = await threadWithTurn(s, 'hello');
    const say = async (text: string, n: number) => {
      await s!.event(mention(text, { thread_ts: ts }));
      await expect.poll(() => finished(s!, ts).length, { timeout: 30_000 }).toBe(n);
      return finished(s!, ts)[n - 1]!;
    };
    expect(await say('schedule "every 1m" ping', 2)).toMatch(/at most every 5 minutes/);
    expect(await say('schedule "someday" ping', 3)).toMatch(/I could not read "someday" as a time\. I understand/);
    expect(await say('schedule "in 2h" forget', 4)).toMatch(/not a command/);
    expect(await say('schedule "every 2h in Mars/Olympus" ping', 5)).toMatch(/do not know the time zone "Mars\/Olympus"/);
    expect(await say('schedule "every 2h" ping', 6)).toMatch(/Scheduled/);
    expect(await say('schedule "every 3h" pong', 7)).toMatch(/You have 1 schedule, the most one person may have here \(SCHEDULES_PER_USER\)/);
    // Someone else cannot stop it; its id is named in the refusal only as the one asked for.
    const id = (await s.h.app.store.schedules.list())[0]!.id;
    await s.event(mention(`unschedule ${id}`, { thread_ts: ts, user: 'UOTHER' }));
    await expect.poll(() => finished(s!, ts).length, { timeout: 30_000 }).toBe(8);
    expect(finished(s, ts)[7]).toMatch(/Only the person who made/);
    expect(await s.h.app.store.schedules.list()).toHaveLength(1);
  });

  it('stops a schedule whose person left the private channel, saying so in the thread; forget deletes the rest', async () => {
    s = await startSlackHarness();
    const ts = await threadWithTurn(s, 'hello');
    await s.event(mention('schedule "in 1s" anything new?', { thread_ts: ts }));
    await s.event(mention('schedule "every 6h" anything new?', { thread_ts: ts, user: 'UOTHER' }));
    await expect.poll(async () => (await s!.h.app.store.schedules.list()).length, { timeout: 30_000 }).toBe(2);
    s.slack.privateChannel('C222', ['UOTHER']);
    const asked = s.h.model.requests.length;
    await runSchedulesUntil(s.h.app, 'slack', s.adapter.scheduledRuns, () => finished(s!, ts).some((t) => /stopped: they are no longer in this channel/.test(t)));
    expect(s.h.model.requests.length).toBe(asked);
    expect((await s.h.app.store.schedules.list()).map((x) => x.thread.user)).toEqual(['UOTHER']);

    // `forget` (the starter) takes the thread's schedules with it.
    await s.interact(blockAction(s.slack, ACTION.forget, JSON.stringify({ c: 'C222', t: ts }), { responseId: 'forget', ephemeral: true, blockId: 'b1' }));
    await expect.poll(async () => (await s!.h.app.store.schedules.list()).length, { timeout: 30_000 }).toBe(0);
  });
});
