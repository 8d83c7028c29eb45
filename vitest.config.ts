import { defineConfig } from 'vitest/config';

/** Tests that go through the store: run once more on each server backend (testkit/services.ts). */
const STORE_DEPENDENT = ['test/e2e/**/*.test.ts', 'test/slack/**/*.test.ts', 'test/discord/**/*.test.ts', 'test/core/**/*.test.ts'];
/**
 * Once, not per store: what no store changes. The approval cards and clicks (what they keep in the
 * store is approvals-store.test.ts, on every backend); the tool sandbox; what a terminal shows (the
 * console's rendering, the docs' pictures); how a turn fails and how the runtime is recycled (the
 * registry's own failure there is injected); the console chat and the bot as processes (the admin
 * CLI, which reads the store itself, runs on every store); and how the platforms render, stream,
 * chunk and survive their APIs' failures (de-duplication and the registry are tested per store in
 * delivery, threads, commands and context).
 */
const ONCE = [
  'test/e2e/approvals.test.ts',
  'test/slack/approvals.test.ts',
  'test/discord/approvals.test.ts',
  'test/e2e/sandbox.test.ts',
  'test/e2e/mcp.test.ts',
  'test/e2e/console-terminal.test.ts',
  'test/e2e/pictures.test.ts',
  'test/e2e/failures.test.ts',
  'test/e2e/entrypoints.test.ts',
  'test/slack/replies.test.ts',
  'test/slack/files.test.ts',
  'test/slack/process.test.ts',
  'test/discord/process.test.ts',
  'test/discord/resilience.test.ts',
  // The identity store has its own test on every backend (test/store/identities.test.ts).
  'test/e2e/per-user.test.ts',
  // Schedules in the store, claimed and moved on, are tested on every backend (test/store/schedules.test.ts).
  'test/slack/schedules.test.ts',
  'test/discord/schedules.test.ts',
];

export default defineConfig({
  test: {
    // The process tests run the built entry points; build them from the code under test first.
    globalSetup: ['testkit/build.ts'],
    // A failed test prints what the app logged while it ran (testkit/test-log.ts).
    setupFiles: ['testkit/test-log-setup.ts'],
    // End-to-end tests run the real Copilot runtime; the model-500 case waits out its ~15 s of retries.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for something a user would see; 1 s (the default) is scheduling luck on 2 loaded cores.
    expect: { poll: { timeout: 30_000, interval: 20 } },
    pool: 'forks',
    maxWorkers: 2,
    // The JSON report lets CI print a plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'] } },
      // The same conversations, commands and adapters with the registry, claims and journal on Redis and on Postgres.
      { extends: true, test: { name: 'redis', include: STORE_DEPENDENT, exclude: ONCE, env: { TEST_STORE: 'redis' } } },
      { extends: true, test: { name: 'postgres', include: STORE_DEPENDENT, exclude: ONCE, env: { TEST_STORE: 'postgres' } } },
    ],
  },
});
