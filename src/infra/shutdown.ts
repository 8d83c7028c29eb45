/**
 * An orderly shutdown that always ends. Each step gets its own deadline (a step that overruns is
 * logged and skipped), and a hard deadline over the whole sequence ends the process with a line
 * naming what did not finish: a dead runtime, a hung platform call or an unreachable store can
 * slow shutdown down, never stop it.
 */
import type { Logger } from './log.js';
import { withDeadline } from './deadline.js';

export interface ShutdownStep {
  name: string;
  deadlineMs: number;
  run: () => Promise<unknown>;
}

export interface ShutdownOptions {
  logger: Logger;
  /** The whole sequence; past it the process exits at once with code 1. */
  hardDeadlineMs: number;
  exit: (code: number) => void;
}

/** Runs the steps in order; resolves with the names of the steps that overran or failed. */
export async function runShutdown(steps: readonly ShutdownStep[], options: ShutdownOptions): Promise<string[]> {
  const { logger } = options;
  const left = new Set(steps.map((s) => s.name));
  const hard = setTimeout(() => {
    logger.error({ unfinished: [...left] }, 'shutdown deadline passed: exiting without finishing');
    logger.flush();
    options.exit(1);
  }, options.hardDeadlineMs);
  hard.unref();
  const failed: string[] = [];
  for (const step of steps) {
    try {
      await withDeadline(step.run(), step.deadlineMs, step.name);
    } catch (err) {
      failed.push(step.name);
      logger.warn({ step: step.name, err: err instanceof Error ? err.message : String(err) }, 'shutdown step did not finish');
    }
    left.delete(step.name);
  }
  clearTimeout(hard);
  return failed;
}
