/**
 * Runs scheduled prompts when they are due. Every instance looks every few seconds; a run is
 * claimed in the store (`schedule:<id>:<due>`, atomic on every engine), so exactly one instance
 * runs it. The claimer moves the schedule to its next time *before* the turn (a crash mid-turn
 * loses that run, told in the thread by the turn journal, rather than repeating it), and the next
 * time is the first after now: after downtime, a schedule catches up at most one missed run.
 *
 * A run is a turn of the thread as the person who scheduled it, posted by the platform's adapter
 * (`ScheduledRunner`) through the same pipeline as a message. Before each run the adapter says
 * whether that person is still there (in the workspace, able to see the thread) and the core
 * asks its access rules again: someone who lost access has their schedule stopped, said in the
 * thread. A forgotten thread's schedules are deleted with it (Conversation.forgetSession).
 */
import type { Logger } from '../../infra/log.js';
import type { Schedule, ThreadRef } from '../../domain.js';
import type { ScheduleStore } from '../../store/schedules.js';
import type { Reply } from '../reply.js';
import { nextRun } from './when.js';

export type { Schedule } from '../../domain.js';

/** How a platform runs a scheduled prompt: the adapter's port (Slack, Discord, the console). */
export interface ScheduledRunner {
  /**
   * The person as they are now where the schedule runs (Discord: their roles now), or why they
   * cannot be answered there any more (left the workspace, lost sight of the channel, the thread
   * is gone). Rejects when the platform cannot tell now: the run is skipped, the schedule kept.
   */
  person(schedule: Schedule): Promise<ThreadRef | { gone: string }>;
  /** Posts the prompt in its thread and runs it as a turn (through the inbound pipeline); resolves once answered. */
  run(schedule: Schedule, as: ThreadRef): Promise<void>;
  /** Says something in the schedule's thread, for everyone there (a stopped schedule). */
  say(schedule: Schedule, text: string): Promise<void>;
}

export interface SchedulerDeps {
  store: ScheduleStore;
  /** True for the first claim of `key` anywhere (the store's claims). */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Whether the access rules (ALLOWED_*, the channel's people) still let this person talk here. */
  refusal(thread: ThreadRef): Reply | undefined;
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

export class Scheduler {
  private readonly runners = new Map<string, ScheduledRunner>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly now: () => Date;

  constructor(private readonly deps: SchedulerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** An adapter runs its platform's schedules; an instance without one leaves them to another instance. */
  use(platform: string, runner: ScheduledRunner): void {
    this.runners.set(platform, runner);
  }

  start(everyMs = SCHEDULE_POLL_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), everyMs);
    this.timer.unref();
    void this.tick();
  }

  /** No new runs; the ones started finish (their answers are tracked by the adapters' deliveries). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs started and not finished (for tests and shutdown). */
  async settled(): Promise<void> {
    await this.ticking;
    await Promise.allSettled([...this.running]);
  }

  /** One look: starts every due schedule this instance can run and wins. Never rejects; one look at a time. */
  tick(): Promise<void> {
    this.ticking ??= this.look().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async look(): Promise<void> {
    if (this.runners.size === 0) return;
    const now = this.now();
    let due: Schedule[];
    try {
      due = (await this.deps.store.list()).filter((s) => this.runners.has(s.thread.platform) && new Date(s.next).getTime() <= now.getTime());
    } catch (err) {
      this.deps.logger.warn({ err: String(err) }, 'could not list the schedules; trying again shortly');
      return;
    }
    for (const s of due) {
      try {
        const started = await this.take(s, now);
        if (started) {
          const run = started.run;
          this.running.add(run);
          void run.finally(() => this.running.delete(run));
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
    const next = nextRun(current.rule, current.timeZone, now);
    const missed = now.getTime() - new Date(current.next).getTime();
    if (next) await this.deps.store.put({ ...current, next: next.toISOString(), runs: current.runs + 1, lastRunAt: now.toISOString() });
    else await this.deps.store.delete(current.id);
    const log = this.deps.logger.child({ schedule: current.id, sessionId: current.sessionId });
    log.info({ due: current.next, lateMs: missed, next: next?.toISOString() ?? 'none (done)' }, 'scheduled run');
    return { run: this.run(current, log) };
  }

  private async run(s: Schedule, log: Logger): Promise<void> {
    const runner = this.runners.get(s.thread.platform)!;
    try {
      const person = await runner.person(s);
      const gone = 'gone' in person ? person.gone : this.deps.refusal(person) ? 'they may no longer talk to me here' : undefined;
      if (gone !== undefined) {
        await this.deps.store.delete(s.id);
        log.info({ because: gone }, 'schedule stopped: its person lost access');
        await runner.say(s, `⏹️ Schedule \`${s.id}\` stopped: ${gone}.`).catch((err: unknown) => log.warn({ err: String(err) }, 'could not say in the thread that a schedule stopped'));
        return;
      }
      await runner.run(s, person as ThreadRef);
    } catch (err) {
      log.warn({ err: String(err) }, 'a scheduled run failed before its turn; the schedule is kept for its next time');
    }
  }
}
