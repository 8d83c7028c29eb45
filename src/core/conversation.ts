/**
 * The conversation core: the same for every platform. A message in a thread becomes either a
 * command or one turn of that thread's Copilot session. Turns of one thread run one at a time
 * in arrival order; different threads run in parallel. Every failure ends in a reply.
 */
import type { Logger } from '../infra/log.js';
import type { Agent, TurnProgress } from '../agent/agent.js';
import type { ThreadRecord, ThreadRegistry } from '../store/registry.js';
import { COMMAND_HELP, parseInput, type Command } from './commands/parse.js';
import { AccessGate, type AccessOptions, type AdmitHow, type Admission } from './access.js';
import { historyPage } from './commands/history.js';
import { forgetThread, mayForget } from './commands/forget.js';
import { NO_AUDIT, personOf, type AuditTrail } from './audit.js';
import type { UsageMeter } from './usage.js';
import { sessionList, type VisibilityCheck } from './commands/sessions.js';
import type { ApprovalCards, ApprovalChoice, ApprovalDesk, ClickAnswer } from './approvals/desk.js';
import { TranscriptCache } from './transcripts.js';
import type { Metrics, TurnOutcome } from '../infra/metrics.js';
import { annotate, inSpan } from '../infra/tracing.js';
import { PLAIN_NAMES, type ThreadNames } from './listing.js';
import { KeyedQueue, NO_RESERVATION, type Reservation } from './queue.js';
import { DEFAULT_FILE_LIMITS, type FileLimits, type GatheredFiles } from './attachments.js';
import { failureOf } from './failures.js';
import type { Reply } from './reply.js';
import { Accounts, type Credentials, type SignIn, type Tell } from './identity/accounts.js';
import { AccountRefusedError, TurnFailedError } from '../agent/agent.js';
import { DEFAULT_CONTEXT_BUDGET, withAuthor, withContext, withQuoted, type ContextBudget, type ContextMessage, type ThreadContext } from './thread-context.js';
import { legacySessionIdFor, sessionIdFor, ThreadIdError, type SessionId, type ThreadRef } from './thread.js';
import { choose, effectLine } from './commands/choose.js';
import { repoCommand } from './commands/repo.js';
import { repoInstructions, repoLine, type RepoSettings } from './repos.js';
import { agentsOffered, inEffect, profileFor, sessionProfile, type Offer, type ProfileSource } from './profiles.js';
import { NO_PROFILES, type ChannelProfiles, type SessionProfile } from '../domain.js';
import { addSchedule, listSchedules, stopSchedule, type ScheduleDeps, type ScheduleSettings } from './schedules/commands.js';

/**
 * Which of `records` `asker` could see on the platform itself (members of a private channel, of a
 * private thread). Rejects when it cannot tell: `sessions` then lists nothing rather than too much.
 */
export type { VisibilityCheck } from './commands/sessions.js';

export interface ConversationOptions {
  agent: Agent;
  registry: ThreadRegistry;
  logger: Logger;
  turnTimeoutMs: number;
  /** `platform:userId` of people who may forget any thread. */
  admins: readonly string[];
  historyPageSize?: number;
  now?: () => Date;
  /** Absent: everyone may talk to the bot, with no limits. */
  access?: AccessOptions;
  /** Asks people in the thread before tools of COPILOT_TOOLS_APPROVAL run. Absent: such tools are denied. */
  approvals?: ApprovalDesk;
  /** Counts turns, their latency and their wait in the thread's line. */
  metrics?: Pick<Metrics, 'turn' | 'waited'>;
  /** THREAD_CONTEXT_MESSAGES / THREAD_CONTEXT_CHARS (each line of context is cut to the latter). */
  contextBudget?: ContextBudget;
  /** FILES_MAX_MB / FILES_PER_MESSAGE. */
  fileLimits?: FileLimits;
  /** Where tool requests, forgets and refusals are recorded (absent: nowhere). */
  audit?: AuditTrail;
  /** Counts each person's usage and takes from their daily budgets (absent: nothing counted, no budgets). */
  usage?: UsageMeter;
  /** COPILOT_AUTH=per-user: people's linked GitHub accounts; each turn runs as its author. Absent: one shared account. */
  accounts?: Accounts;
  /** CHANNEL_CONFIG and AGENTS_DIR as loaded now (a reload replaces them). Absent: none. */
  profiles?: ProfileSource;
  /** COPILOT_MODEL and COPILOT_MODELS: what `model NAME` may switch a thread to. */
  models?: readonly string[];
  /** COPILOT_MODEL (undefined: the runtime's default). */
  defaultModel?: string;
  /** REPOS_ALLOWED, REPOS_URL and REPO_TOKEN: which repositories `repo …` may bind, and with what. Absent: none. */
  repos?: RepoSettings & { token?: string };
  /** Scheduled prompts (SCHEDULES_PER_USER, SCHEDULE_TIMEZONE) and where they are kept. Absent: none. */
  schedules?: ScheduleSettings;
}

/** A person's own time zone as their platform knows it (Slack's profile); undefined where it does not say. */
export type TimeZoneLookup = (thread: ThreadRef) => Promise<string | undefined>;

/** What login, logout and whoami say where everyone runs on one account. */
const SHARED_ACCOUNT = 'This bot runs everyone’s turns on one shared Copilot account (COPILOT_AUTH=shared): there is no GitHub account of yours to connect.';

export interface MessageOptions {
  /** Streams the answer as it is written. */
  onDelta?: (text: string) => void;
  /** Tools starting and ending, messages of the answer complete: for a status line. */
  onProgress?: (progress: TurnProgress) => void;
  /** True when the text came from a slash command: invalid input is then an error, not a prompt. */
  explicit?: boolean;
  /** The thread's place in line, taken when the message arrived (`reserve`); given up if unused. */
  reservation?: Reservation;
  /** The adapter already asked `admit` (before showing anything): not asked again. */
  admitted?: boolean;
  /** The platform's id of the message: the thread's context for the next turn starts after it. */
  messageId?: string;
  /** Messages the person's message brings along (a share, a forward, the message replied to). */
  quoted?: readonly ContextMessage[];
  /**
   * What the thread said that the session has not heard, asked in the thread's line: `since` is
   * the last message the session heard, undefined before its first turn (see `core/inbound.ts`).
   */
  context?: (since: string | undefined) => Promise<ThreadContext | undefined>;
  /** The message's files, being downloaded (see `core/attachments.ts`). */
  files?: Promise<GatheredFiles>;
  /** How to reach the person privately later (a sign-in's outcome, for `login`). */
  tell?: Tell;
}

export const DEFAULT_HISTORY_PAGE_SIZE = 15;

export class Conversation {
  readonly queue = new KeyedQueue<SessionId>();
  /** Votes on one thread are counted one at a time (read, add, write), not in the turn's line. */
  private readonly votes = new KeyedQueue<SessionId>();
  /** A person's schedules are made one at a time (counted against SCHEDULES_PER_USER, then added). */
  private readonly scheduling = new KeyedQueue<string>();
  private readonly transcripts: TranscriptCache;
  private readonly admins: ReadonlySet<string>;
  private readonly now: () => Date;
  private readonly pageSize: number;
  private readonly visibility = new Map<string, VisibilityCheck>();
  private readonly names = new Map<string, ThreadNames>();
  private readonly zones = new Map<string, TimeZoneLookup>();
  /** Which session a thread with a legacy id acts on: the legacy one, or its own (decided once per process). */
  private readonly legacy = new Map<SessionId, SessionId>();
  private readonly gate: AccessGate;
  private readonly audit: AuditTrail;
  /** Threads whose registry record this process wrote: their later turns update it alongside the turn. */
  private readonly recorded = new Set<SessionId>();

  constructor(private readonly options: ConversationOptions) {
    this.admins = new Set(options.admins);
    this.now = options.now ?? (() => new Date());
    this.pageSize = options.historyPageSize ?? DEFAULT_HISTORY_PAGE_SIZE;
    this.transcripts = new TranscriptCache(() => this.now().getTime());
    this.audit = options.audit ?? NO_AUDIT;
    this.gate = new AccessGate(options.access, options.logger, this.audit, options.usage);
  }

  /**
   * Takes the thread's next place in line. Adapters call it when a message arrives, before any
   * await (de-duplication, registry reads), so a thread's turns run in arrival order however
   * those awaits finish; the place goes to `handleMessage` or is cancelled.
   */
  reserve(thread: ThreadRef): Reservation {
    const id = this.idOf(thread);
    return id ? this.queue.reserve(id) : NO_RESERVATION;
  }

  /** An adapter says how its platform decides who may see a thread; without one, workspace members see all but others' DMs. */
  useVisibility(platform: string, check: VisibilityCheck): void {
    this.visibility.set(platform, check);
  }

  /** An adapter says how its platform tells a person's time zone (for `schedule`); without one, SCHEDULE_TIMEZONE. */
  useTimeZones(platform: string, lookup: TimeZoneLookup): void {
    this.zones.set(platform, lookup);
  }

  /** An adapter says how its platform names channels and people in lists (mentions that do not ping, links). */
  useThreadNames(platform: string, names: ThreadNames): void {
    this.names.set(platform, names);
  }

  /** How much of a thread a turn is given (THREAD_CONTEXT_*). */
  get contextBudget(): ContextBudget {
    return this.options.contextBudget ?? DEFAULT_CONTEXT_BUDGET;
  }

  /** How many files, how big, a message may bring (FILES_*). */
  get fileLimits(): FileLimits {
    return this.options.fileLimits ?? DEFAULT_FILE_LIMITS;
  }

  /** Lists read in the platform's terms: see `threadLine`. */
  threadNames(platform: string): ThreadNames {
    return this.names.get(platform) ?? PLAIN_NAMES;
  }

  /** An adapter says how its platform shows approval cards (and so that tools can be approved there). */
  useApprovalCards(platform: string, cards: ApprovalCards): void {
    this.options.approvals?.useCards(platform, cards);
  }

  /** Whether this thread's running turn waits for someone to approve a tool (a new message waits behind it). */
  awaitingApproval(thread: ThreadRef): boolean {
    const id = this.idOf(thread);
    return id !== undefined && this.options.approvals?.waiting(id) === true;
  }

  /**
   * A click on an approval card, by `clicker.user`, in the thread `clicker` names (where the card
   * was). The answer is for the clicker only; the card itself shows the decision.
   */
  async decideApproval(clicker: ThreadRef, requestId: string, choice: ApprovalChoice, clicked?: Record<string, string>): Promise<ClickAnswer> {
    const desk = this.options.approvals;
    if (!desk) return { ok: false, text: 'Tool approvals are not enabled on this bot.' };
    // Someone the bot does not answer here (ALLOWED_*, the channel profile's people) decides nothing here either.
    const refusal = this.gate.refusal(clicker);
    if (refusal) return { ok: false, text: refusal.text };
    try {
      return await desk.decide(clicker, requestId, choice, clicked);
    } catch (err) {
      return { ok: false, text: failureOf(err, this.options.logger.child({ approval: requestId.slice(0, 40) })).reply.text };
    }
  }

  /** After a crash: the session's approval cards left waiting say they expired (see `ApprovalDesk.expireAbandoned`). Never rejects. */
  async expireAbandonedApprovals(sessionId: string, goneInstance: string): Promise<void> {
    await this.options.approvals
      ?.expireAbandoned(sessionId as SessionId, goneInstance)
      .catch((err: unknown) => this.options.logger.warn({ err: String(err), sessionId }, 'could not expire abandoned tool approvals'));
  }

  /** A 👍/👎 on one of the thread's answers, from `thread.user`; the reply is for them only. Never rejects. */
  async recordFeedback(thread: ThreadRef, vote: 'up' | 'down'): Promise<Reply> {
    const refusal = this.gate.refusal(thread);
    if (refusal) return refusal;
    const id = this.idOf(thread);
    if (!id) return { kind: 'notice', text: 'That answer is not from a thread I keep.' };
    try {
      const record = await this.votes.run(id, () => this.options.registry.recordFeedback(id, vote, thread.user, this.now()));
      if (!record) return { kind: 'notice', text: 'This thread has no Copilot session any more, so there is nothing to rate.' };
      this.options.logger.info({ sessionId: id, vote, by: `${thread.platform}:${thread.user}` }, 'feedback recorded');
      return { kind: 'notice', text: vote === 'up' ? 'Thanks for the 👍.' : 'Thanks for the 👎. Say in the thread what was wrong and I will try again.' };
    } catch (err) {
      return failureOf(err, this.options.logger.child({ sessionId: id })).reply;
    }
  }

  /** Whether a turn or command of this thread is queued or running in this process. */
  active(thread: ThreadRef): boolean {
    const id = this.idOf(thread);
    return id !== undefined && this.queue.pending(id) > 0;
  }

  /**
   * May this message go on? Adapters ask before they show anything (a placeholder, typing): someone
   * not allowed here hears it once per thread, privately, and after that nothing; a prompt over
   * MAX_PROMPT_CHARS or past the sender's budget per minute gets a private reply. No model call,
   * no session, either way.
   */
  admit(thread: ThreadRef, text: string, options: AdmitHow = {}): Promise<Admission> {
    // Never rejects: a store that cannot be asked (the rate limit, the once-per-thread refusal) is
    // said in the thread like any other failure, not swallowed.
    return this.gate.admit(thread, text, options).catch((err: unknown) => ({ ok: false, reply: failureOf(err, this.options.logger).reply }));
  }

  /** A message addressed to the bot in a thread (mention already stripped by the adapter). */
  async handleMessage(thread: ThreadRef, text: string, options: MessageOptions = {}): Promise<Reply> {
    if (!options.admitted) {
      const admission = await this.admit(thread, text, { explicit: options.explicit, once: false, carries: (options.quoted?.length ?? 0) > 0 || options.files !== undefined });
      if (!admission.ok) {
        options.reservation?.cancel();
        return admission.reply ?? { kind: 'refusal', text: 'Sorry, I cannot take that.' };
      }
    }
    const parsed = parseInput(text, { explicit: options.explicit });
    if (parsed.kind !== 'prompt' || (!parsed.text && !options.quoted?.length && !options.files)) options.reservation?.cancel();
    switch (parsed.kind) {
      case 'command':
        return this.runCommand(thread, parsed.command, options.tell);
      case 'invalid':
        return { kind: 'notice', text: parsed.message };
      case 'prompt':
        if (!parsed.text && !options.quoted?.length && !options.files) return { kind: 'notice', text: 'Ask me something, or say `help`.' };
        return this.turn(thread, parsed.text, options);
    }
  }

  /**
   * Per-user mode: whether the person's turns can run (their GitHub account is linked and works).
   * Undefined when they can (or in shared mode); otherwise the sign-in started for them, whose
   * first words the caller shows, the rest told through `tell`.
   */
  async signIn(thread: ThreadRef, tell: Tell): Promise<SignIn | undefined> {
    const accounts = this.options.accounts;
    if (!accounts) return undefined;
    const check = await accounts.credentials(thread);
    if (check.ok) return undefined;
    const signIn = accounts.connect(thread, tell);
    if (!check.reconnect) return signIn;
    // Why they are asked again comes first.
    return { ...signIn, said: signIn.said.then((prompt) => ({ ...prompt, text: `${check.reply.text}\n${prompt.text}` })) };
  }

  /** Whether the person may use the bot here at all (ALLOWED_*), asked again of a message answered later. */
  accessRefusal(thread: ThreadRef): Reply | undefined {
    return this.gate.refusal(thread);
  }

  /** `tell`: how to reach the person privately later (a sign-in's outcome); absent, they are not told. */
  async runCommand(thread: ThreadRef, command: Command, tell: Tell = async () => undefined): Promise<Reply> {
    // Commands (slash, buttons) are asked for explicitly and answered privately: refused every time.
    const refusal = this.gate.refusal(thread);
    if (refusal) return refusal;
    try {
      return await this.command(thread, command, tell);
    } catch (err) {
      return failureOf(err, this.options.logger.child({ command: command.kind })).reply;
    }
  }

  private async command(thread: ThreadRef, command: Command, tell: Tell): Promise<Reply> {
    const accounts = this.options.accounts;
    switch (command.kind) {
      case 'login': {
        if (!accounts) return { kind: 'account', text: SHARED_ACCOUNT };
        const check = await accounts.credentials(thread);
        if (check.ok) return { kind: 'account', text: `You are connected as **@${check.credentials.login}** already. Say \`logout\` first to use another account.` };
        return accounts.connect(thread, tell).said;
      }
      case 'logout':
        return accounts ? accounts.logout(thread) : { kind: 'account', text: SHARED_ACCOUNT };
      case 'whoami':
        return accounts ? accounts.whoami(thread) : { kind: 'account', text: SHARED_ACCOUNT };
      case 'history': {
        const resolved = this.resolveId(thread);
        if (typeof resolved !== 'string') return resolved;
        const id = await this.sessionOf(thread, resolved);
        return historyPage(id, command.page, {
          transcripts: this.transcripts,
          agent: this.options.agent,
          approvals: this.options.approvals,
          registry: this.options.registry,
          pageSize: this.pageSize,
          setting: (record) => [effectLine(inEffect(record, profileFor(this.profiles(), thread), this.offer(this.profiles()))), ...(record?.repo ? [repoLine(record.repo)] : [])].join('\n'),
        });
      }
      case 'forget':
        return this.forget(thread);
      case 'sessions':
        return sessionList(thread, command.in, {
          registry: this.options.registry,
          visibility: this.visibility.get(thread.platform),
          isAdmin: (t: ThreadRef) => this.isAdmin(t),
          names: this.threadNames(thread.platform),
          now: this.now(),
        });
      case 'usage':
        return this.options.usage ? this.options.usage.report(thread) : { kind: 'notice', text: 'This bot does not count usage.' };
      case 'model':
      case 'agent': {
        const resolved = this.resolveId(thread);
        if (typeof resolved !== 'string') return resolved;
        const id = await this.sessionOf(thread, resolved);
        const loaded = this.profiles();
        return choose(thread, id, command.kind, command.name, {
          registry: this.options.registry,
          profile: profileFor(loaded, thread),
          models: this.models(),
          defaultModel: this.options.defaultModel,
          agents: agentsOffered(profileFor(loaded, thread), loaded.agents),
          isAdmin: (t) => this.isAdmin(t),
          // Behind the thread's running turn, and apart from a 👍/👎 being counted: each writes the whole record.
          inLine: (fn) => this.queue.run(resolved, () => this.votes.run(id, fn)),
        });
      }
      case 'repo': {
        const resolved = this.resolveId(thread);
        if (typeof resolved !== 'string') return resolved;
        const id = await this.sessionOf(thread, resolved);
        const repos = this.options.repos ?? { allowed: [], baseUrl: 'https://github.com', plainHttpHosts: new Set<string>() };
        return repoCommand(thread, id, command.action, {
          registry: this.options.registry,
          agent: this.options.agent,
          settings: repos,
          tokenFor: (t) => this.repoToken(t, repos),
          isAdmin: (t) => this.isAdmin(t),
          inLine: (fn) => this.queue.run(resolved, () => this.votes.run(id, fn)),
          now: this.now,
        });
      }
      case 'schedule':
      case 'schedules':
      case 'unschedule': {
        const resolved = this.resolveId(thread);
        if (typeof resolved !== 'string') return resolved;
        const id = await this.sessionOf(thread, resolved);
        const deps = this.scheduleDeps(thread);
        if (!deps) return { kind: 'notice', text: 'Schedules are off on this bot.' };
        if (command.kind === 'schedule') return addSchedule(thread, id, command.when, command.prompt, deps);
        if (command.kind === 'schedules') return listSchedules(thread, id, deps);
        return stopSchedule(thread, id, command.id, deps);
      }
      case 'help':
        return { kind: 'notice', text: helpText() };
    }
  }

  private scheduleDeps(thread: ThreadRef): ScheduleDeps | undefined {
    const settings = this.options.schedules;
    if (!settings) return undefined;
    const zone = this.zones.get(thread.platform);
    return {
      ...settings,
      zoneOf: (t) => (zone ? zone(t) : Promise.resolve(undefined)),
      maxPromptChars: this.options.access?.maxPromptChars ?? Number.POSITIVE_INFINITY,
      inLine: (person, fn) => this.scheduling.run(person, fn),
      isAdmin: (t) => this.isAdmin(t),
      starterOf: async (id) => (await this.options.registry.get(id))?.startedBy,
      names: this.threadNames(thread.platform),
      now: this.now,
    };
  }

  /** Whether the thread's person may forget the thread recorded as `record` (see commands/forget.ts). */
  mayForget(record: ThreadRecord | undefined, thread: ThreadRef): boolean {
    return mayForget(record, thread, (t) => this.isAdmin(t));
  }

  isAdmin(thread: Pick<ThreadRef, 'platform' | 'user'>): boolean {
    return this.admins.has(`${thread.platform}:${thread.user}`);
  }

  /**
   * Deletes a session and its registry record, in the thread's queue so it never races a turn.
   * Used by `forget`, by retention and by the admin CLI. `confirm` (retention: "still expired?")
   * is asked once no turn runs in the session on any instance; false keeps everything.
   */
  forgetSession(id: SessionId, confirm?: () => Promise<boolean>, by: Forgetter = RETENTION): Promise<{ session: boolean; record: boolean; kept?: true }> {
    return this.queue.run(id, async () => {
      this.transcripts.drop(id);
      this.recorded.delete(id);
      const session = await this.options.agent.forget(id, { confirm });
      // No session (or one the confirmation kept): the record goes only if the confirmation agrees.
      if (!session && confirm && !(await confirm())) return { session: false, record: false, kept: true };
      await this.options.approvals?.forget(id);
      await this.forgetSchedules(id);
      const record = await this.options.registry.delete(id);
      if (session || record) this.audit.record({ kind: 'forget', actor: by.actor, session: id, detail: { via: by.via } });
      return { session, record };
    });
  }

  /** A forgotten thread's schedules go with it: nothing runs in a thread that was asked to forget. */
  private async forgetSchedules(id: SessionId): Promise<void> {
    const store = this.options.schedules?.store;
    if (!store) return;
    for (const s of await store.list({ sessionId: id })) await store.delete(s.id);
  }

  private idOf(thread: ThreadRef): SessionId | undefined {
    try {
      return sessionIdFor(thread);
    } catch {
      return undefined;
    }
  }

  private resolveId(thread: ThreadRef): SessionId | Reply {
    try {
      return sessionIdFor(thread);
    } catch (err) {
      if (err instanceof ThreadIdError) return { kind: 'error', text: `I can't keep a session for this thread: ${err.message}.` };
      throw err;
    }
  }

  private async turn(thread: ThreadRef, question: string, options: MessageOptions): Promise<Reply> {
    const said = withQuoted(question, options.quoted ?? []);
    const line = this.resolveId(thread);
    if (typeof line !== 'string') {
      options.reservation?.cancel();
      return line;
    }
    const arrived = performance.now();
    const task = (): Promise<Reply> => inSpan('copilot_threads.turn', { 'copilot_threads.platform': thread.platform, 'copilot_threads.session': line }, (span) => {
      span.setAttribute('copilot_threads.queue_wait_ms', Math.round(performance.now() - arrived));
      return turnBody();
    });
    const turnBody = async (): Promise<Reply> => {
      const started = performance.now();
      this.options.metrics?.waited(thread.platform, (started - arrived) / 1000);
      // What this turn used, counted for its author whatever the outcome (a failed turn used the model too).
      const used = { turns: 1, toolRuns: 0, inputTokens: 0, outputTokens: 0 };
      let outcome: TurnOutcome = 'answered';
      // The thread's line is its id's; the session may be the one it had before ids were readable.
      let id = line;
      const log = () => this.options.logger.child({ sessionId: id });
      this.transcripts.drop(id);
      // Per-user: the author's own account, its token refreshed if it is about to expire.
      let as: Credentials | undefined;
      try {
        if (this.options.accounts) {
          const check = await this.options.accounts.credentials(thread);
          if (!check.ok) {
            outcome = 'signed_out';
            used.turns = 0;
            return check.reply;
          }
          as = check.credentials;
        }
        id = await this.sessionOf(thread, line);
        // The record says where the thread's context starts and which model and agent it chose.
        const loaded = this.profiles();
        const offered = this.offer(loaded);
        const recordRead = (options.context && options.messageId) || offered.models.length > 0 || offered.agents.length > 0 || this.options.repos?.allowed.length ? this.options.registry.get(id) : Promise.resolve(undefined);
        const [context, files, record] = await Promise.all([this.contextOf(recordRead, options), options.files, recordRead]);
        const profile = this.sessionProfileOf(loaded, thread, record, offered);
        const prompt = withContext(context, withAuthor(as?.login, withFiles(said, files)), this.contextBudget);
        const attachments = [...(context?.attached?.attachments ?? []), ...(files?.attachments ?? [])];
        const recording = this.options.registry.recordTurn(id, thread, this.now(), question || options.quoted?.[0]?.text, options.messageId).then(
          () => undefined,
          (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
        );
        // A thread's first turn here is recorded before its session can exist, so a crash mid-turn
        // still leaves a trace for retention; later ones update the record while the turn runs.
        const alongside = this.recorded.has(id);
        if (!alongside) {
          const failed = await recording;
          if (failed) throw failed;
          this.remember(id);
        }
        const desk = this.options.approvals;
        const meter = this.options.usage;
        const result = await this.options.agent.send(id, prompt, {
          timeoutMs: this.options.turnTimeoutMs,
          ...(as ? { as } : {}),
          ...(profile ? { profile } : {}),
          onDelta: options.onDelta,
          onProgress: options.onProgress,
          ...(attachments.length ? { attachments } : {}),
          ...(desk ? { approve: async (ask, signal) => desk.ask(thread, id, ask, signal, await this.starterOf(id, thread)) } : {}),
          onPermission: (request) =>
            this.audit.record({
              kind: 'tool.request',
              actor: personOf(thread),
              session: id,
              detail: { tool: request.tool, decision: request.decision, detail: request.detail, chars: request.detail.length, digest: request.digest, reason: request.reason },
            }),
          toolBudget: async (tool) => {
            const refusal = await meter?.take(thread, 'toolRuns');
            if (refusal === undefined) used.toolRuns++;
            else this.audit.record({ kind: 'access.refused', actor: personOf(thread), session: id, detail: { because: 'daily tool runs', tool } });
            return refusal;
          },
          onUsage: (u) => {
            used.inputTokens += u.inputTokens;
            used.outputTokens += u.outputTokens;
          },
        });
        const unrecorded = alongside ? await recording : undefined;
        if (unrecorded) {
          // The answer is there and goes out; the record is written again with the thread's next turn.
          this.recorded.delete(id);
          log().error({ err: unrecorded.message }, 'could not record the turn in the registry');
        }
        log().info({ created: result.created, chars: result.text.length, ms: Math.round(performance.now() - started) }, 'turn answered');
        return { kind: 'answer', text: result.text || '_(Copilot returned an empty answer.)_', sessionId: id, created: result.created };
      } catch (caught) {
        const err = await this.accountTrouble(caught, as);
        // Copilot refused the person's token: the link ends if GitHub no longer takes it either (they connect
        // again); a token that only expired during the turn is renewed, and they are asked to send it again.
        if (err instanceof AccountRefusedError && err.why === 'signed-out' && as && !(await this.options.accounts?.rejected(thread, as).catch(() => true))) {
          outcome = 'signed_out';
          log().info({ login: as.login }, 'Copilot refused a token GitHub still takes (renewed); the turn is not retried');
          return { kind: 'account', text: '⚠️ Copilot did not take your GitHub token for this turn. Your connection is kept (renewed where it had expired): please send your message again.' };
        }
        const failure = failureOf(err, log());
        outcome = failure.outcome;
        return failure.reply;
      } finally {
        this.options.metrics?.turn(thread.platform, outcome, (performance.now() - started) / 1000);
        this.options.usage?.record(thread, used);
        annotate({ 'copilot_threads.outcome': outcome, 'copilot_threads.session': id }, outcome !== 'answered');
        // A history read while the turn ran saw the thread without this turn's answer.
        this.transcripts.drop(id);
      }
    };
    return options.reservation ? options.reservation.run(task) : this.queue.run(line, task);
  }

  /** An account refusal the runtime did not explain is explained by GitHub (or, if it cannot be asked, is a failed turn). */
  private async accountTrouble(err: unknown, as: Credentials | undefined): Promise<unknown> {
    if (!(err instanceof AccountRefusedError) || err.why !== 'unresolved' || !as || !this.options.accounts) return err;
    const why = await this.options.accounts.diagnose(as);
    return why ? new AccountRefusedError(why, err.login, err.message) : new TurnFailedError(err.message);
  }

  /**
   * What the thread said that the session has not heard (the adapter reads it): before the first
   * turn, the thread so far; after, what came since the message of the last turn. A thread whose
   * record predates context (it knows no last message) gets none rather than all of it again.
   */
  private async contextOf(recordRead: Promise<ThreadRecord | undefined>, options: MessageOptions): Promise<ThreadContext | undefined> {
    if (!options.context || !options.messageId) return undefined;
    const record = await recordRead;
    if (record && !record.seen) return undefined;
    return options.context(record?.seen);
  }

  private profiles() {
    return this.options.profiles?.current ?? NO_PROFILES;
  }

  private models(): readonly string[] {
    return this.options.models ?? [];
  }

  /** The token a repository on REPOS_URL is cloned with for this person: per-user, their own (they connect first), else REPO_TOKEN. */
  private async repoToken(thread: ThreadRef, repos: RepoSettings & { token?: string }): Promise<string | undefined | Reply> {
    const accounts = this.options.accounts;
    if (!accounts) return repos.token;
    const check = await accounts.credentials(thread);
    return check.ok ? check.credentials.token : check.reply;
  }

  /** What a thread may switch to (a place's own list of agents narrows them: see `inEffect`), and the bot's own model. */
  private offer(loaded: ChannelProfiles): Offer {
    return { models: this.models(), agents: loaded.agents.map((a) => a.name), defaultModel: this.options.defaultModel };
  }

  /** The thread's channel profile with its own choices over it; undefined when there is nothing beyond the bot's settings. */
  private sessionProfileOf(loaded: ChannelProfiles, thread: ThreadRef, record: ThreadRecord | undefined, offer: Offer): SessionProfile | undefined {
    if (loaded.channels.length === 0 && record?.model === undefined && record?.agent === undefined && record?.repo === undefined) return undefined;
    const profile = sessionProfile(profileFor(loaded, thread), { model: record?.model, agent: record?.agent }, offer);
    // Its repository: where the code is, after the channel's own instructions.
    if (record?.repo) profile.instructions = [profile.instructions, repoInstructions(record.repo)].filter(Boolean).join('\n\n');
    return Object.keys(profile).length ? profile : undefined;
  }

  /** Who started the thread (from its record); the person at hand for a thread with no record yet. */
  private async starterOf(id: SessionId, thread: ThreadRef): Promise<string> {
    // A store that cannot be read fails the request (denied), rather than guessing who decides.
    const record = await this.options.registry.get(id);
    return record?.startedBy ?? thread.user;
  }

  private remember(id: SessionId): void {
    // Bounded: a thread forgotten here is recorded before its turn again, as at first.
    if (this.recorded.size >= RECORDED_THREADS) this.recorded.clear();
    this.recorded.add(id);
  }

  /**
   * The session a thread's turns, history and forget act on: the one under its id, or, for a thread
   * whose name ids now spell readably (`readme-demo`), the session it had before under its hex id
   * (`legacySessionIdFor`), if that one exists and the new one does not. Asked once per thread.
   */
  private async sessionOf(thread: ThreadRef, id: SessionId): Promise<SessionId> {
    const old = legacySessionIdFor(thread);
    if (!old) return id;
    const known = this.legacy.get(id);
    if (known) return known;
    if (await this.options.agent.exists(id)) {
      // Decided once: the thread's later turns do not ask the runtime again.
      this.legacy.set(id, id);
      return id;
    }
    if ((await this.options.agent.exists(old)) || (await this.options.registry.get(old)) !== undefined) {
      this.legacy.set(id, old);
      return old;
    }
    return id;
  }

  private async forget(thread: ThreadRef): Promise<Reply> {
    const resolved = this.resolveId(thread);
    if (typeof resolved !== 'string') return resolved;
    const id = await this.sessionOf(thread, resolved);
    this.legacy.delete(resolved);
    return forgetThread(thread, id, {
      agent: this.options.agent,
      registry: this.options.registry,
      isAdmin: (t) => this.isAdmin(t),
      forgetSession: (sid) => this.forgetSession(sid, undefined, { actor: personOf(thread), via: 'thread' }),
      logger: this.options.logger,
    });
  }
}

/** Who deletes a thread's session, and how (the audit trail's `forget`). */
export interface Forgetter {
  /** `platform:user`, `cli:<os user>`, or `system`. */
  actor: string;
  via: 'thread' | 'cli' | 'prune' | 'retention';
}

const RETENTION: Forgetter = { actor: 'system', via: 'retention' };

/** Threads remembered as recorded (see `Conversation.recorded`): far more than are active at once. */
const RECORDED_THREADS = 50_000;

export { LISTED_SESSIONS } from './commands/sessions.js';

/** `prefix`: how the commands are typed where the help is shown (`/` in the console). */
export function helpText(prefix = ''): string {
  return [
    'I keep one Copilot session per thread: mention me and I remember the whole thread, even days later.',
    'Commands (in a thread):',
    ...COMMAND_HELP.map(([usage, what]) => `• \`${prefix}${usage}\`: ${what}`),
  ].join('\n');
}

/** The model hears of attached files it was not given (the person was told already), and of files sent without words. */
function withFiles(said: string, files: GatheredFiles | undefined): string {
  if (!files) return said;
  const words = said || (files.attachments.length ? 'The person sent the attached files without a message.' : 'The person sent files without a message.');
  return files.skipped.length ? `${words}\n\n(Also attached, but not readable here: ${files.skipped.join('; ')}.)` : words;
}
