/**
 * What each person uses, and their daily budgets: USER_DAILY_TURNS and USER_DAILY_TOOL_RUNS
 * (0: no limit), counted per UTC day on the store (every instance takes from the same budget).
 * Usage (turns, tool runs, the model's input and output tokens) is recorded per person, channel
 * and day for `/copilot usage` and `copilot-threads usage`. A person past a budget hears, privately,
 * which budget and when it comes back; a store that cannot be asked refuses rather than guesses.
 */
import type { Logger } from '../infra/log.js';
import { PendingWrites } from '../infra/pending.js';
import { utcDay, type Budgeted, type UsageCounts, type UsageRow, type UsageStore } from '../store/usage.js';
import { personOf } from './audit.js';
import type { Reply } from './reply.js';
import type { ThreadRef } from './thread.js';

export type { UsageRow, UsageCounts } from '../store/usage.js';

export interface UsageLimits {
  /** USER_DAILY_TURNS (0: none). */
  dailyTurns: number;
  /** USER_DAILY_TOOL_RUNS (0: none). */
  dailyToolRuns: number;
}

const SETTING: Record<Budgeted, string> = { turns: 'USER_DAILY_TURNS', toolRuns: 'USER_DAILY_TOOL_RUNS' };
const NOUN: Record<Budgeted, [string, string]> = { turns: ['turn', 'turns'], toolRuns: ['tool run', 'tool runs'] };

/** `platform:workspace:channel`: where usage is counted. */
export function channelOf(thread: ThreadRef): string {
  return `${thread.platform}:${thread.workspace}:${thread.channel}`;
}

/** "00:00 UTC (in 5 h 12 min)": when a day's budgets come back. */
export function resetText(now: Date): string {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  const minutes = Math.max(1, Math.ceil((next - now.getTime()) / 60_000));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `00:00 UTC (in ${h ? `${h} h ` : ''}${m} min)`;
}

export function budgetText(what: Budgeted, limit: number, now: Date): string {
  const [one, many] = NOUN[what];
  return `you have used your ${limit} ${limit === 1 ? one : many} for today (${SETTING[what]}); more at ${resetText(now)}`;
}

export class UsageMeter {
  private readonly pending = new PendingWrites();

  constructor(
    private readonly store: UsageStore,
    private readonly limits: UsageLimits,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Takes one of the person's daily `what`; a reason (for them) when none is left. No limit: always undefined, nothing taken. */
  async take(thread: Pick<ThreadRef, 'platform' | 'user'>, what: Budgeted): Promise<string | undefined> {
    const limit = what === 'turns' ? this.limits.dailyTurns : this.limits.dailyToolRuns;
    if (limit <= 0) return undefined;
    const now = this.now();
    const taken = await this.store.take(utcDay(now), personOf(thread), what, limit);
    if (taken.ok) return undefined;
    this.logger.info({ platform: thread.platform, user: thread.user, what, limit }, 'refused: daily budget used up');
    return budgetText(what, limit, now);
  }

  /** Adds a turn's usage to its author's numbers (never fails the turn: a store error is logged). */
  record(thread: ThreadRef, counts: Partial<UsageCounts>): void {
    this.pending.track(
      this.store.add(utcDay(this.now()), personOf(thread), channelOf(thread), counts).catch((err: unknown) =>
        this.logger.error({ err: String(err), user: thread.user }, 'usage could not be recorded'),
      ),
    );
  }

  /** Resolves once every turn's usage so far is stored (or failed): before a process closes the store. */
  flush(): Promise<void> {
    return this.pending.flush();
  }

  /** `/copilot usage`: the person's own numbers, today and the last 7 days, with their budgets. */
  async report(thread: ThreadRef): Promise<Reply> {
    const now = this.now();
    const week = utcDay(new Date(now.getTime() - 6 * 86_400_000));
    const rows = await this.store.list({ since: week, actor: personOf(thread) });
    const today = sum(rows.filter((r) => r.day === utcDay(now)));
    const all = sum(rows);
    const budget = (what: Budgeted) => {
      const limit = what === 'turns' ? this.limits.dailyTurns : this.limits.dailyToolRuns;
      return limit > 0 ? ` of ${limit}` : '';
    };
    const lines = [
      '**Your Copilot usage**',
      `• Today: ${today.turns}${budget('turns')} turns, ${today.toolRuns}${budget('toolRuns')} tool runs, ${tokens(today)}`,
      `• Last 7 days: ${all.turns} turns, ${all.toolRuns} tool runs, ${tokens(all)}`,
      this.limits.dailyTurns > 0 || this.limits.dailyToolRuns > 0 ? `_Daily budgets come back at ${resetText(now)}._` : '_No daily budgets are set on this bot._',
    ];
    return { kind: 'notice', text: lines.join('\n') };
  }
}

export function sum(rows: readonly UsageCounts[]): UsageCounts {
  const out: UsageCounts = { turns: 0, toolRuns: 0, inputTokens: 0, outputTokens: 0 };
  for (const r of rows) {
    out.turns += r.turns;
    out.toolRuns += r.toolRuns;
    out.inputTokens += r.inputTokens;
    out.outputTokens += r.outputTokens;
  }
  return out;
}

function tokens(c: UsageCounts): string {
  return `${c.inputTokens.toLocaleString('en-US')} tokens in, ${c.outputTokens.toLocaleString('en-US')} out`;
}

/** Rows grouped by person or by channel over the whole window (the CLI's `--by`). */
export function groupUsage(rows: readonly UsageRow[], by: 'user' | 'channel'): Array<{ key: string } & UsageCounts> {
  const groups = new Map<string, UsageRow[]>();
  for (const r of rows) {
    const key = by === 'user' ? r.actor : r.channel;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups].map(([key, rs]) => ({ key, ...sum(rs) })).sort((a, b) => b.turns - a.turns || a.key.localeCompare(b.key));
}
