/**
 * A person's "when" for `schedule "<when>" <prompt>` → a rule, and a rule → its next run. Pure:
 * the clock and the time zone are given. The words people use are read here ("every weekday at
 * 09:00", "every 2h", "tomorrow 17:30", "in 20 minutes", "monday at 9am", a date and time) and a
 * five-field cron pattern; clock times are read in the person's zone (or one named at the end:
 * "… in Europe/Paris"). Croner computes the cron times: it knows daylight saving (a 09:00 stays a
 * 09:00 when the clocks change) and every cron corner (ranges, steps, L, #).
 */
import { Cron } from 'croner';
import type { ScheduleRule } from '../../domain.js';
import { isTimeZone } from '../../infra/time-zone.js';

/** Repeating schedules run at most this often: a chat thread is not a job queue, and each run is a model turn. */
export const MIN_REPEAT_MINUTES = 5;
/** A one-off this far ahead is refused (a typo in a year, not a plan). */
const MAX_AHEAD_MS = 400 * 24 * 60 * 60 * 1000;

/** `when`: the person's words without the zone they named (shown beside it). */
export type ParsedWhen = { ok: true; rule: ScheduleRule; timeZone: string; next: Date; when: string } | { ok: false; problem: string };

export const WHEN_EXAMPLES = '"every weekday at 09:00", "every monday at 9am", "every 2h", "tomorrow 17:30", "in 20m", "2026-12-24 09:00", a cron pattern like "0 9 * * 1-5", and a zone at the end if you like ("… in Europe/Paris")';

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const UNIT_MINUTES: Record<string, number> = { m: 1, min: 1, mins: 1, minute: 1, minutes: 1, h: 60, hr: 60, hrs: 60, hour: 60, hours: 60, d: 1440, day: 1440, days: 1440 };
const UNIT_MS: Record<string, number> = { s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000, ...Object.fromEntries(Object.entries(UNIT_MINUTES).map(([u, m]) => [u, m * 60_000])) };
const TIME = String.raw`(noon|midnight|\d{1,2}(?::\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2})`;

/** `text` as a rule, its zone (`timeZone`, unless the text names one) and its first run after `now`. */
export function parseWhen(text: string, now: Date, timeZone: string): ParsedWhen {
  let words = text.trim().replace(/\s+/g, ' ');
  if (!words) return problem('When? Say it in quotes first');
  // A zone at the end: "… in Europe/Paris", "… UTC". A zone has a / in it (or is UTC): "in 20m" is not one.
  const zoned = /^(.*?)\s+(?:in\s+)?([A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)+|UTC|GMT)$/i.exec(words);
  if (zoned) {
    if (!isTimeZone(zoned[2]!)) return problem(`I do not know the time zone "${zoned[2]}" (use an IANA name like Europe/Paris or America/New_York)`);
    words = zoned[1]!;
    timeZone = /^(utc|gmt)$/i.test(zoned[2]!) ? 'UTC' : zoned[2]!;
  } else {
    // "… in CET", "… in Paris": a zone, but not one spelled as Intl knows zones.
    const named = /\sin\s+([A-Za-z_]+)$/.exec(words);
    if (named && UNIT_MS[named[1]!.toLowerCase()] === undefined) return problem(`I do not know the time zone "${named[1]}" (use an IANA name like Europe/Paris or America/New_York; abbreviations like CET or EST are not zones)`);
  }
  const rule = ruleOf(words.toLowerCase(), now, timeZone);
  if ('problem' in rule) return problem(rule.problem);
  const next = nextRun(rule, timeZone, now);
  if (!next) return problem(rule.kind === 'once' ? 'That time has already passed' : 'That never comes (no date matches it)');
  if (next.getTime() - now.getTime() > MAX_AHEAD_MS) return problem('That is more than a year away');
  // Not only the first gap: "0,10-59 9 * * *" starts slow and then runs every minute.
  if (rule.kind === 'cron' && tooOften(rule.pattern, timeZone, now)) return problem(`That repeats more often than every ${MIN_REPEAT_MINUTES} minutes, the most a schedule may`);
  return { ok: true, rule, timeZone, next, when: words };
}

/** The rule's first run after `after` (undefined: none, a one-off that has passed). */
export function nextRun(rule: ScheduleRule, timeZone: string, after: Date): Date | undefined {
  switch (rule.kind) {
    case 'once': {
      const at = new Date(rule.at);
      return at.getTime() > after.getTime() ? at : undefined;
    }
    case 'every': {
      const from = new Date(rule.from).getTime();
      const step = rule.minutes * 60_000;
      const k = Math.max(1, Math.floor((after.getTime() - from) / step) + 1);
      return new Date(from + k * step);
    }
    case 'cron':
      return new Cron(rule.pattern, { timezone: timeZone, paused: true }).nextRun(after) ?? undefined;
  }
}

/** `Tue 8 Dec, 09:00 (Europe/Paris)`: a time as the schedule's zone reads it. */
export function timeIn(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
  return `${parts.replace(/^(\w+),? /, '$1 ').replace(/ at /, ', ')} (${timeZone})`;
}

function problem(text: string): ParsedWhen {
  return { ok: false, problem: `${text}. I understand ${WHEN_EXAMPLES}.` };
}

type Read = ScheduleRule | { problem: string };

function ruleOf(text: string, now: Date, zone: string): Read {
  // "at 9" is 9 o'clock (a bare number is a time only after "at": "every 9" is not).
  const w = text.replace(/\bat (\d{1,2})$/, 'at $1:00');
  // A cron pattern: five fields of digits, *, ranges, steps, lists, names (croner checks it).
  if (/^\S+( \S+){4}$/.test(w) && /^[\d*/,?LW#a-z-]+( [\d*/,?LW#a-z-]+){4}$/i.test(w) && /[\d*]/.test(w.split(' ')[0]!)) return cronRule(w, zone);
  let m: RegExpExecArray | null;
  // every 2h, every 30 minutes, every hour, hourly
  if ((m = /^(?:every (\d+) ?([a-z]+)|every (minute|hour|day)|(hourly))$/.exec(w))) {
    const n = m[1] ? Math.min(Number(m[1]), 1e7) : 1;
    const unit = m[2] ?? m[3] ?? 'hour';
    const per = UNIT_MINUTES[unit];
    if (per === undefined) return { problem: `"${unit}" is not a unit I know (minutes, hours or days)` };
    const minutes = n * per;
    if (minutes < MIN_REPEAT_MINUTES) return { problem: `A schedule repeats at most every ${MIN_REPEAT_MINUTES} minutes` };
    if (minutes > 366 * 1440) return { problem: 'That repeats less than once a year' };
    return { kind: 'every', minutes, from: now.toISOString() };
  }
  // every weekday at 09:00, every day 9am, daily at noon, every monday and thursday at 10:30, weekdays at 9
  if ((m = new RegExp(String.raw`^(?:every ([a-z, ]+?)|(daily|weekdays|weekends))(?: at)? ${TIME}$`).exec(w))) {
    const days = daysOf(m[1] ?? m[2]!);
    if ('problem' in days) return days;
    const time = clock(m[3]!);
    if (!time) return { problem: `"${m[3]}" is not a time of day` };
    return cronRule(`${time.minute} ${time.hour} * * ${days.dow}`, zone);
  }
  // in 20m, in 2 hours, in 30 seconds
  if ((m = /^in (\d+) ?([a-z]+)$/.exec(w))) {
    const per = UNIT_MS[m[2]!];
    if (per === undefined) return { problem: `"${m[2]}" is not a unit I know (seconds, minutes, hours or days)` };
    const at = now.getTime() + Number(m[1]) * per;
    if (!Number.isFinite(at) || at - now.getTime() > MAX_AHEAD_MS) return { problem: 'That is more than a year away' };
    return { kind: 'once', at: new Date(at).toISOString() };
  }
  // 2026-12-24 09:00, 2026-12-24T09:00
  if ((m = new RegExp(String.raw`^(\d{4})-(\d{2})-(\d{2})(?:t| at | )${TIME}$`).exec(w))) {
    const time = clock(m[4]!);
    if (!time) return { problem: `"${m[4]}" is not a time of day` };
    return onceOn({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }, time, now, zone);
  }
  // today 17:30, tomorrow at 9am, monday at 10:00, at 17:30, 17:30
  if ((m = new RegExp(String.raw`^(?:(today|tomorrow|${DAYS.join('|')}|${DAYS.map((d) => d.slice(0, 3)).join('|')}) )?(?:at )?${TIME}$`).exec(w))) {
    const time = clock(m[2]!);
    if (!time) return { problem: `"${m[2]}" is not a time of day` };
    const day = m[1];
    if (day === 'today' || day === 'tomorrow') {
      const date = localDate(now, zone, day === 'tomorrow' ? 1 : 0);
      return onceOn(date, time, now, zone);
    }
    // The next such time (on that weekday): today's if it is still to come.
    const dow = day === undefined ? '*' : String(dayIndex(day));
    const next = new Cron(`${time.minute} ${time.hour} * * ${dow}`, { timezone: zone, paused: true }).nextRun(now);
    return next ? { kind: 'once', at: next.toISOString() } : { problem: 'That never comes' };
  }
  return { problem: `I could not read "${w}" as a time` };
}

/** Runs of a pattern looked at for gaps: more than any hour holds at the most frequent allowed (12). */
const GAPS_CHECKED = 300;

function tooOften(pattern: string, zone: string, from: Date): boolean {
  const runs = new Cron(pattern, { timezone: zone, paused: true }).nextRuns(GAPS_CHECKED, from);
  return runs.some((at, i) => i > 0 && at.getTime() - runs[i - 1]!.getTime() < MIN_REPEAT_MINUTES * 60_000);
}

function cronRule(pattern: string, zone: string): Read {
  try {
    new Cron(pattern, { timezone: zone, paused: true });
    return { kind: 'cron', pattern };
  } catch (err) {
    return { problem: `"${pattern}" is not a cron pattern I can use (${err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err)})` };
  }
}

function dayIndex(word: string): number {
  return DAYS.findIndex((d) => d === word || d.slice(0, 3) === word || `${d}s` === word);
}

/** "day", "weekday", "monday, wednesday and friday" → cron's day-of-week field. */
function daysOf(words: string): { dow: string } | { problem: string } {
  const w = words.trim();
  if (w === 'day' || w === 'daily') return { dow: '*' };
  if (w === 'weekday' || w === 'weekdays') return { dow: '1-5' };
  if (w === 'weekend' || w === 'weekends' || w === 'weekend day') return { dow: '0,6' };
  const each = w.split(/\s*(?:,|\band\b)\s*/).filter(Boolean);
  const idx = each.map(dayIndex);
  const bad = each.find((_, i) => idx[i]! < 0);
  if (bad !== undefined || idx.length === 0) return { problem: `"${bad ?? w}" is not a day I know (say day, weekday, weekend, or days like monday and thursday)` };
  return { dow: [...new Set(idx)].sort().join(',') };
}

/** 9am, 9:30pm, 17:30, noon → hour and minute (24-hour clock). */
function clock(text: string): { hour: number; minute: number } | undefined {
  const t = text.replace(/\s+/g, '');
  if (t === 'noon') return { hour: 12, minute: 0 };
  if (t === 'midnight') return { hour: 0, minute: 0 };
  const m = /^(\d{1,2})(?::(\d{2}))?(am|pm)?$/.exec(t);
  if (!m) return undefined;
  let hour = Number(m[1]);
  const minute = Number(m[2] ?? 0);
  if (m[3]) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (m[3] === 'pm' ? 12 : 0);
  }
  return hour <= 23 && minute <= 59 ? { hour, minute } : undefined;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** The calendar date in `zone` at `now`, `plusDays` later. */
function localDate(now: Date, zone: string, plusDays: number): LocalDate {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now).map((p) => [p.type, p.value]));
  const d = new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day) + plusDays));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** A one-off at a wall-clock time on a date, in `zone` (croner reads a time without offset in the zone). */
function onceOn(date: LocalDate, time: { hour: number; minute: number }, now: Date, zone: string): Read {
  const check = new Date(Date.UTC(date.year, date.month - 1, date.day));
  if (check.getUTCMonth() !== date.month - 1 || check.getUTCDate() !== date.day) return { problem: 'That date does not exist' };
  const pad = (n: number) => String(n).padStart(2, '0');
  const iso = `${date.year}-${pad(date.month)}-${pad(date.day)}T${pad(time.hour)}:${pad(time.minute)}:00`;
  const at = new Cron(iso, { timezone: zone, paused: true }).nextRun(new Date(0));
  if (!at) return { problem: 'That time does not exist there' };
  if (at.getTime() <= now.getTime()) return { problem: 'That time has already passed' };
  return { kind: 'once', at: at.toISOString() };
}
