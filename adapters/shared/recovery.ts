/**
 * Telling threads about turns a crash cut off: at start (this host's own crash), and every minute
 * after, because with several instances the one that died may never come back (a lost machine)
 * and its turns are then told by whichever instance notices first (the journal's claim).
 */
import type { Deliveries } from '../../src/core/deliveries.js';

export const RECOVERY_EVERY_MS = 60_000;

/** Runs `recover` now and every `everyMs`, one run at a time; returns the stop function. */
export function startRecovery(deliveries: Deliveries, recover: () => Promise<void>, everyMs = RECOVERY_EVERY_MS): () => void {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= deliveries.track(recover().catch(() => undefined)).finally(() => {
      running = undefined;
    });
  };
  run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
