/**
 * The local Redis and Postgres the store tests use for real. In CI (`CI=true`) a missing service
 * fails the run; elsewhere its tests are skipped with a printed reason.
 */
import net from 'node:net';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** The service's URL, or undefined (skip) when it is not running outside CI. */
export async function service(name: 'Redis' | 'Postgres'): Promise<string | undefined> {
  const url = name === 'Redis' ? REDIS_URL : POSTGRES_URL;
  if (await reachable(url)) return url;
  if (process.env.CI) throw new Error(`${name} is not reachable at ${url}; CI must test this store for real`);
  console.warn(`skipping ${name} tests: nothing listens at ${url}`);
  return undefined;
}

/**
 * The store the harness and the process stack use: an SQLite file by default; `TEST_STORE=redis`
 * or `TEST_STORE=postgres` runs the same tests on that server (`npm run test:backends`).
 */
export const TEST_STORE = (process.env.TEST_STORE ?? 'sqlite') as 'sqlite' | 'redis' | 'postgres';
if (!['sqlite', 'redis', 'postgres'].includes(TEST_STORE)) throw new Error(`TEST_STORE must be sqlite, redis or postgres, not ${TEST_STORE}`);

/** Prefix of every namespace tests make (the global teardown removes what they leave). */
export const TEST_NAMESPACE_PREFIX = 'cttest';

let namespaces = 0;
/**
 * A namespace of its own for each harness, stack or fixture, so the records of one test (a
 * retention sweep, a `sessions` listing) never meet another's on a shared Redis or Postgres.
 */
export function testNamespace(): string {
  return `${TEST_NAMESPACE_PREFIX}-${Date.now().toString(36)}-${process.pid}-${++namespaces}`;
}

/** How old a namespace made by `testNamespace` is (also as a Postgres schema name); undefined for any other name. */
export function namespaceAgeMs(name: string): number | undefined {
  const m = new RegExp(`^${TEST_NAMESPACE_PREFIX}[-_]([0-9a-z]+)[-_]\\d+[-_]\\d+$`).exec(name);
  return m ? Date.now() - parseInt(m[1]!, 36) : undefined;
}

export function testStoreUrl(dir: string): string {
  switch (TEST_STORE) {
    case 'sqlite':
      return `sqlite://${dir}/store.sqlite`;
    case 'redis':
      return REDIS_URL;
    case 'postgres':
      return POSTGRES_URL;
  }
}
