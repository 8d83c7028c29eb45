/**
 * Opens a keyv store from STORE_URL: an SQLite file by default (nothing to run), Redis or
 * Postgres when several bot processes share state. Errors throw instead of reading as
 * "missing", so a broken store never looks like an empty one.
 */
import fs from 'node:fs';
import path from 'node:path';
import Keyv from 'keyv';

export type StoreKind = 'sqlite' | 'redis' | 'postgres';

export function storeKind(url: string): StoreKind {
  if (url.startsWith('sqlite://')) return 'sqlite';
  if (url.startsWith('redis://') || url.startsWith('rediss://')) return 'redis';
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgres';
  throw new Error(`unsupported STORE_URL scheme: ${url.split(':')[0]}`);
}

/** One keyv per namespace over one backend connection each; close them with `disconnect()`. */
export async function openKeyv<V>(url: string, namespace: string): Promise<Keyv<V>> {
  const store = await openAdapter(url);
  const keyv = new Keyv<V>({ store, namespace, throwOnErrors: true });
  keyv.on('error', () => undefined); // thrown to the caller instead (throwOnErrors)
  return keyv;
}

async function openAdapter(url: string) {
  switch (storeKind(url)) {
    case 'sqlite': {
      const file = url.slice('sqlite://'.length);
      if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
      const { KeyvSqlite } = await import('@keyv/sqlite');
      // Two processes (the bot and the admin CLI) may share the file: wait for locks, don't fail.
      return new KeyvSqlite({ uri: url, busyTimeout: 10_000 });
    }
    case 'redis': {
      const { default: KeyvRedis } = await import('@keyv/redis');
      return new KeyvRedis(url, { throwOnConnectError: true, throwOnErrors: true });
    }
    case 'postgres': {
      const { KeyvPostgres } = await import('@keyv/postgres');
      return new KeyvPostgres({ uri: url });
    }
  }
}
