/**
 * `schedule "<when>" <prompt>`, `schedules`, `unschedule ID`. A schedule is its author's: it runs
 * as them, counts against their SCHEDULES_PER_USER, and only they, the thread's starter or an
 * admin may stop it. Made in the thread, the notice is the thread's (a slash command's is its
 * author's only); anyone there may list the thread's schedules.
 */
import { randomBytes } from 'node:crypto';
import type { Schedule, SessionId, ThreadRef } from '../../domain.js';
import type { ScheduleStore } from '../../store/schedules.js';
import { openingOf } from '../../store/registry.js';
import type { ThreadNames } from '../listing.js';
import type { Reply, ScheduleItem } from '../reply.js';
import { parseWhen, timeIn } from './when.js';
import { isTimeZone } from '../../infra/time-zone.js';

export interface ScheduleSettings {
  store: ScheduleStore;
  /** SCHEDULES_PER_USER: 0 turns schedules off. */
  perUser: number;
  /** SCHEDULE_TIMEZONE: the zone of people whose platform does not say theirs. */
  timeZone: string;
}

export interface ScheduleDeps extends ScheduleSettings {
  /** MAX_PROMPT_CHARS: a schedule's prompt is held to it as a message is. */
  maxPromptChars: number;
  /** One person's schedules are made one at a time here (their count, then the new one). */
  inLine<T>(person: string, fn: () => Promise<T>): Promise<T>;
  /** The person's own zone, where their platform tells it (Slack); undefined otherwise. */
  zoneOf(thread: ThreadRef): Promise<string | undefined>;
  isAdmin(thread: ThreadRef): boolean;
  /** Who started the thread (its record), if it has one. */
  starterOf(id: SessionId): Promise<string | undefined>;
  names: ThreadNames;
  now(): Date;
}

export async function addSchedule(thread: ThreadRef, id: SessionId, when: string, prompt: string, deps: ScheduleDeps): Promise<Reply> {
  if (deps.perUser <= 0) return notice('Schedules are off on this bot (SCHEDULES_PER_USER is 0).');
  if (prompt.length > deps.maxPromptChars) return notice(`That prompt is ${prompt.length.toLocaleString('en-US')} characters long; a schedule takes at most ${deps.maxPromptChars.toLocaleString('en-US')}, as a message does.`);
  const now = deps.now();
  // A zone the platform cannot tell (or tells wrong) falls back, never fails the command.
  const told = await deps.zoneOf(thread).catch(() => undefined);
  const zone = told && isTimeZone(told) ? told : deps.timeZone;
  const parsed = parseWhen(when, now, zone);
  if (!parsed.ok) return notice(parsed.problem);
  const person = `${thread.platform}:${thread.user}`;
  return deps.inLine(person, async () => {
    const mine = await deps.store.list({ person });
    if (mine.length >= deps.perUser) return notice(`You have ${mine.length} schedule${mine.length === 1 ? '' : 's'}, the most one person may have here (SCHEDULES_PER_USER). \`unschedule ID\` one first (\`schedules\` in its thread lists them).`);
    const { roles: _roles, ...where } = thread;
    const made = (): Schedule => ({
      id: randomBytes(4).toString('hex'),
      sessionId: id,
      thread: where,
      prompt,
      when: parsed.when,
      rule: parsed.rule,
      timeZone: parsed.timeZone,
      next: parsed.next.toISOString(),
      createdAt: now.toISOString(),
      runs: 0,
    });
    // Ids are short (people type them): one already taken is drawn again.
    let schedule = made();
    for (let tries = 1; !(await deps.store.add(schedule)); tries++) {
      if (tries >= 5) throw new Error('could not draw a free schedule id');
      schedule = made();
    }
    const repeats = parsed.rule.kind !== 'once';
    return notice(
      `⏰ Scheduled \`${schedule.id}\`: “${shown(openingOf(prompt), deps)}”, ${repeats ? `${shown(parsed.when, deps)} (${parsed.timeZone}), first` : 'once,'} on ${timeIn(parsed.next, parsed.timeZone)}. ` +
        `I will answer it here, as a turn of yours. \`schedules\` lists this thread's; \`unschedule ${schedule.id}\` stops it.`,
    );
  });
}

export async function listSchedules(thread: ThreadRef, id: SessionId, deps: ScheduleDeps): Promise<Reply> {
  const [here, mine, starter] = await Promise.all([deps.store.list({ sessionId: id }), deps.store.list({ person: `${thread.platform}:${thread.user}` }), deps.starterOf(id)]);
  const elsewhere = mine.filter((s) => s.sessionId !== id).length;
  // The person's own count, for where the list is theirs alone (adapters show it only privately).
  const footer = elsewhere ? `You have ${elsewhere} more in other threads.` : undefined;
  if (here.length === 0) return { kind: 'schedules', items: [], text: 'This thread has no schedules. `schedule "<when>" <prompt>` makes one.', ...(footer ? { footer } : {}) };
  const items: ScheduleItem[] = here.map((s) => ({
    id: s.id,
    line: `\`${s.id}\` · ${s.rule.kind === 'once' ? 'once' : shown(s.when, deps)} · next ${timeIn(new Date(s.next), s.timeZone)} · “${shown(openingOf(s.prompt), deps)}”${s.runs ? ` · ran ${s.runs}×` : ''}`,
    by: s.thread.user,
    cancellable: mayStop(s, thread, starter, deps),
  }));
  const off = deps.perUser <= 0 ? ' — schedules are off on this bot (SCHEDULES_PER_USER is 0): none of these runs' : '';
  return { kind: 'schedules', items, ...(footer ? { footer } : {}), text: [`**Schedules of this thread** (${here.length})${off}`, ...items.map((i) => `• ${i.line} · by ${deps.names.person(i.by)}`)].join('\n') };
}

export async function stopSchedule(thread: ThreadRef, id: SessionId, scheduleId: string, deps: ScheduleDeps): Promise<Reply> {
  const s = await deps.store.get(scheduleId);
  // Another thread's schedule is as unknown as a made-up id, except to its author and admins.
  const own = s !== undefined && s.thread.platform === thread.platform && s.thread.user === thread.user;
  if (!s || (s.sessionId !== id && !own && !deps.isAdmin(thread))) return notice(`There is no schedule \`${scheduleId}\` here. \`schedules\` lists this thread's.`);
  if (!mayStop(s, thread, s.sessionId === id ? await deps.starterOf(id) : undefined, deps)) return notice(`Only the person who made \`${s.id}\`, the thread's starter or an admin can stop it.`);
  await deps.store.delete(s.id);
  return notice(`⏹️ Stopped \`${s.id}\` (“${shown(openingOf(s.prompt), deps)}”, ${s.rule.kind === 'once' ? 'once' : shown(s.when, deps)}).`);
}

function mayStop(s: Schedule, thread: ThreadRef, starter: string | undefined, deps: Pick<ScheduleDeps, 'isAdmin'>): boolean {
  return (s.thread.platform === thread.platform && s.thread.user === thread.user) || (starter !== undefined && starter === thread.user) || deps.isAdmin(thread);
}

/** What a person wrote, quoted in the bot's words: a Markdown link in it is not made a link under the bot's name. */
function shown(text: string, deps: Pick<ScheduleDeps, 'names'>): string {
  return deps.names.literal(text.replace(/\]\(/g, '] ('));
}

function notice(text: string): Reply {
  return { kind: 'notice', text };
}
