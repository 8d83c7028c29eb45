/** Everything the bot keeps outside the Copilot session folders, behind one STORE_URL. */
import type Keyv from 'keyv';
import { openKeyv } from './keyv.js';
import { KeyvThreadRegistry, type ThreadRecord, type ThreadRegistry } from './registry.js';
import { KeyvDedupe, type Dedupe } from './dedupe.js';

export interface Store {
  registry: ThreadRegistry;
  dedupe: Dedupe;
  close(): Promise<void>;
}

export async function openStore(url: string): Promise<Store> {
  const threads = await openKeyv<ThreadRecord>(url, 'threads');
  const seen = await openKeyv<number>(url, 'seen');
  const opened: Keyv[] = [threads, seen];
  return {
    registry: new KeyvThreadRegistry(threads),
    dedupe: new KeyvDedupe(seen),
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
