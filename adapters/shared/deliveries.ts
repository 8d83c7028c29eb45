/**
 * One answer per platform message. A message may arrive twice (Slack retries, Slack's
 * `app_mention` + `message` pair, a Discord gateway replay): an in-process claim stops two
 * copies racing each other, and the store remembers a key once its message is queued, so a
 * crash before that still lets the platform's retry through. Also tracks work in flight, so an
 * adapter can let answers finish posting before it disconnects.
 */
import type { Logger } from '../../src/log.js';
import type { Dedupe } from '../../src/store/dedupe.js';

export class Deliveries {
  private readonly claims = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly dedupe: Dedupe,
    private readonly logger: Logger,
  ) {}

  /**
   * Runs `handle` unless `key` was delivered before. `handle` calls `queued()` once the message
   * is in its thread's queue; only then is the key remembered.
   */
  async once(key: string, handle: (queued: () => Promise<void>) => Promise<void>): Promise<void> {
    if (this.claims.has(key)) return;
    this.claims.add(key);
    try {
      // A store that cannot say whether the message is new must not swallow it: the turn then
      // answers (with "storage unavailable" if the store is really down) rather than stay silent.
      const seen = await this.dedupe.seen(key).catch((err: unknown) => {
        this.logger.warn({ err: String(err), key }, 'could not check for a duplicate delivery; handling it');
        return false;
      });
      if (seen) {
        this.logger.debug({ key }, 'duplicate delivery ignored');
        return;
      }
      await handle(() => this.dedupe.remember(key).catch((err: unknown) => this.logger.warn({ err: String(err), key }, 'could not record delivery')));
    } finally {
      this.claims.delete(key);
    }
  }

  /** Counts `work` as in flight until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}
