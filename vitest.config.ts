import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The process tests run the built entry points; build them from the code under test first.
    globalSetup: ['test/support/build.ts'],
    // End-to-end tests run the real Copilot runtime; the model-500 case waits out its ~15 s of retries.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for something a user would see; 1 s (the default) is scheduling luck on 2 loaded cores.
    expect: { poll: { timeout: 30_000, interval: 20 } },
    pool: 'forks',
    maxWorkers: 2,
    // The JSON report lets CI print a plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
