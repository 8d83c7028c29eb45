/**
 * One answer per platform message. A message may arrive twice (Slack retries, Slack's
 * `app_mention` + `message` pair, a Discord gateway replay), here or at another instance: an
 * in-process claim stops two copies racing each other, and the store's atomic claim makes one
 * handler win everywhere. Adapters take the message's place in its thread before claiming, so a
 * claimed message always has its place where it will run (and the turn journal covers a crash).
 * Also tracks work in flight, so an adapter can let answers finish posting before it disconnects.
 */
import type { Logger } from '../infra/log.js';
import type { Dedupe } from '../store/dedupe.js';

export class Deliveries {
  private readonly claims = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly dedupe: Dedupe,
    private readonly logger: Logger,
    /** Told of each delivery not answered again (metrics). */
    private readonly onDuplicate: () => void = () => undefined,
  ) {}

  /** Runs `handle` unless `key` was claimed before, by this process or another. */
  async once(key: string, handle: () => Promise<void>): Promise<void> {
    if (this.claims.has(key)) {
      // A copy of a message this process is still handling (a retry while its answer is posted).
      this.logger.debug({ key }, 'duplicate delivery ignored');
      this.onDuplicate();
      return;
    }
    this.claims.add(key);
    try {
      // A store that cannot say whether the message is new must not swallow it: the turn then
      // answers (with "storage unavailable" if the store is really down) rather than stay silent.
      const first = await this.dedupe.claim(key).catch((err: unknown) => {
        this.logger.warn({ err: String(err), key }, 'could not claim the delivery; handling it');
        return true;
      });
      if (!first) {
        this.logger.debug({ key }, 'duplicate delivery ignored');
        this.onDuplicate();
        return;
      }
      await handle();
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
