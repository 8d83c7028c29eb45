/**
 * The scheduler on every store, with fake timers (the clock and the poll; the stores' own I/O is
 * real): two instances sharing a store run a due schedule exactly once; after downtime a schedule
 * catches up one missed run, not all of them; a one-off is gone once run; a person who lost
 * access has their schedule stopped and the thread told; an instance that cannot run a platform
 * leaves its schedules to one that can.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Schedule, SessionId, ThreadRef } from '../../src/domain.js';
import { Scheduler, type ScheduledRunner } from '../../src/core/schedules/scheduler.js';
import type { Store } from '../../src/store/store.js';
import { EVERY_BACKEND, useStores } from '../../testkit/store-backends.js';
import { testLogger } from '../../testkit/harness.js';

const T0 = new Date('2026-12-07T09:00:00Z');
const thread: ThreadRef = { platform: 'slack', workspace: 'T1', channel: 'C1', thread: '1.1', user: 'U1' };

function schedule(id: string, o: Partial<Schedule> = {}): Schedule {
  return {
    id,
    sessionId: 'slack-T1-C1-1_1' as SessionId,
    thread,
    prompt: 'anything new?',
    when: 'every 1h',
    rule: { kind: 'every', minutes: 60, from: T0.toISOString() },
    timeZone: 'UTC',
    next: new Date(T0.getTime() + 60 * 60_000).toISOString(),
    createdAt: T0.toISOString(),
    runs: 0,
    ...o,
  };
}

/** A platform that records what it was asked; `gone` makes the person unreachable. */
function fakeRunner(o: { gone?: string; failPerson?: boolean } = {}) {
  const runs: Array<{ id: string; at: string; as: ThreadRef }> = [];
  const said: string[] = [];
  const told: string[] = [];
  const runner: ScheduledRunner = {
    person: async (s) => {
      if (o.failPerson) throw new Error('platform is down');
      return o.gone ? { gone: o.gone } : { ...s.thread, roles: ['now'] };
    },
    run: async (s, as) => {
      runs.push({ id: s.id, at: new Date().toISOString(), as });
    },
    say: async (_s, text) => {
      said.push(text);
    },
    tell: async (_s, reply) => {
      told.push(reply.text);
    },
  };
  return { runner, runs, said, told };
}

function schedulerOn(store: Store, o: { refusal?: (t: ThreadRef) => boolean; admit?: () => boolean; busy?: () => boolean } = {}): Scheduler {
  return new Scheduler({
    store: store.schedules,
    claim: (key, ttl) => store.dedupe.claim(key, ttl),
    refusal: (t) => (o.refusal?.(t) ? { kind: 'refusal', text: 'no' } : undefined),
    admit: async () => (o.admit?.() === false ? { ok: false, reply: { kind: 'refusal', text: 'Not now: your daily budget of 1 turns is spent.' } } : { ok: true }),
    busy: () => o.busy?.() === true,
    logger: testLogger(),
  });
}

/** Moves the clock on in poll-sized steps, letting each poll's store calls finish. */
async function advance(ms: number, schedulers: Scheduler[]): Promise<void> {
  for (let left = ms; left > 0; left -= 5000) {
    await vi.advanceTimersByTimeAsync(Math.min(5000, left));
    await Promise.all(schedulers.map((s) => s.settled()));
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe.each(EVERY_BACKEND)('scheduled prompts on %s', (_name, urlFor) => {
  const stores = useStores();
  const open = async (count: number) => {
    const url = await urlFor();
    if (!url) return undefined;
    const opened = await stores.open(url, count);
    // Only the clock and the poll are fake: the stores' sockets and timeouts run for real.
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'], now: T0 });
    return opened;
  };

  it('runs a due schedule exactly once across two instances, moved on to its next time before the turn', async () => {
    const opened = await open(2);
    if (!opened) return;
    const [a, b] = opened as [Store, Store];
    await a.schedules.add(schedule('aaaa0001'));
    const one = fakeRunner();
    const two = fakeRunner();
    const sa = schedulerOn(a);
    const sb = schedulerOn(b);
    sa.use('slack', one.runner);
    sb.use('slack', two.runner);
    sa.start();
    sb.start();
    // The clock jumps to just before it is due (polls in between would find nothing), then both poll on.
    await advance(10_000, [sa, sb]);
    vi.setSystemTime(new Date(T0.getTime() + 59 * 60_000));
    await advance(10_000, [sa, sb]);
    expect(one.runs.length + two.runs.length).toBe(0);
    vi.setSystemTime(new Date(T0.getTime() + 60 * 60_000));
    await advance(60_000, [sa, sb]);
    const runs = [...one.runs, ...two.runs];
    expect(runs).toHaveLength(1);
    // As the person, as they are now (the platform's answer), not as they were when it was made.
    expect(runs[0]!.as).toMatchObject({ user: 'U1', roles: ['now'] });
    expect(await b.schedules.get('aaaa0001')).toMatchObject({ runs: 1, next: '2026-12-07T11:00:00.000Z' });
    vi.setSystemTime(new Date(T0.getTime() + 120 * 60_000));
    await advance(30_000, [sa, sb]);
    expect(one.runs.length + two.runs.length).toBe(2);
    sa.stop();
    sb.stop();
  });

  it('after downtime catches up one missed run, not each of them; a one-off is gone once run', async () => {
    const opened = await open(1);
    if (!opened) return;
    const [store] = opened as [Store];
    await store.schedules.add(schedule('bbbb0001'));
    await store.schedules.add(schedule('bbbb0002', { rule: { kind: 'once', at: '2026-12-07T09:30:00.000Z' }, next: '2026-12-07T09:30:00.000Z', when: 'in 30m' }));
    // The bot was down from 09:00 to 14:20: four hourly runs and the one-off were missed.
    vi.setSystemTime(new Date('2026-12-07T14:20:00Z'));
    const { runner, runs } = fakeRunner();
    const scheduler = schedulerOn(store);
    scheduler.use('slack', runner);
    await scheduler.tick();
    await scheduler.settled();
    expect(runs.map((r) => r.id).sort()).toEqual(['bbbb0001', 'bbbb0002']);
    expect(await store.schedules.get('bbbb0001')).toMatchObject({ runs: 1, next: '2026-12-07T15:00:00.000Z' });
    expect(await store.schedules.get('bbbb0002')).toBeUndefined();
    await scheduler.tick();
    await scheduler.settled();
    expect(runs).toHaveLength(2);
  });

  it('stops the schedule of a person who lost the thread or access, and says so there; a platform that cannot tell keeps it', async () => {
    const opened = await open(1);
    if (!opened) return;
    const [store] = opened as [Store];
    const due = { next: T0.toISOString() };
    await store.schedules.add(schedule('cccc0001', due));
    const left = fakeRunner({ gone: 'they are no longer in this channel' });
    const scheduler = schedulerOn(store);
    scheduler.use('slack', left.runner);
    await scheduler.tick();
    await scheduler.settled();
    expect(left.runs).toEqual([]);
    expect(left.said).toEqual(['⏹️ Schedule `cccc0001` stopped: they are no longer in this channel.']);
    expect(await store.schedules.get('cccc0001')).toBeUndefined();

    // Still in the channel, but no longer let in by the access rules (ALLOWED_USERS changed, a role taken away).
    await store.schedules.add(schedule('cccc0002', due));
    const refused = fakeRunner();
    const strict = schedulerOn(store, { refusal: (t) => !t.roles?.includes('admitted') });
    strict.use('slack', refused.runner);
    await strict.tick();
    await strict.settled();
    expect(refused.runs).toEqual([]);
    expect(refused.said).toEqual(['⏹️ Schedule `cccc0002` stopped: they may no longer talk to me here.']);
    expect(await store.schedules.get('cccc0002')).toBeUndefined();

    // Slack down: this run is skipped, the schedule kept for its next time.
    await store.schedules.add(schedule('cccc0003', due));
    const down = fakeRunner({ failPerson: true });
    const flaky = schedulerOn(store);
    flaky.use('slack', down.runner);
    await flaky.tick();
    await flaky.settled();
    expect(down.said).toEqual([]);
    expect(await store.schedules.get('cccc0003')).toMatchObject({ next: '2026-12-07T10:00:00.000Z' });
  });

  it('holds a run back as a message would be (the person told privately), waits for a busy thread, and tries a one-off again when the platform failed', async () => {
    const opened = await open(1);
    if (!opened) return;
    const [store] = opened as [Store];
    const due = { next: T0.toISOString() };
    await store.schedules.add(schedule('eeee0001', due));
    const spent = fakeRunner();
    const budget = schedulerOn(store, { admit: () => false });
    budget.use('slack', spent.runner);
    await budget.tick();
    await budget.settled();
    expect(spent.runs).toEqual([]);
    expect(spent.said).toEqual([]);
    expect(spent.told).toEqual(['⏭️ Your schedule `eeee0001` did not run this time: Not now: your daily budget of 1 turns is spent.']);
    expect(await store.schedules.get('eeee0001')).toMatchObject({ next: '2026-12-07T10:00:00.000Z' });

    // A thread with a turn still going here: the run waits (still due), it does not queue behind it.
    await store.schedules.add(schedule('eeee0002', due));
    let busy = true;
    const waiting = fakeRunner();
    const polite = schedulerOn(store, { busy: () => busy });
    polite.use('slack', waiting.runner);
    await polite.tick();
    await polite.settled();
    expect(waiting.runs).toEqual([]);
    expect(await store.schedules.get('eeee0002')).toMatchObject({ next: T0.toISOString(), runs: 0 });
    busy = false;
    await polite.tick();
    await polite.settled();
    expect(waiting.runs.map((r) => r.id)).toContain('eeee0002');

    // A one-off whose platform is down is tried again a minute later, and given up after three tries.
    await store.schedules.add(schedule('eeee0003', { rule: { kind: 'once', at: T0.toISOString() }, when: 'in 1m', next: T0.toISOString() }));
    const down = fakeRunner({ failPerson: true });
    const retrying = schedulerOn(store);
    retrying.use('slack', down.runner);
    await retrying.tick();
    await retrying.settled();
    expect(await store.schedules.get('eeee0003')).toMatchObject({ attempts: 1, next: '2026-12-07T09:01:00.000Z' });
    vi.setSystemTime(new Date('2026-12-07T09:01:00Z'));
    await retrying.tick();
    await retrying.settled();
    expect(await store.schedules.get('eeee0003')).toMatchObject({ attempts: 2, next: '2026-12-07T09:03:00.000Z' });
    vi.setSystemTime(new Date('2026-12-07T09:03:00Z'));
    await retrying.tick();
    await retrying.settled();
    expect(await store.schedules.get('eeee0003')).toBeUndefined();
  });

  it('leaves a platform it does not serve to an instance that does, and skips a schedule stopped meanwhile', async () => {
    const opened = await open(2);
    if (!opened) return;
    const [a, b] = opened as [Store, Store];
    await a.schedules.add(schedule('dddd0001', { next: T0.toISOString(), thread: { ...thread, platform: 'discord' } }));
    const slackOnly = schedulerOn(a);
    slackOnly.use('slack', fakeRunner().runner);
    await slackOnly.tick();
    await slackOnly.settled();
    const discord = fakeRunner();
    const other = schedulerOn(b);
    other.use('discord', discord.runner);
    await other.tick();
    await other.settled();
    expect(discord.runs.map((r) => r.id)).toEqual(['dddd0001']);

    // Listed while due, stopped before its claim: nothing runs, and nothing comes back.
    await a.schedules.add(schedule('dddd0002', { next: '2026-12-07T09:00:00.000Z', thread: { ...thread, platform: 'discord' } }));
    const listed = await b.schedules.list();
    await a.schedules.delete('dddd0002');
    const late = fakeRunner();
    const racing = new Scheduler({
      store: { ...b.schedules, list: async () => listed, get: (id) => b.schedules.get(id), add: (s) => b.schedules.add(s), advance: (id, r) => b.schedules.advance(id, r), delete: (id) => b.schedules.delete(id) },
      claim: (key, ttl) => b.dedupe.claim(key, ttl),
      refusal: () => undefined,
      admit: async () => ({ ok: true }),
      logger: testLogger(),
    });
    racing.use('discord', late.runner);
    await racing.tick();
    await racing.settled();
    expect(late.runs).toEqual([]);
    expect(await b.schedules.get('dddd0002')).toBeUndefined();
    // A run moving a schedule on just as it is stopped keeps nothing of it.
    await a.schedules.add(schedule('dddd0003'));
    await a.schedules.delete('dddd0003');
    expect(await a.schedules.advance('dddd0003', { next: '2026-12-07T11:00:00.000Z', runs: 1 })).toBe(false);
    expect(await a.schedules.get('dddd0003')).toBeUndefined();
    expect((await a.schedules.list()).map((x) => x.id)).not.toContain('dddd0003');
  });
});
