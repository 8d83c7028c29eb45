/** Runs the scheduler as the bot's poll does, in a test that has no poll: one look at a time, until `done` holds. */
import { expect } from 'vitest';
import type { App } from '../src/app.js';
import type { ScheduledRunner } from '../src/core/schedules/scheduler.js';

export async function runSchedulesUntil(app: App, platform: string, runner: ScheduledRunner, done: () => boolean): Promise<void> {
  app.scheduler.use(platform, runner);
  await expect
    .poll(
      async () => {
        await app.scheduler.tick();
        return done();
      },
      { timeout: 40_000, interval: 300 },
    )
    .toBe(true);
  await app.scheduler.settled();
}
