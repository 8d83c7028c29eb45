/**
 * One-time move of records from the layout before STORE_NAMESPACE (Redis `threads::threads:<id>`,
 * Postgres `public.keyv`) into the deployment's namespace, so upgrading keeps every thread's
 * registry record and crash journal. Only the default namespace adopts them: that is where an
 * upgraded deployment looks, and two deployments with their own namespaces must not race for one
 * set of old records. Records are copied only into an empty namespace, then removed from the old
 * layout; a second instance doing the same at once copies the same values. Once done, a marker in
 * the namespace spares later starts the look (a SCAN of the whole keyspace on Redis).
 */
import type Keyv from 'keyv';
import { entries, type Backend } from './keyv.js';

/** keyv namespaces that moved; `seen` (delivery dedupe before atomic claims) is only dropped. */
const MOVED = ['threads', 'turns'] as const;
const DROPPED = ['seen'] as const;

/** Bumped when the layout changes again. */
const LAYOUT = 2;

export async function adoptLegacyRecords(backend: Backend, current: Record<(typeof MOVED)[number], Keyv<unknown>>, meta: Keyv<number>): Promise<number> {
  if ((await meta.get('layout')) === LAYOUT) return 0;
  let moved = 0;
  for (const name of MOVED) {
    await withLegacy(backend, name, async (legacy) => {
      const target = current[name];
      const old = await entries(legacy);
      if (!(await hasAny(target))) {
        for (const [key, value] of old) await target.set(key, value);
        moved += old.length;
      }
      await legacy.deleteMany(old.map(([key]) => key));
    });
  }
  for (const name of DROPPED) await withLegacy(backend, name, (legacy) => legacy.clear());
  await meta.set('layout', LAYOUT);
  return moved;
}

/** Runs `fn` on the old layout's records of `name`, if there are any, then lets go of the connection. */
async function withLegacy(backend: Backend, name: string, fn: (legacy: Keyv<unknown>) => Promise<unknown>): Promise<void> {
  const legacy = await backend.legacyKeyv<unknown>(name);
  if (!legacy) return;
  try {
    if (await hasAny(legacy)) await fn(legacy);
  } finally {
    await legacy.disconnect();
  }
}

async function hasAny(keyv: Keyv<unknown>): Promise<boolean> {
  if (!keyv.iterator) return false;
  for await (const _ of keyv.iterator(undefined)) return true;
  return false;
}
