/**
 * What the app logged during a test, printed only when the test fails. A flake seen once on a
 * loaded CI machine is otherwise gone without a trace (the app logs nothing in tests unless
 * TEST_LOG_LEVEL is set). The vitest setup file (testkit/test-log-setup.ts) empties it before each
 * test and prints it when one fails; outside vitest (the bench) nothing collects it.
 */
const KEPT = 400;
const SINK = Symbol.for('copilot-threads.test-log');

interface Sink {
  lines: string[];
}

function sink(): Sink | undefined {
  return (globalThis as { [SINK]?: Sink })[SINK];
}

/** Installs the collector (the setup file, once per test file). */
export function collectTestLog(): Sink {
  const made: Sink = { lines: [] };
  (globalThis as { [SINK]?: Sink })[SINK] = made;
  return made;
}

/** A pino destination keeping the last lines, when a collector is installed. */
export function testLogDestination(): { write(line: string): void } | undefined {
  const collector = sink();
  if (!collector) return undefined;
  return {
    write(line) {
      collector.lines.push(line);
      if (collector.lines.length > KEPT) collector.lines.splice(0, collector.lines.length - KEPT);
    },
  };
}
