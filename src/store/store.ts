/** Everything the bot keeps outside the Copilot session folders, behind one STORE_URL. */
import type Keyv from 'keyv';
import { openKeyv, StoreCalls, StoreUnavailableError } from './keyv.js';
import { KeyvThreadRegistry, type ThreadRecord, type ThreadRegistry } from './registry.js';
import { KeyvDedupe, type Dedupe } from './dedupe.js';
import { KeyvTurnJournal, type InFlightTurn, type TurnJournal } from './journal.js';

export interface Store {
  registry: ThreadRegistry;
  dedupe: Dedupe;
  journal: TurnJournal;
  /**
   * Writes and reads back, within the store timeout: what every entry point does before it starts,
   * so a store that cannot be used (unreachable, wrong database, read-only) stops the process
   * with one clear line.
   */
  check(): Promise<void>;
  /** One cheap read (for /healthz); rejects with `StoreUnavailableError`. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_STORE_TIMEOUT_MS = 5000;

export async function openStore(url: string, timeoutMs = DEFAULT_STORE_TIMEOUT_MS): Promise<Store> {
  const calls = new StoreCalls(url, timeoutMs);
  const [threads, seen, turns] = await calls.run('open', () =>
    Promise.all([openKeyv<ThreadRecord>(url, 'threads', timeoutMs), openKeyv<number>(url, 'seen', timeoutMs), openKeyv<InFlightTurn>(url, 'turns', timeoutMs)]),
  );
  const opened: Keyv[] = [threads, seen, turns];
  const registry = new KeyvThreadRegistry(threads, calls);
  return {
    registry,
    dedupe: new KeyvDedupe(seen, calls),
    journal: new KeyvTurnJournal(turns, calls),
    async check() {
      const probe = `probe:${process.pid}:${Date.now()}`;
      await calls.run('write', () => seen.set(probe, Date.now(), 60_000));
      const back = await calls.run('read', () => seen.get(probe));
      if (back === undefined) throw new StoreUnavailableError(url, new Error('a value written could not be read back'));
      await calls.run('delete', () => seen.delete(probe));
    },
    async ping(ms = timeoutMs) {
      await new StoreCalls(url, ms).run('ping', () => seen.get('healthz'));
    },
    async close() {
      for (const keyv of opened) {
        // Some adapters share one pool per URL; ending it twice is not a failure.
        await keyv.disconnect().catch((err: unknown) => {
          if (!/more than once/.test(String(err))) throw err;
        });
      }
    },
  };
}
