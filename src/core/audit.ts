/**
 * Who made the bot do what, recorded as it happens: every record is one log line (`audit: true`,
 * for log shippers) at once and one entry of the store's append-only trail (store/audit.ts), kept
 * AUDIT_RETENTION_DAYS. Recording never fails its caller: a store that cannot take the entry is
 * logged as an error, and the log line is there anyway. Secrets in what is recorded are masked.
 */
import type { Logger } from '../infra/log.js';
import { PendingWrites } from '../infra/pending.js';
import { repeatEvery } from '../infra/periodic.js';
import { PRUNE_BATCH, type AuditLog, type AuditRecord } from '../store/audit.js';
import { maskSecrets } from './redact.js';

export type { AuditRecord, AuditQuery } from '../store/audit.js';

/** What happened. */
export type AuditKind =
  /** A tool asked to run, and what the policy said (`allowed`, `denied`, `asked` a person). */
  | 'tool.request'
  /** A person's (or the clock's) decision on a tool that needed approval. */
  | 'tool.decision'
  /** A thread's session deleted: in the thread, at the CLI, or by retention. */
  | 'forget'
  /** A message or command refused: not allowed here, or over the rate limit. */
  | 'access.refused'
  /** An administrator's action at the CLI (show, forget, prune). */
  | 'admin'
  /** A person linked their GitHub account (COPILOT_AUTH=per-user). */
  | 'login'
  /** A person unlinked their GitHub account. */
  | 'logout'
  /** A link ended by someone else: an administrator, or GitHub refusing its token. */
  | 'revoke';

export interface AuditEvent {
  kind: AuditKind;
  actor: string;
  session?: string;
  detail?: Record<string, string | number | boolean | undefined>;
}

/** The port the core records through. */
export interface AuditTrail {
  record(event: AuditEvent): void;
}

/** Records nothing (tests of parts that do not look at the trail). */
export const NO_AUDIT: AuditTrail = { record: () => undefined };

/** Longest text kept of one detail (a command, a path); a tool request also keeps its whole length and digest. */
const MAX_DETAIL_CHARS = 2000;

export class Audit implements AuditTrail {
  private readonly pending = new PendingWrites();

  constructor(
    private readonly log: Pick<AuditLog, 'append'>,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(event: AuditEvent): void {
    const record = toRecord(event, this.now());
    this.logger.info({ audit: true, kind: record.kind, actor: record.actor, ...(record.session ? { sessionId: record.session } : {}), ...record.detail }, `audit: ${record.kind}`);
    const appended = this.log.append(record).catch((err: unknown) =>
      this.logger.error({ err: String(err), audit: true, kind: record.kind, actor: record.actor }, 'audit record could not be stored (its log line above stands)'),
    );
    this.pending.track(appended);
  }

  /** Resolves once every record made so far is stored (or failed): before a process closes the store. */
  flush(): Promise<void> {
    return this.pending.flush();
  }
}

export function toRecord(event: AuditEvent, at: Date): AuditRecord {
  const detail: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(event.detail ?? {})) {
    if (value === undefined) continue;
    detail[key] = typeof value === 'string' ? clip(maskSecrets(value)) : value;
  }
  return {
    at: at.toISOString(),
    kind: event.kind,
    actor: event.actor,
    ...(event.session ? { session: event.session } : {}),
    ...(Object.keys(detail).length ? { detail } : {}),
  };
}

function clip(text: string): string {
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS - 1)}…` : text;
}

/** `platform:user` of a person in a thread: how the audit trail names people. */
export function personOf(thread: { platform: string; user: string }): string {
  return `${thread.platform}:${thread.user}`;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Per round: the rest waits for the next round. */
const MAX_PRUNE_BATCHES = 100;

export interface AuditPrunerDeps {
  log: Pick<AuditLog, 'prune'>;
  /** Claims one round (the store's atomic claim): instances sharing a store take turns. */
  claimRound: (round: string) => Promise<boolean>;
  logger: Logger;
}

/** Removes records older than `days` now and then every `everyMs`; returns a stop function. 0 days: kept forever. */
export function startAuditPruner(deps: AuditPrunerDeps, options: { days: number; everyMs: number; now?: () => Date }): () => Promise<void> {
  if (options.days <= 0) return async () => undefined;
  const once = async () => {
    const now = options.now?.() ?? new Date();
    if (!(await deps.claimRound(`audit-prune:${Math.floor(now.getTime() / options.everyMs)}`))) return;
    const before = new Date(now.getTime() - options.days * DAY_MS);
    let removed = 0;
    // Batch after batch (a lowered AUDIT_RETENTION_DAYS may leave a large backlog), within bounds.
    for (let i = 0; i < MAX_PRUNE_BATCHES; i++) {
      const n = await deps.log.prune(before);
      removed += n;
      if (n < PRUNE_BATCH) break;
    }
    if (removed > 0) deps.logger.info({ removed, days: options.days }, 'audit: records past AUDIT_RETENTION_DAYS removed');
  };
  return repeatEvery(options.everyMs, () => once().catch((err: unknown) => deps.logger.error({ err: String(err) }, 'audit prune failed')));
}
