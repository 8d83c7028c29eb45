/**
 * Calls to a backing store (the keyv store, the session state in PostgreSQL) under one deadline
 * and one error type: every failure, a timeout included, becomes `StoreUnavailableError`, whose
 * message names the setting and the cause, never a password.
 */
import { withDeadline } from './deadline.js';
import { redactUrl } from './redact-url.js';

/** The store cannot be reached, read or written; the message names the setting (STORE_URL, SESSION_STATE_URL) and the cause. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(url: string, cause: unknown, setting = 'STORE_URL') {
    super(`the store at ${setting}=${redactUrl(url)} is unavailable: ${describeCause(cause)}`);
  }
}

export function describeCause(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: Array<{ message?: string }> } | undefined;
  // Node's AggregateError (a connect to several addresses) carries an empty message.
  const message = e?.message || e?.errors?.map((x) => x.message).join('; ') || e?.code || String(err);
  return message.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** Runs store calls under one deadline and one error type. */
export class StoreCalls {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
    readonly setting = 'STORE_URL',
  ) {}

  /** Told how long each call took and whether it worked (metrics). */
  observer: ((what: string, seconds: number, ok: boolean) => void) | undefined;

  async run<T>(what: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let ok = false;
    try {
      const result = await withDeadline(call(), this.timeoutMs, `store ${what}`);
      ok = true;
      return result;
    } catch (err) {
      throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError(this.url, err, this.setting);
    } finally {
      this.observer?.(what, (performance.now() - started) / 1000, ok);
    }
  }
}
