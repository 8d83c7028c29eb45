/**
 * Turns in flight, so a crash never loses a message silently. An adapter records a turn once it
 * is queued (where to answer, and the placeholder it showed) and drops the record once the answer
 * is delivered. On start, records left behind by a process that died are the messages it never
 * answered: the adapter tells each thread so (see `recovery` in the adapters).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type Keyv from 'keyv';
import { isAlive } from '../pid.js';
import { entries, type StoreCalls } from './keyv.js';

/** This process: a restarted container can reuse a pid and a hostname, never this id. */
const INSTANCE = randomUUID();

export interface InFlightTurn {
  /** The delivery key of the message (`slack:…`, `discord:…`). */
  key: string;
  platform: string;
  /** Where the answer goes: Slack channel, or the Discord channel/thread. */
  channel: string;
  /** Slack thread ts; the channel again where threads are channels. */
  thread: string;
  /** The platform id of the person's message (Slack ts, Discord message id). */
  message: string;
  /** The "thinking" message shown for it, once posted (Slack ts). */
  placeholder?: string;
  startedAt: string;
  /** The process that ran it: a live process on this host is not a crash. */
  host: string;
  pid: number;
  instance: string;
}

export interface TurnJournal {
  /** Records the turn (again, with what the adapter learned since, like its placeholder). */
  begin(turn: Omit<InFlightTurn, 'startedAt' | 'host' | 'pid' | 'instance'>): Promise<void>;
  end(key: string): Promise<void>;
  /** Turns of `platform` whose process is gone: interrupted by a crash or a kill. */
  interrupted(platform: string): Promise<InFlightTurn[]>;
}

/** A record older than this is of no use to anyone (a thread's context has moved on). */
export const JOURNAL_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export class KeyvTurnJournal implements TurnJournal {
  constructor(
    private readonly keyv: Keyv<InFlightTurn>,
    private readonly calls: StoreCalls,
  ) {}

  async begin(turn: Omit<InFlightTurn, 'startedAt' | 'host' | 'pid' | 'instance'>): Promise<void> {
    const record: InFlightTurn = { ...turn, startedAt: new Date().toISOString(), host: os.hostname(), pid: process.pid, instance: INSTANCE };
    await this.calls.run('write', () => this.keyv.set(turn.key, record, JOURNAL_TTL_MS));
  }

  async end(key: string): Promise<void> {
    await this.calls.run('delete', () => this.keyv.delete(key));
  }

  async interrupted(platform: string): Promise<InFlightTurn[]> {
    const all = await this.calls.run('list', () => entries(this.keyv));
    return all
      .map(([, t]) => t)
      .filter((t) => t?.platform === platform && t.instance !== INSTANCE && !(t.host === os.hostname() && t.pid !== process.pid && isAlive(t.pid)))
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }
}
