/**
 * The thread registry: one record per thread that has a session. It answers "which threads
 * have sessions here", "who started this one", and "when was it last used" (retention), without
 * opening any session. A record is written before the session is created, so a crash mid-turn
 * still leaves a trace that retention can clean up.
 */
import type Keyv from 'keyv';
import { entries, type StoreCalls } from './keyv.js';
import type { SessionId, ThreadRef } from '../domain.js';

export interface ThreadRecord {
  sessionId: SessionId;
  platform: string;
  workspace: string;
  channel: string;
  thread: string;
  /** The user whose message started the session. */
  startedBy: string;
  createdAt: string;
  lastActiveAt: string;
  turns: number;
  /** A direct-message conversation (see `ThreadRef.direct`). */
  direct?: boolean;
}

export interface RegistryFilter {
  platform?: string;
  workspace?: string;
  channel?: string;
}

export interface ThreadRegistry {
  get(id: SessionId): Promise<ThreadRecord | undefined>;
  /** Records a turn: creates the record for a new thread, or bumps `lastActiveAt` and `turns`. */
  recordTurn(id: SessionId, ref: ThreadRef, at: Date): Promise<ThreadRecord>;
  delete(id: SessionId): Promise<boolean>;
  list(filter?: RegistryFilter): Promise<ThreadRecord[]>;
}

/** Every method rejects with `StoreUnavailableError` when the store fails or does not answer in time. */
export class KeyvThreadRegistry implements ThreadRegistry {
  constructor(
    private readonly keyv: Keyv<ThreadRecord>,
    private readonly calls: StoreCalls,
  ) {}

  async get(id: SessionId): Promise<ThreadRecord | undefined> {
    return (await this.calls.run('read', () => this.keyv.get(id))) ?? undefined;
  }

  async recordTurn(id: SessionId, ref: ThreadRef, at: Date): Promise<ThreadRecord> {
    const existing = await this.get(id);
    const record: ThreadRecord = existing
      ? { ...existing, lastActiveAt: at.toISOString(), turns: existing.turns + 1 }
      : {
          sessionId: id,
          platform: ref.platform,
          workspace: ref.workspace,
          channel: ref.channel,
          thread: ref.thread,
          startedBy: ref.user,
          createdAt: at.toISOString(),
          lastActiveAt: at.toISOString(),
          turns: 1,
          ...(ref.direct ? { direct: true } : {}),
        };
    await this.calls.run('write', () => this.keyv.set(id, record));
    return record;
  }

  async delete(id: SessionId): Promise<boolean> {
    return this.calls.run('delete', () => this.keyv.delete(id));
  }

  /** Fails rather than returning a partial or empty list: retention and prune decide deletions on it. */
  async list(filter: RegistryFilter = {}): Promise<ThreadRecord[]> {
    const out: ThreadRecord[] = [];
    for (const [, value] of await this.calls.run('list', () => entries(this.keyv))) {
      const r = value as ThreadRecord | undefined;
      if (!r?.sessionId) continue;
      if (filter.platform !== undefined && r.platform !== filter.platform) continue;
      if (filter.workspace !== undefined && r.workspace !== filter.workspace) continue;
      if (filter.channel !== undefined && r.channel !== filter.channel) continue;
      out.push(r);
    }
    return out.sort((a, b) => b.lastActiveAt.localeCompare(a.lastActiveAt));
  }
}
