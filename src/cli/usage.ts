/**
 * `copilot-threads usage [--since 7d] [--by user|channel] [--json]`: everyone's usage over a
 * window of whole UTC days, per person (default) or per channel, most turns first.
 */
import type { App } from '../app.js';
import { groupUsage } from '../core/usage.js';
import { parseDuration, table } from './table.js';
import type { Out } from './out.js';

export interface UsageOptions {
  since: string | undefined;
  by: 'user' | 'channel';
  json: boolean;
}

const DEFAULT_SINCE = '7d';

export async function showUsage(app: App, io: Out, options: UsageOptions): Promise<number> {
  const now = io.now?.() ?? new Date();
  // Whole days: "7d" is today and the six before it.
  const first = new Date(now.getTime() - Math.max(0, parseDuration(options.since ?? DEFAULT_SINCE) - 86_400_000)).toISOString().slice(0, 10);
  const rows = await app.store.usage.list({ since: first });
  const groups = groupUsage(rows, options.by);
  if (options.json) {
    for (const g of groups) io.out(JSON.stringify({ [options.by]: g.key, since: first, turns: g.turns, toolRuns: g.toolRuns, inputTokens: g.inputTokens, outputTokens: g.outputTokens }));
    return 0;
  }
  if (groups.length === 0) {
    io.out(`No usage since ${first} (UTC).`);
    return 0;
  }
  const n = (x: number) => x.toLocaleString('en-US');
  io.out(
    table(
      [options.by === 'user' ? 'PERSON' : 'CHANNEL', 'TURNS', 'TOOL RUNS', 'TOKENS IN', 'TOKENS OUT'],
      groups.map((g) => [g.key, n(g.turns), n(g.toolRuns), n(g.inputTokens), n(g.outputTokens)]),
      io.style,
    ),
  );
  const { dailyTurns, dailyToolRuns } = app.config.access;
  const budgets = dailyTurns || dailyToolRuns ? `daily budgets: ${dailyTurns || 'no limit on'} turns, ${dailyToolRuns || 'no limit on'} tool runs` : 'no daily budgets (USER_DAILY_TURNS, USER_DAILY_TOOL_RUNS)';
  io.out(`\nsince ${first} (UTC days); ${budgets}`);
  return 0;
}
