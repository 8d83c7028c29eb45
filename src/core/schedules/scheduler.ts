/**
 * Runs scheduled prompts when they are due. Every instance looks every few seconds; a run is
 * claimed in the store (`schedule:<id>:<due>`, atomic on every engine), so exactly one instance
 * runs it. The claimer moves the schedule to its next time *before* the turn (a crash mid-turn
 * loses that run, told in the thread by the turn journal, rather than repeating it), and the next
 * time is the first after now: after downtime, a schedule catches up at most one missed run.
 *
 * A run is a turn of the thread as the person who scheduled it, posted by the platform's adapter
 * (`ScheduledRunner`) through the same pipeline as a message (so it is admitted like one: the
 * person's rate limit and daily budget apply). Before each run the adapter says whether that
 * person is still there (in the workspace, able to see the thread) and the core asks its access
 * rules again: someone who lost access has their schedule stopped, said in the thread. A
 * forgotten thread's schedules are deleted with it (Conversation.forgetSession). A run is not
 * started while the thread still has a turn queued or running here, nor while the schedule's
 * last run is still going: runs never pile up behind a slow turn or a pending approval.
 */
import type { Logger } from '../../infra/log.js';
import type { Schedule, ThreadRef } from '../../domain.js';
import type { ScheduleStore } from '../../store/schedules.js';
import type { Reply } from '../reply.js';
import { nextRun } from './when.js';

export type { Schedule } from '../../domain.js';

/** How a platform runs a scheduled prompt: the adapter's port (Slack, Discord, the console). */
export interface ScheduledRunner {
  /** Which of its platform's schedules this runner takes (the console: its own thread's); absent, all. */
  accepts?(schedule: Schedule): boolean;
  /**
   * The person as they are now where the schedule runs (Discord: their roles now), or why they
   * cannot be answered there any more (left the workspace, lost sight of the channel, the thread
   * is gone). Rejects when the platform cannot tell now: the run is tried again later.
   */
  person(schedule: Schedule): Promise<ThreadRef | { gone: string }>;
  /**
   * Posts the prompt in its thread and runs it as a turn (through the inbound pipeline); resolves
   * once answered. Rejects with `ScheduleGone` when the platform says the thread cannot be written
   * to any more (the schedule stops), anything else when it failed this time.
   */
  run(schedule: Schedule, as: ThreadRef): Promise<void>;
  /** Says something in the schedule's thread, for everyone there (a stopped schedule). */
  say(schedule: Schedule, text: string): Promise<void>;
  /** Tells the schedule's person privately (a run their limits or their account held back). */
  tell(schedule: Schedule, reply: Reply): Promise<void>;
}

/** The platform says a schedule's thread is gone for good (archived, deleted, the bot removed). */
export class ScheduleGone extends Error {
  override name = 'ScheduleGone';
}

export interface SchedulerDeps {
  store: ScheduleStore;
  /** True for the first claim of `key` anywhere (the store's claims). */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Whether the access rules (ALLOWED_*, the channel's people) still let this person talk here. */
  refusal(thread: ThreadRef): Reply | undefined;
  /** Whether the person's turn may run now, as for a message of theirs: their rate limit and daily budget (Conversation.admit). */
  admit(thread: ThreadRef, prompt: string): Promise<{ ok: true } | { ok: false; reply?: Reply }>;
  /** Why the person's turns cannot run now (per-user: no GitHub account connected); undefined when they can. */
  unready?(thread: ThreadRef): Promise<string | undefined>;
  /** Whether the thread has a turn queued or running in this process. */
  busy?(thread: ThreadRef): boolean;
  logger: Logger;
  now?: () => Date;
}

/** How often each instance looks for due schedules: a run starts at most this late. */
export const SCHEDULE_POLL_MS = 5000;
/**
 * How long a run's claim holds. An instance that died between claiming and moving the schedule
 * on leaves it due: another claims it again once this has passed (the run is late, not lost).
 */
const CLAIM_MS = 10 * 60_000;
/** A one-off is held this long while it runs (if its instance dies, it is tried again after). */
const ONE_OFF_HELD_MS = 60 * 60_000;
/** A one-off whose platform failed is tried again this much later, at most this many times. */
const RETRY_MS = 60_000;
const ATTEMPTS = 3;

export class Scheduler {
  private readonly runners = new Map<string, ScheduledRunner>();
  private readonly running = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => Date;

  constructor(private readonly deps: SchedulerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** An adapter runs its platform's schedules; an instance without one leaves them to another instance. */
  use(platform: string, runner: ScheduledRunner): void {
    this.runners.set(platform, runner);
  }

  start(everyMs = SCHEDULE_POLL_MS): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.tick(), everyMs);
    this.timer.unref();
    void this.tick();
  }

  /** No new runs (a look under way starts none after this); the ones started finish as turns. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs started and not finished (for tests and shutdown). */
  async settled(): Promise<void> {
    await this.ticking;
    await Promise.allSettled([...this.running.values()]);
  }

  /** One look: starts every due schedule this instance can run and wins. Never rejects; one look at a time. */
  tick(): Promise<void> {
    this.ticking ??= this.look().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async look(): Promise<void> {
    if (this.runners.size === 0 || this.stopped) return;
    const now = this.now();
    let due: Schedule[];
    try {
      due = (await this.deps.store.list()).filter((s) => {
        const runner = this.runners.get(s.thread.platform);
        return runner !== undefined && (runner.accepts?.(s) ?? true) && new Date(s.next).getTime() <= now.getTime();
      });
    } catch (err) {
      this.deps.logger.warn({ err: String(err) }, 'could not list the schedules; trying again shortly');
      return;
    }
    for (const s of due) {
      // Its last run still going, or the thread busy here: it waits (due still), rather than queue behind.
      if (this.stopped || this.running.has(s.id) || this.deps.busy?.(s.thread)) continue;
      try {
        const started = await this.take(s, now);
        if (started) {
          this.running.set(s.id, started.run);
          void started.run.finally(() => this.running.delete(s.id));
        }
      } catch (err) {
        this.deps.logger.warn({ err: String(err), schedule: s.id }, 'could not start a scheduled run; trying again shortly');
      }
    }
  }

  /** Claims the run due at `s.next`, moves the schedule on, and starts the run; undefined when another instance has it. */
  private async take(s: Schedule, now: Date): Promise<{ run: Promise<void> } | undefined> {
    if (!(await this.deps.claim(`schedule:${s.id}:${s.next}`, CLAIM_MS))) return undefined;
    // Stopped or moved on meanwhile (an unschedule, another instance's run just before this list).
    const current = await this.deps.store.get(s.id);
    if (!current || current.next !== s.next) return undefined;
    // A one-off is held (not deleted) while it runs: deleted once it ran, tried again if it could not.
    const next = current.rule.kind === 'once' ? new Date(now.getTime() + ONE_OFF_HELD_MS) : nextRun(current.rule, current.timeZone, now);
    if (!next) {
      await this.deps.store.delete(current.id);
      return undefined;
    }
    const moved = { next: next.toISOString(), runs: current.runs + 1, lastRunAt: now.toISOString(), ...(current.attempts ? { attempts: current.attempts } : {}) };
    if (!(await this.deps.store.advance(current.id, moved))) return undefined;
    const log = this.deps.logger.child({ schedule: current.id, sessionId: current.sessionId });
    log.info({ due: current.next, lateMs: now.getTime() - new Date(current.next).getTime(), next: current.rule.kind === 'once' ? 'none (once)' : moved.next }, 'scheduled run');
    return { run: this.run({ ...current, ...moved }, log) };
  }

  private async run(s: Schedule, log: Logger): Promise<void> {
    const runner = this.runners.get(s.thread.platform)!;
    const once = s.rule.kind === 'once';
    try {
      const person = await runner.person(s);
      const gone = 'gone' in person ? person.gone : this.deps.refusal(person) ? 'they may no longer talk to me here' : undefined;
      if (gone !== undefined) return await this.end(s, runner, log, gone);
      const as = person as ThreadRef;
      // Held back (their GitHub account, their limits): they hear it privately; a one-off is then done.
      const unready = await this.deps.unready?.(as);
      const admission = unready === undefined ? await this.deps.admit(as, s.prompt) : { ok: false as const, reply: { kind: 'refusal' as const, text: unready } };
      if (!admission.ok) {
        log.info({ because: admission.reply?.text ?? 'refused' }, 'scheduled run held back');
        if (once) await this.deps.store.delete(s.id);
        if (admission.reply) {
          const reply = { ...admission.reply, text: `⏭️ Your schedule \`${s.id}\` did not run${once ? '' : ' this time'}: ${admission.reply.text}` };
          await runner.tell(s, reply).catch((err: unknown) => log.warn({ err: String(err) }, 'could not tell a person why their schedule did not run'));
        }
        return;
      }
      // Stopped while the platform was asked (an unschedule, a forget): nothing runs.
      if (!(await this.deps.store.get(s.id))) return;
      await runner.run(s, as);
      if (once) await this.deps.store.delete(s.id);
    } catch (err) {
      if (err instanceof ScheduleGone) return this.end(s, runner, log, err.message).catch((e: unknown) => log.warn({ err: String(e) }, 'could not stop a schedule'));
      log.warn({ err: String(err) }, once ? 'a scheduled run failed; it is tried again shortly' : 'a scheduled run failed; the schedule runs again at its next time');
      if (once) await this.retry(s, log).catch((e: unknown) => log.warn({ err: String(e) }, 'could not keep a one-off schedule for another try'));
    }
  }

  /** A one-off that could not run is tried again a little later, a few times. */
  private async retry(s: Schedule, log: Logger): Promise<void> {
    const attempts = (s.attempts ?? 0) + 1;
    if (attempts >= ATTEMPTS) {
      await this.deps.store.delete(s.id);
      log.warn({ attempts }, 'a one-off schedule could not run and is given up');
      return;
    }
    await this.deps.store.advance(s.id, { next: new Date(this.now().getTime() + RETRY_MS * attempts).toISOString(), runs: s.runs, attempts, ...(s.lastRunAt ? { lastRunAt: s.lastRunAt } : {}) });
  }

  /** The person lost the thread (or the bot did): the schedule stops, and the thread hears why. */
  private async end(s: Schedule, runner: ScheduledRunner, log: Logger, because: string): Promise<void> {
    await this.deps.store.delete(s.id);
    log.info({ because }, 'schedule stopped: its person or its thread is out of reach');
    await this.say(runner, s, log, `⏹️ Schedule \`${s.id}\` stopped: ${because}.`);
  }

  private async say(runner: ScheduledRunner, s: Schedule, log: Logger, text: string): Promise<void> {
    await runner.say(s, text).catch((err: unknown) => log.warn({ err: String(err) }, 'could not say in the thread what became of a schedule'));
  }
}
