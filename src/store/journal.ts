/**
 * Turns in flight, so a crash never loses a message silently. An adapter records a turn once it
 * is queued (where to answer, and the placeholder it showed) and drops the record once the answer
 * is delivered. On start, and every minute after, records left behind by a process that died are
 * the messages it never answered: the adapter tells each thread so (see `recovery` in the
 * adapters). Whether a process died: on its own host, its pid; on any host, its heartbeat in the
 * store (instances on other machines are never taken for dead while they live).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type Keyv from 'keyv';
import { isAlive } from '../infra/pid.js';
import { entries } from './keyv.js';
import { type StoreCalls } from '../infra/store-calls.js';

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
  /** The thread's session: its tool approvals left waiting are expired when the turn is found cut off. */
  sessionId?: string;
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
  /** Claims telling an interrupted turn's thread: false when another instance does it. */
  claimNotice(key: string): Promise<boolean>;
  /** This process, as other instances know it. */
  readonly instance: string;
  /** Starts saying this process lives (once), for as long as it runs. */
  keepAlive(): Promise<void>;
  /** Whether process `instance` (of any host) still says it lives. */
  isAlive(instance: string): Promise<boolean>;
}

/** A record older than this is of no use to anyone (a thread's context has moved on). */
export const JOURNAL_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** A process with turns in flight says it lives this often; missing for `ALIVE_TTL_MS`, it is dead. */
const HEARTBEAT_MS = 10_000;
const ALIVE_TTL_MS = 35_000;
/** Telling a thread is claimed this long: one instance tells it, and a failed telling is tried again later. */
const NOTICE_CLAIM_MS = 5 * 60_000;

export interface Alive {
  host: string;
  pid: number;
  at: string;
}

export class KeyvTurnJournal implements TurnJournal {
  private heartbeat: NodeJS.Timeout | undefined;
  readonly instance = INSTANCE;

  constructor(
    private readonly keyv: Keyv<InFlightTurn>,
    private readonly calls: StoreCalls,
    private readonly alive: Keyv<Alive>,
    private readonly claim: (key: string, ttlMs: number) => Promise<boolean>,
  ) {}

  async keepAlive(): Promise<void> {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => void this.beat().catch(() => undefined), HEARTBEAT_MS);
    this.heartbeat.unref();
    await this.beat();
  }

  async isAlive(instance: string): Promise<boolean> {
    if (instance === INSTANCE) return true;
    return (await this.calls.run('read', () => this.alive.get(instance))) !== undefined;
  }

  async begin(turn: Omit<InFlightTurn, 'startedAt' | 'host' | 'pid' | 'instance'>): Promise<void> {
    await this.keepAlive();
    const record: InFlightTurn = { ...turn, startedAt: new Date().toISOString(), host: os.hostname(), pid: process.pid, instance: INSTANCE };
    await this.calls.run('write', () => this.keyv.set(turn.key, record, JOURNAL_TTL_MS));
  }

  /** True for the one caller (of all instances) that should tell this turn's thread now. */
  claimNotice(key: string): Promise<boolean> {
    return this.claim(`interrupted:${key}`, NOTICE_CLAIM_MS);
  }

  close(): void {
    clearInterval(this.heartbeat);
  }

  private async beat(): Promise<void> {
    const me: Alive = { host: os.hostname(), pid: process.pid, at: new Date().toISOString() };
    await this.calls.run('write', () => this.alive.set(INSTANCE, me, ALIVE_TTL_MS));
  }

  async end(key: string): Promise<void> {
    await this.calls.run('delete', () => this.keyv.delete(key));
  }

  async interrupted(platform: string): Promise<InFlightTurn[]> {
    const all = (await this.calls.run('list', () => entries(this.keyv))).map(([, t]) => t).filter((t) => t?.platform === platform && t.instance !== INSTANCE);
    const out: InFlightTurn[] = [];
    const heard = new Map<string, boolean>();
    for (const t of all) {
      // On this host a pid that is gone is a crash, heartbeat or not (it may not have lapsed yet).
      if (t.host === os.hostname() && (t.pid === process.pid || !isAlive(t.pid))) {
        out.push(t);
        continue;
      }
      if (!heard.has(t.instance)) heard.set(t.instance, await this.isAlive(t.instance));
      if (!heard.get(t.instance)) out.push(t);
    }
    return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }
}
