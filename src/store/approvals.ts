/**
 * Tool approvals kept in the store, so a card clicked after a restart or on another instance is
 * answered truthfully. Three records per thread's session, in the `approvals` namespace:
 * `req:<id>` (one request: what was asked, its decision), `card:<id>` (where its card is), `log:<session>` (every
 * request and its outcome, for history; written only by the instance running the turn) and
 * `grants:<session>` (tools a person allowed for the rest of the thread). Who decides first is
 * settled by an atomic claim, never by a read-then-write.
 */
import type Keyv from 'keyv';
import type { SessionId } from '../domain.js';
import type { StoreCalls } from '../infra/store-calls.js';

export type ApprovalOutcome =
  /** Approved for this one use. */
  | 'approved'
  /** Approved, and the tool is allowed for the rest of this thread. */
  | 'always'
  /** Allowed without a card: an earlier "always in this thread". */
  | 'granted'
  | 'denied'
  /** Nobody decided within APPROVAL_TIMEOUT_SECONDS. */
  | 'timeout'
  /** The turn that asked is gone (a restart, a crash, its thread forgotten): nothing runs. */
  | 'expired';

export interface ApprovalDecision {
  outcome: ApprovalOutcome;
  /** `platform` user id of who decided; absent for timeouts and expiries. */
  by?: string;
  at: string;
  /** Why a request expired, in words. */
  reason?: string;
}

export interface ApprovalRequest {
  id: string;
  sessionId: SessionId;
  platform: string;
  workspace: string;
  channel: string;
  thread: string;
  tool: string;
  /** Exactly what the tool would run (the command, path or URL); masked only in the record for history. */
  detail: string;
  intention?: string;
  /** sha256 of the request's full arguments. */
  digest: string;
  /** Who started the turn. */
  requestedBy: string;
  /** Who besides admins may decide (the thread's starter); older requests: `requestedBy`. */
  decider?: string;
  /** APPROVERS=admins when it was asked: only admins decide. */
  approvers?: 'admins';
  /** The process whose turn waits for the decision. */
  instance: string;
  createdAt: string;
  expiresAt: string;
  /** Where the card was posted (adapter-specific: Slack channel+ts, Discord channel+message). */
  card?: Record<string, string>;
  decision?: ApprovalDecision;
  /** Set by the waiting turn once it acted on the decision. */
  appliedAt?: string;
}

/** One line of a thread's approval record. */
export interface ApprovalEntry {
  id: string;
  at: string;
  tool: string;
  /** Masked and shortened (for history). */
  detail: string;
  digest: string;
  requestedBy: string;
  /** Absent while the request is pending. */
  decision?: ApprovalDecision;
}

export interface Grant {
  by: string;
  at: string;
}

export interface ApprovalStore {
  save(request: ApprovalRequest): Promise<void>;
  /** The request, with where its card is once that is known. */
  get(id: string): Promise<ApprovalRequest | undefined>;
  /** Keeps where the card is, apart from the request, so it never overwrites a decision written meanwhile. */
  saveCard(id: string, card: Record<string, string>): Promise<void>;
  /** True for the one caller that may decide request `id` (first click, or the timeout). */
  claimDecision(id: string): Promise<boolean>;
  /** True for the one caller that acts on the decision (the waiting turn), or declares it expired. */
  claimApplied(id: string): Promise<boolean>;
  /** Adds or replaces (by id) an entry of the session's record. */
  record(sessionId: SessionId, entry: ApprovalEntry): Promise<void>;
  log(sessionId: SessionId): Promise<ApprovalEntry[]>;
  grants(sessionId: SessionId): Promise<Record<string, Grant>>;
  grant(sessionId: SessionId, tool: string, grant: Grant): Promise<void>;
  /** Forgetting a thread forgets its approvals and grants too. */
  forget(sessionId: SessionId): Promise<void>;
}

/** Requests outlive any approval timeout by far: a late click still finds what it was for. */
export const REQUEST_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** A thread's record keeps this many entries (the newest). */
export const LOG_KEPT = 200;

export class KeyvApprovalStore implements ApprovalStore {
  constructor(
    private readonly keyv: Keyv<unknown>,
    private readonly calls: StoreCalls,
    private readonly claim: (key: string, ttlMs: number) => Promise<boolean>,
  ) {}

  async save(request: ApprovalRequest): Promise<void> {
    await this.calls.run('write', () => this.keyv.set(`req:${request.id}`, request, REQUEST_TTL_MS));
  }

  async get(id: string): Promise<ApprovalRequest | undefined> {
    const [request, card] = (await this.calls.run('read', () => this.keyv.getMany([`req:${id}`, `card:${id}`]))) as [ApprovalRequest | undefined, Record<string, string> | undefined];
    if (!request) return undefined;
    return request.card || !card ? request : { ...request, card };
  }

  async saveCard(id: string, card: Record<string, string>): Promise<void> {
    await this.calls.run('write', () => this.keyv.set(`card:${id}`, card, REQUEST_TTL_MS));
  }

  claimDecision(id: string): Promise<boolean> {
    return this.claim(`approval-decided:${id}`, REQUEST_TTL_MS);
  }

  claimApplied(id: string): Promise<boolean> {
    return this.claim(`approval-applied:${id}`, REQUEST_TTL_MS);
  }

  async record(sessionId: SessionId, entry: ApprovalEntry): Promise<void> {
    const log = await this.log(sessionId);
    const i = log.findIndex((e) => e.id === entry.id);
    if (i >= 0) log[i] = entry;
    else log.push(entry);
    await this.calls.run('write', () => this.keyv.set(`log:${sessionId}`, log.slice(-LOG_KEPT)));
  }

  async log(sessionId: SessionId): Promise<ApprovalEntry[]> {
    return ((await this.calls.run('read', () => this.keyv.get(`log:${sessionId}`))) as ApprovalEntry[] | undefined) ?? [];
  }

  async grants(sessionId: SessionId): Promise<Record<string, Grant>> {
    return ((await this.calls.run('read', () => this.keyv.get(`grants:${sessionId}`))) as Record<string, Grant> | undefined) ?? {};
  }

  async grant(sessionId: SessionId, tool: string, grant: Grant): Promise<void> {
    const grants = await this.grants(sessionId);
    await this.calls.run('write', () => this.keyv.set(`grants:${sessionId}`, { ...grants, [tool]: grant }));
  }

  async forget(sessionId: SessionId): Promise<void> {
    await this.calls.run('delete', () => Promise.all([this.keyv.delete(`log:${sessionId}`), this.keyv.delete(`grants:${sessionId}`)]));
  }
}
