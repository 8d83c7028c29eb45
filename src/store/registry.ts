/**
 * The thread registry: one record per thread that has a session. It answers "which threads
 * have sessions here", "who started this one", and "when was it last used" (retention), without
 * opening any session. A record is written before the session is created, so a crash mid-turn
 * still leaves a trace that retention can clean up.
 */
import type Keyv from 'keyv';
import { entries } from './keyv.js';
import { type StoreCalls } from '../infra/store-calls.js';
import type { RepoBinding, SessionId, ThreadRef } from '../domain.js';

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
  /** The channel a platform thread lives in (a Discord thread's parent), so a channel can list its threads. */
  parent?: string;
  /** Opens the thread on its platform. */
  link?: string;
  /** The opening words of the message that started the session: how people tell threads apart in a list. */
  opening?: string;
  /**
   * The platform id of the last message the session heard (a turn's message): the thread's
   * context for the next turn starts after it. Absent on records from before context was read.
   */
  seen?: string;
  /** The model the thread switched to (`/copilot model`); absent: its channel's, or the bot's. Kept beside the record (see `get`). */
  model?: string;
  /** The custom agent the thread switched to (`/copilot agent`); absent: its channel's, or none. Kept beside the record. */
  agent?: string;
  /** The repository the thread is bound to (`repo …`). Kept beside the record. */
  repo?: RepoBinding;
  /** The latest 👍/👎 on an answer of this thread, and how many of each (see `recordFeedback`). */
  feedback?: { up: number; down: number; last?: { by: string; vote: 'up' | 'down'; at: string } };
}

/** How much of the first prompt a record keeps: enough to recognise a thread, not a copy of it. */
export const OPENING_CHARS = 80;

export function openingOf(prompt: string): string {
  const one = prompt.replace(/\s+/g, ' ').trim();
  if (one.length <= OPENING_CHARS) return one;
  const cut = one.slice(0, OPENING_CHARS);
  const space = cut.lastIndexOf(' ');
  return `${(space > OPENING_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export interface RegistryFilter {
  platform?: string;
  workspace?: string;
  channel?: string;
}

export interface ThreadRegistry {
  get(id: SessionId): Promise<ThreadRecord | undefined>;
  /**
   * Records a turn: creates the record for a new thread (with `prompt`'s opening words), or bumps
   * `lastActiveAt` and `turns`; `seen`: the id of the turn's message on its platform.
   */
  recordTurn(id: SessionId, ref: ThreadRef, at: Date, prompt?: string, seen?: string): Promise<ThreadRecord>;
  /** Counts a 👍/👎 on one of the thread's answers; undefined when the thread has no record. */
  recordFeedback(id: SessionId, vote: 'up' | 'down', by: string, at: Date): Promise<ThreadRecord | undefined>;
  /** Sets (a name) or clears (null) the thread's own model or agent; undefined when the thread has no record. */
  choose(id: SessionId, choice: ThreadChoiceChange): Promise<ThreadRecord | undefined>;
  delete(id: SessionId): Promise<boolean>;
  list(filter?: RegistryFilter): Promise<ThreadRecord[]>;
}

/** A thread's own model and agent (`model NAME`, `agent NAME`), and its repository (`repo …`). */
export interface ThreadChoice {
  model?: string;
  agent?: string;
  repo?: RepoBinding;
}

/** Where a thread's choices are kept: beside its record, not in it (see `get`); no record shape, so `list` skips it. */
function choiceKey(id: SessionId): string {
  return `${id}#choice`;
}

/** What `choose` changes: a value sets, null clears, absent keeps. */
export interface ThreadChoiceChange {
  model?: string | null;
  agent?: string | null;
  repo?: RepoBinding | null;
}

/** Every method rejects with `StoreUnavailableError` when the store fails or does not answer in time. */
export class KeyvThreadRegistry implements ThreadRegistry {
  constructor(
    private readonly keyv: Keyv<ThreadRecord>,
    private readonly calls: StoreCalls,
  ) {}

  /**
   * The record with the thread's own model and agent, which live under a key of their own: a turn's
   * record update (a read, then a write of the whole record), here or on another instance, can then
   * never write over a switch made meanwhile.
   */
  async get(id: SessionId): Promise<ThreadRecord | undefined> {
    const [record, choice] = await Promise.all([this.record(id), this.calls.run('read', () => this.choices.get(choiceKey(id)))]);
    return record && choice ? { ...record, ...choice } : record;
  }

  /** The record as stored (no choices): what a read-modify-write of it works on. */
  private async record(id: SessionId): Promise<ThreadRecord | undefined> {
    return (await this.calls.run('read', () => this.keyv.get(id))) ?? undefined;
  }

  /** The same table: a choice has no record shape, so `list` passes it over. */
  private get choices(): Keyv<ThreadChoice> {
    return this.keyv;
  }

  async recordTurn(id: SessionId, ref: ThreadRef, at: Date, prompt?: string, seen?: string): Promise<ThreadRecord> {
    const existing = await this.record(id);
    const record: ThreadRecord = existing
      ? {
          ...existing,
          lastActiveAt: at.toISOString(),
          turns: existing.turns + 1,
          ...(!existing.opening && prompt ? { opening: openingOf(prompt) } : {}),
          ...(seen ? { seen } : {}),
        }
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
          ...(ref.parent ? { parent: ref.parent } : {}),
          ...(ref.link ? { link: ref.link } : {}),
          ...(prompt ? { opening: openingOf(prompt) } : {}),
          ...(seen ? { seen } : {}),
        };
    await this.calls.run('write', () => this.keyv.set(id, record));
    return record;
  }

  async choose(id: SessionId, change: ThreadChoiceChange): Promise<ThreadRecord | undefined> {
    const existing = await this.get(id);
    if (!existing) return undefined;
    const choice: ThreadChoice = {};
    for (const key of ['model', 'agent'] as const) {
      const value = change[key] === undefined ? existing[key] : change[key];
      if (value !== null && value !== undefined) choice[key] = value;
    }
    const repo = change.repo === undefined ? existing.repo : change.repo;
    if (repo) choice.repo = repo;
    await this.calls.run('write', () => (Object.keys(choice).length ? this.choices.set(choiceKey(id), choice) : this.choices.delete(choiceKey(id))));
    const { model: _model, agent: _agent, repo: _repo, ...rest } = existing;
    return { ...rest, ...choice };
  }

  async recordFeedback(id: SessionId, vote: 'up' | 'down', by: string, at: Date): Promise<ThreadRecord | undefined> {
    const existing = await this.record(id);
    if (!existing) return undefined;
    const counts = existing.feedback ?? { up: 0, down: 0 };
    const record: ThreadRecord = { ...existing, feedback: { ...counts, [vote]: counts[vote] + 1, last: { by, vote, at: at.toISOString() } } };
    await this.calls.run('write', () => this.keyv.set(id, record));
    return record;
  }

  async delete(id: SessionId): Promise<boolean> {
    const [deleted] = await Promise.all([this.calls.run('delete', () => this.keyv.delete(id)), this.calls.run('delete', () => this.choices.delete(choiceKey(id)))]);
    return deleted;
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
