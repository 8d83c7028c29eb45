/**
 * Retention: sessions idle longer than SESSION_RETENTION_DAYS are deleted, registry record and
 * session folder alike. Idleness comes from the registry (last turn); sessions the registry does
 * not know (orphans, e.g. made before a crash) fall back to the session's own modified time.
 */
import type { Agent } from '../agent/agent.js';
import type { Logger } from '../infra/log.js';
import { repeatEvery } from '../infra/periodic.js';
import type { ThreadRegistry } from '../store/registry.js';
import type { SessionId } from './thread.js';

export interface Expired {
  id: SessionId;
  lastActive: Date | undefined;
  /** `registry`: known thread; `orphan`: a session with no registry record; `record`: a record with no session. */
  source: 'registry' | 'orphan' | 'record';
}

export interface SweepDeps {
  agent: Agent;
  registry: ThreadRegistry;
  /**
   * Deletes one session and its record (serialised with that thread's turns), asking `confirm`
   * once no turn runs in it on any instance: `Conversation.forgetSession`, whose `kept` says the
   * confirmation kept it.
   */
  forget: (id: SessionId, confirm: () => Promise<boolean>) => Promise<{ kept?: true }>;
  /** Threads with a turn queued or running are never swept. */
  busy?: (id: SessionId) => boolean;
  /**
   * Claims one round of sweeping (the store's atomic claim): false when another process or
   * instance has it, so instances sharing a store take turns instead of sweeping at once.
   */
  claimRound?: (round: string) => Promise<boolean>;
  logger: Logger;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function findExpired(deps: Pick<SweepDeps, 'agent' | 'registry'>, olderThanMs: number, now: Date): Promise<Expired[]> {
  const cutoff = now.getTime() - olderThanMs;
  const [records, sessions] = await Promise.all([deps.registry.list(), deps.agent.list()]);
  const onDisk = new Map(sessions.map((s) => [s.id, s]));
  const known = new Set<string>();
  const out: Expired[] = [];
  for (const r of records) {
    known.add(r.sessionId);
    const last = new Date(r.lastActiveAt);
    if (last.getTime() < cutoff) out.push({ id: r.sessionId, lastActive: last, source: onDisk.has(r.sessionId) ? 'registry' : 'record' });
  }
  for (const s of sessions) {
    if (known.has(s.id)) continue;
    const last = s.modifiedAt ?? s.createdAt;
    if (last && last.getTime() < cutoff) out.push({ id: s.id, lastActive: last, source: 'orphan' });
  }
  return out;
}

/**
 * Deletes what has expired (`only`: no more than these ids, e.g. the ones an operator confirmed).
 * Decisions rest on complete reads: a registry or session list that fails throws before anything
 * is deleted, never reads as "no records" (which would make every session an orphan).
 */
export async function sweep(deps: SweepDeps, options: { olderThanMs: number; now: Date; dryRun: boolean; only?: ReadonlySet<string> }): Promise<Expired[]> {
  const expired = (await findExpired(deps, options.olderThanMs, options.now)).filter((e) => !deps.busy?.(e.id) && (!options.only || options.only.has(e.id)));
  if (options.dryRun) return expired;
  const removed: Expired[] = [];
  const cutoff = options.now.getTime() - options.olderThanMs;
  // Decided on a listing that may be stale by the time the session is free: a turn that ran on
  // another instance meanwhile made it active again.
  const stillExpired = (id: SessionId) => async () => {
    const record = await deps.registry.get(id);
    return !record || new Date(record.lastActiveAt).getTime() < cutoff;
  };
  for (const e of expired) {
    try {
      if ((await deps.forget(e.id, stillExpired(e.id))).kept) {
        deps.logger.info({ sessionId: e.id }, 'retention: kept, the thread was used while the sweep waited for it');
        continue;
      }
      removed.push(e);
      deps.logger.info({ sessionId: e.id, lastActive: e.lastActive?.toISOString(), source: e.source }, 'retention: session deleted');
    } catch (err) {
      deps.logger.error({ err, sessionId: e.id }, 'retention: delete failed');
    }
  }
  return removed;
}

export function retentionMs(days: number): number {
  return days * DAY_MS;
}

/** Sweeps now and then every `everyMs`; returns a stop function. Retention 0 days means keep forever. */
export function startSweeper(deps: SweepDeps, options: { days: number; everyMs: number; now?: () => Date }): () => Promise<void> {
  if (options.days <= 0) return async () => undefined;
  const once = async () => {
    const now = options.now?.() ?? new Date();
    const round = String(Math.floor(now.getTime() / options.everyMs));
    if (deps.claimRound && !(await deps.claimRound(round))) {
      deps.logger.debug({ round }, 'retention: another instance sweeps this round');
      return;
    }
    await sweep(deps, { olderThanMs: retentionMs(options.days), now, dryRun: false });
  };
  return repeatEvery(options.everyMs, () => once().catch((err: unknown) => deps.logger.error({ err }, 'retention sweep failed')));
}
