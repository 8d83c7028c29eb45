/**
 * Scheduled prompts (`schedule "<when>" …`): one record per schedule under its id. Every instance
 * lists them to find the ones due (core/schedules/scheduler.ts); a run is claimed in the claims
 * table, not here, so this store needs nothing atomic.
 */
import type Keyv from 'keyv';
import { entries } from './keyv.js';
import type { StoreCalls } from '../infra/store-calls.js';
import type { Schedule, SessionId } from '../domain.js';

export interface ScheduleFilter {
  sessionId?: SessionId;
  /** `platform:user`: the person's own. */
  person?: string;
}

export interface ScheduleStore {
  get(id: string): Promise<Schedule | undefined>;
  put(schedule: Schedule): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Oldest first. Fails rather than returning a partial list. */
  list(filter?: ScheduleFilter): Promise<Schedule[]>;
}

export function personOfSchedule(s: Schedule): string {
  return `${s.thread.platform}:${s.thread.user}`;
}

/** Every method rejects with `StoreUnavailableError` when the store fails or does not answer in time. */
export class KeyvScheduleStore implements ScheduleStore {
  constructor(
    /** Opened on first use: a deployment that schedules nothing still lists an empty table, nothing more. */
    private readonly keyv: () => Promise<Keyv<Schedule>>,
    private readonly calls: StoreCalls,
  ) {}

  async get(id: string): Promise<Schedule | undefined> {
    const keyv = await this.keyv();
    return (await this.calls.run('read', () => keyv.get(id))) ?? undefined;
  }

  async put(schedule: Schedule): Promise<void> {
    const keyv = await this.keyv();
    await this.calls.run('write', () => keyv.set(schedule.id, schedule));
  }

  async delete(id: string): Promise<boolean> {
    const keyv = await this.keyv();
    return this.calls.run('delete', () => keyv.delete(id));
  }

  async list(filter: ScheduleFilter = {}): Promise<Schedule[]> {
    const keyv = await this.keyv();
    const out: Schedule[] = [];
    for (const [, s] of await this.calls.run('list', () => entries(keyv))) {
      if (!s?.id || !s.thread) continue;
      if (filter.sessionId !== undefined && s.sessionId !== filter.sessionId) continue;
      if (filter.person !== undefined && personOfSchedule(s) !== filter.person) continue;
      out.push(s);
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}
