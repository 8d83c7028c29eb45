/** Vitest setup: the app's log of a failed test is printed with its failure (see test-log.ts). */
import { beforeEach } from 'vitest';
import { collectTestLog } from './test-log.js';

const collector = collectTestLog();

beforeEach((context) => {
  collector.lines.length = 0;
  context.onTestFailed(() => {
    if (collector.lines.length === 0) return;
    process.stderr.write(`\n--- the app's log of "${context.task.name}" (last ${collector.lines.length} lines) ---\n${collector.lines.join('')}--- end of log ---\n`);
  });
});
