import { describe, expect, it } from 'vitest';
import { nextRun, parseWhen, timeIn } from '../../../../src/core/schedules/when.js';

const NOW = new Date('2026-12-07T18:30:00Z'); // a Monday
const read = (text: string, zone = 'Europe/Berlin', now = NOW) => parseWhen(text, now, zone);
const ok = (text: string, zone?: string, now?: Date) => {
  const p = read(text, zone, now);
  if (!p.ok) throw new Error(p.problem);
  return p;
};
const problem = (text: string) => {
  const p = read(text);
  return p.ok ? 'read' : p.problem.split('. I understand')[0];
};

describe('when a schedule runs', () => {
  it('reads the words people use, clock times in the person’s zone', () => {
    expect(ok('every weekday at 09:00')).toMatchObject({ rule: { kind: 'cron', pattern: '0 9 * * 1-5' }, next: new Date('2026-12-08T08:00:00Z') });
    expect(ok('every monday and thursday at 9am').rule).toEqual({ kind: 'cron', pattern: '0 9 * * 1,4' });
    expect(ok('daily at noon').rule).toEqual({ kind: 'cron', pattern: '0 12 * * *' });
    expect(ok('tomorrow at 9').next).toEqual(new Date('2026-12-08T08:00:00Z'));
    expect(ok('every weekend at 10:30pm').rule).toEqual({ kind: 'cron', pattern: '30 22 * * 0,6' });
    expect(ok('every 2h')).toMatchObject({ rule: { kind: 'every', minutes: 120 }, next: new Date('2026-12-07T20:30:00Z') });
    expect(ok('every 30 minutes').rule).toMatchObject({ minutes: 30 });
    expect(ok('hourly').rule).toMatchObject({ minutes: 60 });
    expect(ok('tomorrow 17:30').next).toEqual(new Date('2026-12-08T16:30:00Z'));
    expect(ok('tomorrow at 9am', 'America/New_York').next).toEqual(new Date('2026-12-08T14:00:00Z'));
    expect(ok('in 20m').next).toEqual(new Date('2026-12-07T18:50:00Z'));
    expect(ok('in 30 seconds').next).toEqual(new Date('2026-12-07T18:30:30Z'));
    // The next 17:30 (today's has passed in Berlin: 19:30 there), and the next Monday 10:00 (a week on).
    expect(ok('at 17:30').next).toEqual(new Date('2026-12-08T16:30:00Z'));
    expect(ok('monday at 10:00').next).toEqual(new Date('2026-12-14T09:00:00Z'));
    expect(ok('2026-12-24 09:00').next).toEqual(new Date('2026-12-24T08:00:00Z'));
    expect(ok('0 9 * * 1-5').rule).toEqual({ kind: 'cron', pattern: '0 9 * * 1-5' });
  });

  it('takes a zone named at the end over the person’s', () => {
    expect(ok('every weekday at 09:00 in America/New_York')).toMatchObject({ timeZone: 'America/New_York', next: new Date('2026-12-08T14:00:00Z') });
    expect(ok('17:30 UTC')).toMatchObject({ timeZone: 'UTC', next: new Date('2026-12-08T17:30:00Z') });
    expect(problem('every 2h in Mars/Olympus')).toMatch(/do not know the time zone "Mars\/Olympus"/);
    // An abbreviation is not a zone: the zone is blamed, not the time.
    expect(problem('every weekday at 09:00 in CET')).toMatch(/do not know the time zone "CET".*abbreviations/);
    // The zone as the person spelled it, and their words without it.
    expect(ok('every day at 9 in Asia/Kolkata')).toMatchObject({ timeZone: 'Asia/Kolkata', when: 'every day at 9', rule: { pattern: '0 9 * * *' } });
  });

  it('keeps a clock time across daylight saving, and an interval by the clock’s minutes', () => {
    // Paris goes from UTC+1 to UTC+2 on 29 March 2026: 09:00 stays 09:00 there.
    const p = ok('every day at 09:00', 'Europe/Paris', new Date('2026-03-28T12:00:00Z'));
    expect(p.next).toEqual(new Date('2026-03-29T07:00:00Z'));
    expect(nextRun(p.rule, p.timeZone, p.next)).toEqual(new Date('2026-03-30T07:00:00Z'));
    expect(nextRun({ kind: 'every', minutes: 60, from: '2026-03-29T00:30:00Z' }, 'Europe/Paris', new Date('2026-03-29T03:00:00Z'))).toEqual(new Date('2026-03-29T03:30:00Z'));
    expect(timeIn(new Date('2026-03-30T07:00:00Z'), 'Europe/Paris')).toBe('Mon 30 Mar, 09:00 (Europe/Paris)');
  });

  it('gives the first time after a moment: never the moment itself, none for a one-off that has passed', () => {
    const every = { kind: 'every' as const, minutes: 60, from: '2026-12-07T10:00:00Z' };
    expect(nextRun(every, 'UTC', new Date('2026-12-07T10:00:00Z'))).toEqual(new Date('2026-12-07T11:00:00Z'));
    // After a long downtime: the next one after now, not the ones missed.
    expect(nextRun(every, 'UTC', new Date('2026-12-09T10:20:00Z'))).toEqual(new Date('2026-12-09T11:00:00Z'));
    expect(nextRun({ kind: 'once', at: '2026-12-07T10:00:00Z' }, 'UTC', new Date('2026-12-07T10:00:00Z'))).toBeUndefined();
  });

  it('refuses, saying why and what it understands', () => {
    expect(problem('every 1m')).toBe('A schedule repeats at most every 5 minutes');
    expect(problem('* * * * *')).toBe('That repeats more often than every 5 minutes, the most a schedule may');
    expect(problem('*/2 9 * * *')).toBe('That repeats more often than every 5 minutes, the most a schedule may');
    expect(problem('today 10:00')).toBe('That time has already passed');
    expect(problem('2026-02-30 09:00')).toBe('That date does not exist');
    expect(problem('2029-01-01 09:00')).toBe('That is more than a year away');
    expect(problem('every blursday at 9am')).toMatch(/"blursday" is not a day I know/);
    expect(problem('every 2 fortnights')).toMatch(/"fortnights" is not a unit I know/);
    expect(problem('at 25:00')).toMatch(/"25:00" is not a time of day/);
    expect(problem('61 * * * *')).toMatch(/"61 \* \* \* \*" is not a cron pattern I can use/);
    expect(problem('someday')).toBe('I could not read "someday" as a time');
    expect(read('someday').ok ? '' : (read('someday') as { problem: string }).problem).toContain('"every weekday at 09:00"');
  });
});
