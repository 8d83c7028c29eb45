/**
 * Tool approval in the thread. When the agent wants a tool that needs a person's yes, the desk
 * posts a card in the thread (through the platform's `ApprovalCards`) showing exactly what would
 * run (see exact-text.ts), waits for whoever may decide (APPROVERS: the thread's starter or an
 * admin, or admins only), and answers the agent: approve once, always (that tool, for the
 * messages of whoever granted it, in this thread), or deny. Fail closed: no decision within the
 * timeout, a turn that ends, a bot that restarts: all deny, and the card says so.
 *
 * Requests live in the store, so a click reaching another instance (or this one after a restart)
 * is answered truthfully. Two atomic claims settle every race: `decided` (the first click, or the
 * timeout) and `applied` (the waiting turn acts on the decision, or whoever finds that turn gone
 * declares the request expired). A click is never lost silently and never approves anything but
 * the request it names.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../infra/log.js';
import type { SessionId, ThreadRef } from '../../domain.js';
import type { ToolAsk, ToolVerdict } from '../../agent/agent.js';
import type { ApprovalDecision, ApprovalEntry, ApprovalOutcome, ApprovalRequest, ApprovalStore } from '../../store/approvals.js';
import type { TurnJournal } from '../../store/journal.js';
import { visible } from '../exact-text.js';
import { maskSecrets } from '../redact.js';
import { personOf, type AuditTrail } from '../audit.js';
import { clipText, deciderOf, decisionLine, displayDetail } from './card.js';

export type { ApprovalRequest, ApprovalDecision, ApprovalOutcome, ApprovalEntry } from '../../store/approvals.js';

/** How a platform shows approval cards. */
export interface ApprovalCards {
  /**
   * Posts the card in the request's thread, with `approvalCard(request).attachment` as a file when
   * there is one (rejects if it cannot be attached: nobody decides on what they cannot see).
   * Returns where the card is (kept with the request).
   */
  post(request: ApprovalRequest): Promise<Record<string, string> | undefined>;
  /** Shows the request's decision on its card, without buttons. */
  update(request: ApprovalRequest): Promise<void>;
}

/** The three buttons. */
export type ApprovalChoice = 'once' | 'always' | 'deny';

/** What the person who clicked is told privately; `ok` clicks need no word (the card changes). */
export type ClickAnswer = { ok: true } | { ok: false; text: string };

export interface ApprovalDeskOptions {
  store: ApprovalStore;
  journal: Pick<TurnJournal, 'instance' | 'keepAlive' | 'isAlive'>;
  timeoutMs: number;
  /** `platform:userId` of bot admins: they may decide any request. */
  admins: readonly string[];
  /** APPROVERS: who besides admins may decide (`starter`: the thread's starter; `admins`: nobody else). */
  approvers?: 'starter' | 'admins';
  logger: Logger;
  now?: () => Date;
  /** How often a waiting turn looks for a decision made on another instance. */
  pollMs?: number;
  /** How long a click on another instance's request waits for that turn to take it. */
  ackWaitMs?: number;
  /** Told how each request ended (metrics). */
  onOutcome?: (tool: string, outcome: string) => void;
  /** Where each decision is recorded: who decided what on which request. */
  audit?: AuditTrail;
}

interface Waiter {
  decided(decision: ApprovalDecision): void;
}

export class ApprovalDesk {
  private readonly cards = new Map<string, ApprovalCards>();
  private readonly waiters = new Map<string, Waiter>();
  /** Pending requests by session, for "your message waits behind an approval". */
  private readonly pendingBySession = new Map<SessionId, Set<string>>();
  private readonly stopped = new AbortController();
  private readonly admins: ReadonlySet<string>;
  private readonly now: () => Date;
  private readonly pollMs: number;
  private readonly ackWaitMs: number;

  constructor(private readonly options: ApprovalDeskOptions) {
    this.admins = new Set(options.admins);
    this.now = options.now ?? (() => new Date());
    this.pollMs = options.pollMs ?? 1000;
    this.ackWaitMs = options.ackWaitMs ?? 5000;
  }

  useCards(platform: string, cards: ApprovalCards): void {
    this.cards.set(platform, cards);
  }

  /** Whether a turn of this session waits for a person here. */
  waiting(id: SessionId): boolean {
    return (this.pendingBySession.get(id)?.size ?? 0) > 0;
  }

  /** Shutdown: every request waiting here expires now (denied), so the turns can finish. */
  stop(): void {
    this.stopped.abort();
  }

  log(id: SessionId): Promise<ApprovalEntry[]> {
    return this.options.store.log(id);
  }

  forget(id: SessionId): Promise<void> {
    return this.options.store.forget(id);
  }

  /**
   * The agent asks, in the turn `thread.user` started; `starter` started the thread (with
   * APPROVERS=starter, they decide). Never rejects: any failure denies.
   */
  async ask(thread: ThreadRef, sessionId: SessionId, ask: ToolAsk, signal: AbortSignal, starter: string = thread.user): Promise<ToolVerdict> {
    const log = this.options.logger.child({ sessionId, tool: ask.tool });
    try {
      return await this.askOrThrow(thread, sessionId, ask, signal, starter, log);
    } catch (err) {
      log.warn({ err: String(err) }, 'tool approval could not be asked; denied');
      return { approved: false, reason: `The request to use ${ask.tool} could not be shown to anyone, so it was not run.` };
    }
  }

  private async askOrThrow(thread: ThreadRef, sessionId: SessionId, ask: ToolAsk, signal: AbortSignal, starter: string, log: Logger): Promise<ToolVerdict> {
    const { store } = this.options;
    const at = this.now().toISOString();
    const grant = grantFor(await store.grants(sessionId), ask.tool, thread.user);
    const request: ApprovalRequest = {
      id: randomUUID(),
      sessionId,
      platform: thread.platform,
      workspace: thread.workspace,
      channel: thread.channel,
      thread: thread.thread,
      tool: ask.tool,
      // Exactly what would run: the card shows it as it is (history keeps it masked).
      detail: ask.detail,
      ...(ask.intention ? { intention: clipText(visible(maskSecrets(ask.intention)), 300) } : {}),
      digest: ask.digest,
      requestedBy: thread.user,
      ...(this.options.approvers === 'admins' ? { approvers: 'admins' as const } : { decider: starter }),
      instance: this.options.journal.instance,
      createdAt: at,
      expiresAt: new Date(this.now().getTime() + this.options.timeoutMs).toISOString(),
    };
    if (grant) {
      const decision: ApprovalDecision = { outcome: 'granted', by: grant.by, at };
      await store.record(sessionId, entryOf(request, decision));
      this.told(request, decision);
      log.info({ grantedBy: grant.by }, 'tool allowed by an earlier "always in this thread"');
      return { approved: true };
    }
    const cards = this.cards.get(thread.platform);
    if (!cards || this.stopped.signal.aborted || signal.aborted) {
      const decision: ApprovalDecision = { outcome: 'expired', at, reason: cards ? 'the turn ended' : 'approval cards cannot be shown here' };
      await store.record(sessionId, entryOf(request, decision));
      this.told(request, decision);
      return verdictOf(request, decision, this.options.timeoutMs);
    }
    await this.options.journal.keepAlive();
    await store.save(request);
    await store.record(sessionId, entryOf(request, undefined));
    const pending = this.pendingBySession.get(sessionId) ?? new Set<string>();
    pending.add(request.id);
    this.pendingBySession.set(sessionId, pending);
    try {
      // Listening before the card shows: a click can come as soon as it does.
      const decided = this.waitFor(request, signal);
      try {
        request.card = await cards.post(request);
        if (request.card) await store.saveCard(request.id, request.card);
        log.info({ request: request.id }, 'tool approval asked in the thread');
      } catch (err) {
        log.warn({ err: String(err), request: request.id }, 'could not post the approval card; denied');
        this.waiters.get(request.id)?.decided({ outcome: 'expired', at: this.now().toISOString(), reason: 'its card could not be shown' });
      }
      return await this.apply(request, await decided, cards, log);
    } finally {
      pending.delete(request.id);
      if (pending.size === 0) this.pendingBySession.delete(sessionId);
    }
  }

  /** The decision for `request`: a click (here or elsewhere), the timeout, or the turn's end. */
  private waitFor(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision> {
    const { store } = this.options;
    return new Promise<ApprovalDecision>((resolve) => {
      let done = false;
      const finish = (d: ApprovalDecision) => {
        if (done) return;
        done = true;
        clearInterval(poll);
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.stopped.signal.removeEventListener('abort', onStop);
        this.waiters.delete(request.id);
        resolve(d);
      };
      const look = () =>
        void store
          .get(request.id)
          .then((r) => r?.decision && finish(r.decision))
          .catch(() => undefined);
      // The timeout and the turn's end decide only if no click did first.
      const decideSelf = (outcome: ApprovalOutcome, reason?: string) =>
        void store
          .claimDecision(request.id)
          .then((won) => (won ? finish({ outcome, at: this.now().toISOString(), ...(reason ? { reason } : {}) }) : look()))
          .catch(() => finish({ outcome: 'expired', at: this.now().toISOString(), reason: 'the store could not be reached' }));
      const onAbort = () => decideSelf('expired', 'the turn ended before it was decided');
      const onStop = () => decideSelf('expired', 'the bot restarted before it was decided');
      this.waiters.set(request.id, { decided: finish });
      const poll = setInterval(look, this.pollMs);
      const timer = setTimeout(() => decideSelf('timeout'), this.options.timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.stopped.signal.addEventListener('abort', onStop, { once: true });
      if (signal.aborted) onAbort();
      else if (this.stopped.signal.aborted) onStop();
    });
  }

  /** Acts on a decision, unless someone already found this turn gone and expired the request. */
  private async apply(request: ApprovalRequest, decision: ApprovalDecision, cards: ApprovalCards, log: Logger): Promise<ToolVerdict> {
    const { store } = this.options;
    let final = decision;
    if (!(await store.claimApplied(request.id))) {
      final = (await store.get(request.id))?.decision ?? { outcome: 'expired', at: this.now().toISOString(), reason: 'it was declared expired' };
      if (final.outcome !== 'expired') final = { outcome: 'expired', at: this.now().toISOString(), reason: 'it was declared expired' };
      log.warn({ request: request.id }, 'tool approval arrived after its request was declared expired; denied');
      return verdictOf(request, final, this.options.timeoutMs);
    }
    const decided: ApprovalRequest = { ...request, decision: final };
    await store.save({ ...decided, appliedAt: this.now().toISOString() });
    await store.record(request.sessionId, entryOf(request, final));
    this.told(request, final);
    // "Always" covers the tool for the messages of whoever granted it; others in the thread still get a card.
    if (final.outcome === 'always' && final.by) await store.grant(request.sessionId, grantKey(request.tool, final.by), { by: final.by, at: final.at });
    log.info({ request: request.id, outcome: final.outcome, by: final.by }, 'tool approval decided');
    await cards.update(decided).catch((err: unknown) => log.warn({ err: String(err), request: request.id }, 'could not update the approval card'));
    return verdictOf(request, final, this.options.timeoutMs);
  }

  /**
   * After a crash: requests of this session still waiting for a process that is gone (`gone`, or
   * any whose heartbeat stopped) are expired now, and their cards say so (rather than offering
   * buttons nobody can use).
   */
  async expireAbandoned(sessionId: SessionId, gone: string): Promise<Abandoned> {
    const { store, logger } = this.options;
    let expired = 0;
    for (const entry of await store.log(sessionId)) {
      if (entry.decision) continue;
      const request = await store.get(entry.id);
      if (!request || request.decision || this.waiters.has(request.id)) continue;
      if (request.instance !== gone && (await this.options.journal.isAlive(request.instance))) continue;
      if (!(await store.claimDecision(request.id)) || !(await store.claimApplied(request.id))) continue;
      await this.expireOrphan(request);
      expired++;
    }
    if (expired) logger.info({ sessionId, expired }, 'expired the tool approvals a stopped process left waiting');
    return { expired };
  }

  /**
   * A click on a card. `clicker` is the person and the thread the card was clicked in: a request
   * of another thread, channel or workspace is refused (a forged or replayed button) and logged.
   * `clicked` is where the clicked card is, as the platform says (used only to update that card).
   */
  async decide(clicker: ThreadRef, requestId: string, choice: ApprovalChoice, clicked?: Record<string, string>): Promise<ClickAnswer> {
    const { store, logger } = this.options;
    const request = /^[0-9a-f-]{36}$/.test(requestId) ? await store.get(requestId) : undefined;
    const where = { platform: clicker.platform, workspace: clicker.workspace, channel: clicker.channel, thread: clicker.thread, user: clicker.user };
    if (!request) {
      logger.warn({ ...where, request: requestId.slice(0, 80) }, 'approval click refused: no such request (forged, or long gone)');
      return { ok: false, text: 'That approval request is not valid (anymore).' };
    }
    if (request.platform !== clicker.platform || request.workspace !== clicker.workspace || request.channel !== clicker.channel || request.thread !== clicker.thread) {
      logger.warn({ ...where, request: request.id, requestThread: `${request.channel}/${request.thread}` }, 'approval click refused: the button is not from the thread it names (forged or replayed)');
      return { ok: false, text: 'That button is not valid here.' };
    }
    if (request.decision) return { ok: false, text: `Already decided: ${decisionLine(request, (u) => u)}.` };
    if (!this.admins.has(`${clicker.platform}:${clicker.user}`) && clicker.user !== deciderOf(request)) {
      logger.info({ ...where, request: request.id }, 'approval click refused: not the one who may decide, nor an admin');
      const who = deciderOf(request);
      return { ok: false, text: who ? `Not yours to approve: only ${who} (who started this thread) or a bot admin can decide.` : 'Not yours to approve: only a bot admin can decide.' };
    }
    if (!(await store.claimDecision(request.id))) {
      const now = await store.get(request.id);
      return { ok: false, text: now?.decision ? `Already decided: ${decisionLine(now, (u) => u)}.` : 'Someone else is deciding this right now.' };
    }
    const decision: ApprovalDecision = { outcome: choice === 'once' ? 'approved' : choice === 'always' ? 'always' : 'denied', by: clicker.user, at: this.now().toISOString() };
    await store.save({ ...request, decision });
    const waiter = this.waiters.get(request.id);
    if (waiter) {
      waiter.decided(decision);
      return { ok: true };
    }
    // The turn that asked runs elsewhere (or ran here before a restart): give it a moment to take the decision.
    if (await this.options.journal.isAlive(request.instance).catch(() => false)) {
      const until = Date.now() + this.ackWaitMs;
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, Math.min(this.pollMs, 250)));
        if ((await store.get(request.id))?.appliedAt) return { ok: true };
      }
    }
    if (!(await store.claimApplied(request.id))) return { ok: true };
    // A process killed right after posting the card may not have kept where it is: the click says.
    await this.expireOrphan({ ...request, card: request.card ?? clicked });
    logger.info({ ...where, request: request.id }, 'approval click on a request whose turn is gone: expired, nothing ran');
    return { ok: false, text: '⌛ That request expired: I was restarted before it was decided, so nothing ran. Ask me again if you still need it.' };
  }

  /** How a request ended, told to the metrics and the audit trail (a person, or `system` for the clock and restarts). */
  private told(request: ApprovalRequest, decision: ApprovalDecision): void {
    this.options.onOutcome?.(request.tool, decision.outcome);
    this.options.audit?.record({
      kind: 'tool.decision',
      actor: decision.by ? personOf({ platform: request.platform, user: decision.by }) : 'system',
      session: request.sessionId,
      detail: { tool: request.tool, outcome: decision.outcome, reason: decision.reason, requestedBy: personOf({ platform: request.platform, user: request.requestedBy }), detail: request.detail },
    });
  }

  /** A request whose turn is gone (both `applied` and `decided` claimed by the caller): expired, recorded, its card says so. */
  private async expireOrphan(request: ApprovalRequest): Promise<void> {
    const { store, logger } = this.options;
    const expired: ApprovalRequest = { ...request, decision: { outcome: 'expired', at: this.now().toISOString(), reason: 'the bot restarted before it was decided' } };
    await store.save(expired);
    await store.record(request.sessionId, entryOf(request, expired.decision));
    this.told(request, expired.decision!);
    await this.cards.get(request.platform)?.update(expired).catch((err: unknown) => logger.warn({ err: String(err), request: request.id }, 'could not update the approval card'));
  }
}

export interface Abandoned {
  /** How many requests were expired. */
  expired: number;
}

/** Grants are kept per tool and person (`tool person`); older records per tool, with who granted it. */
function grantKey(tool: string, user: string): string {
  return `${tool} ${user}`;
}

function grantFor(grants: Record<string, { by: string; at: string }>, tool: string, user: string): { by: string; at: string } | undefined {
  return grants[grantKey(tool, user)] ?? (grants[tool]?.by === user ? grants[tool] : undefined);
}

function entryOf(request: ApprovalRequest, decision: ApprovalDecision | undefined): ApprovalEntry {
  return {
    id: request.id,
    at: request.createdAt,
    tool: request.tool,
    // The record is for history: secrets masked, long text shortened.
    detail: displayDetail(request.detail),
    digest: request.digest,
    requestedBy: request.requestedBy,
    ...(decision ? { decision } : {}),
  };
}

function verdictOf(request: ApprovalRequest, decision: ApprovalDecision, timeoutMs: number): ToolVerdict {
  switch (decision.outcome) {
    case 'approved':
    case 'always':
    case 'granted':
      return { approved: true };
    case 'denied':
      return { approved: false, reason: `The user denied permission to use ${request.tool}.` };
    case 'timeout':
      return { approved: false, reason: `Nobody approved using ${request.tool} within ${minutes(timeoutMs)}, so it was not run.` };
    case 'expired':
      return { approved: false, reason: `The request to use ${request.tool} expired (${decision.reason ?? 'no decision'}), so it was not run.` };
  }
}

function minutes(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} seconds` : `${Math.round(s / 60)} minutes`;
}

