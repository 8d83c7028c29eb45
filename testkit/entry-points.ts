/**
 * The product's entry points against one process fixture for a whole test file (started before
 * its tests, closed after): `chat` is the console chat in a named thread as ana, `cli` the admin
 * CLI. Registers vitest hooks, so tests only (the bench uses testkit/process.ts directly).
 */
import { afterAll, beforeAll } from 'vitest';
import { processFixture, runEntry, type ProcessFixture } from './process.js';

export interface EntryPoints {
  readonly fx: ProcessFixture;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  chat(input: string, thread?: string): ReturnType<typeof runEntry>;
  cli(...args: string[]): ReturnType<typeof runEntry>;
}

export function useEntryPoints(extra: Record<string, string> = {}): EntryPoints {
  let fixture: ProcessFixture | undefined;
  beforeAll(async () => {
    fixture = await processFixture(extra);
  });
  afterAll(() => fixture?.close());
  const fx = (): ProcessFixture => {
    if (!fixture) throw new Error('the process fixture is not started yet (use it inside a test)');
    return fixture;
  };
  return {
    get fx() {
      return fx();
    },
    get dir() {
      return fx().dir;
    },
    get env() {
      return fx().env;
    },
    chat: (input, thread = 'demo') => runEntry(['src/bin/chat.ts', '--thread', thread, '--user', 'ana'], fx().env, input),
    cli: (...args) => runEntry(['src/bin/cli.ts', ...args], fx().env),
  };
}
