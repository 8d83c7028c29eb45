/**
 * Scheduled prompts (`schedule "<when>" …`): one record per schedule under its id, written when it
 * is made and deleted when it stops, and beside it (`<id>#run`) where it is in its runs, which
 * only the scheduler writes. Kept apart so a run moving a schedule on can never bring back one
 * that was stopped meanwhile (a stale `#run` without its record is passed over, and cleared).
 * Every instance lists them to find the ones due (core/schedules/scheduler.ts); a run is claimed
 * in the claims table, not here, so this store needs nothing atomic.
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

/** Where a schedule is in its runs. */
export type ScheduleRun = Pick<Schedule, 'next' | 'runs'> & { lastRunAt?: string; attempts?: number };

export interface ScheduleStore {
  get(id: string): Promise<Schedule | undefined>;
  /** A new schedule; false (nothing written) when its id is taken. */
  add(schedule: Schedule): Promise<boolean>;
  /** Moves a schedule on; false (nothing kept) when it was stopped meanwhile. */
  advance(id: string, run: ScheduleRun): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Oldest first. Fails rather than returning a partial list. */
  list(filter?: ScheduleFilter): Promise<Schedule[]>;
}

export function personOfSchedule(s: Schedule): string {
  return `${s.thread.platform}:${s.thread.user}`;
}

const runKey = (id: string) => `${id}#run`;

/** Every method rejects with `StoreUnavailableError` when the store fails or does not answer in time. */
export class KeyvScheduleStore implements ScheduleStore {
  constructor(
    /** Opened on first use: a deployment that schedules nothing still lists an empty table, nothing more. */
    private readonly keyv: () => Promise<Keyv<Schedule | ScheduleRun>>,
    private readonly calls: StoreCalls,
  ) {}

  async get(id: string): Promise<Schedule | undefined> {
    const keyv = await this.keyv();
    const [record, run] = await Promise.all([this.calls.run('read', () => keyv.get(id)), this.calls.run('read', () => keyv.get(runKey(id)))]);
    return isSchedule(record) ? { ...record, ...(run ?? {}) } : undefined;
  }

  async add(schedule: Schedule): Promise<boolean> {
    const keyv = await this.keyv();
    if ((await this.calls.run('read', () => keyv.get(schedule.id))) !== undefined) return false;
    await this.calls.run('write', () => keyv.set(schedule.id, schedule));
    return true;
  }

  async advance(id: string, run: ScheduleRun): Promise<boolean> {
    const keyv = await this.keyv();
    await this.calls.run('write', () => keyv.set(runKey(id), run));
    // Stopped between the scheduler's read and this write: the run state goes too.
    if ((await this.calls.run('read', () => keyv.get(id))) !== undefined) return true;
    await this.calls.run('delete', () => keyv.delete(runKey(id)));
    return false;
  }

  async delete(id: string): Promise<boolean> {
    const keyv = await this.keyv();
    const [deleted] = await Promise.all([this.calls.run('delete', () => keyv.delete(id)), this.calls.run('delete', () => keyv.delete(runKey(id)))]);
    return deleted;
  }

  async list(filter: ScheduleFilter = {}): Promise<Schedule[]> {
    const keyv = await this.keyv();
    const all = new Map(await this.calls.run('list', () => entries(keyv)));
    const out: Schedule[] = [];
    for (const [key, value] of all) {
      if (!isSchedule(value)) {
        // A run state whose schedule is gone (stopped while a run moved it on).
        if (key.endsWith('#run') && !all.has(key.slice(0, -'#run'.length))) await this.calls.run('delete', () => keyv.delete(key)).catch(() => undefined);
        continue;
      }
      const s: Schedule = { ...value, ...((all.get(runKey(value.id))) ?? {}) };
      if (filter.sessionId !== undefined && s.sessionId !== filter.sessionId) continue;
      if (filter.person !== undefined && personOfSchedule(s) !== filter.person) continue;
      out.push(s);
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}

function isSchedule(value: unknown): value is Schedule {
  const s = value as Schedule | undefined;
  return typeof s?.id === 'string' && typeof s.thread === 'object' && s.thread !== null;
}
