import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { runShutdown } from '../../../src/infra/shutdown.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

const never = () => new Promise<never>(() => undefined);

describe('runShutdown', () => {
  it('runs every step in order; one that overruns its deadline is logged and skipped, not waited on', async () => {
    const { logger, lines } = capture();
    const ran: string[] = [];
    const failed = await runShutdown(
      [
        { name: 'turns', deadlineMs: 1000, run: async () => void ran.push('turns') },
        { name: 'adapters', deadlineMs: 20, run: () => (ran.push('adapters'), never()) },
        { name: 'http', deadlineMs: 1000, run: async () => void ran.push('http') },
      ],
      { logger, hardDeadlineMs: 60_000, exit: () => expect.fail('no hard exit expected') },
    );
    expect(ran).toEqual(['turns', 'adapters', 'http']);
    expect(failed).toEqual(['adapters']);
    expect(lines.find((l) => l.msg === 'shutdown step did not finish')).toMatchObject({ step: 'adapters' });
  });

  it('past the hard deadline, exits 1 with a line naming the steps that did not finish', async () => {
    const { logger, lines } = capture();
    const exited = new Promise<number>((resolve) => {
      void runShutdown(
        [
          { name: 'turns', deadlineMs: 60_000, run: never },
          { name: 'http', deadlineMs: 60_000, run: async () => undefined },
        ],
        { logger, hardDeadlineMs: 30, exit: resolve },
      );
    });
    expect(await exited).toBe(1);
    expect(lines.find((l) => l.msg === 'shutdown deadline passed: exiting without finishing')).toMatchObject({ unfinished: ['turns', 'http'] });
  });
});
