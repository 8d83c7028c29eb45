/**
 * The Agent on `@github/copilot-sdk`: one runtime per process in the SDK's multi-user `empty`
 * mode (runtime.ts), one live session per thread at most (session-pool.ts), a turn at a time in
 * each (turn.ts), and the runtime recycled when it has grown too large (it never gives memory
 * back) or restarted when it dies. Sessions are stored outside the runtime (COPILOT_HOME or the
 * shared state), so a recycle or a restart loses nothing.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../infra/log.js';
import { mcpHostsOf, mcpToolName, type ChannelProfiles, type McpServer, type ModelAuth, type SessionId, type SessionProfile, type TranscriptEvent } from '../../domain.js';
import { AccountRefusedError, AgentStoppedError, RepoError, RuntimeExitedError, SessionStateLostError, TurnFailedError, TurnTimeoutError, type AgentRuntime, type ForgetOptions, type RepoWork, type SessionSummary, type TurnCredentials, type TurnOptions, type TurnResult } from '../agent.js';
import { SessionLocks } from '../locks/session-lock.js';
import type { SessionLock } from '../locks/lock.js';
import { removeThreadFolder } from '../thread-files.js';
import { RuntimeDiskSessions, type SessionStore } from '../session-state/session-store.js';
import { DiskSessions } from '../session-state/disk-sessions.js';
import type { EgressPolicy } from '../sandbox/egress-policy.js';
import type { ToolLimits } from '../sandbox/limits.js';
import { placeAttachments } from './attached-files.js';
import { CopilotRuntime, STOP_TIMEOUT_MS } from './runtime.js';
import { DISCONNECT_TIMEOUT_MS, SessionPool } from './session-pool.js';
import { resumeOrCreate, type SessionSetup } from './session-config.js';
import { accountRefusal, SessionAccounts } from './accounts.js';
import { PROCESS_TOOLS, runTurn, type RunningTurn } from './turn.js';
import { withDeadline } from '../../infra/deadline.js';
import { McpHealth } from './mcp-health.js';

export interface CopilotAgentOptions {
  /** COPILOT_HOME: session state lives in `<home>/session-state/<id>/`. */
  home: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the runtime exports its own spans there too, in the bot's traces. */
  telemetryEndpoint?: string;
  auth: ModelAuth | undefined;
  /** Per-user on GitHub Enterprise: the host people's tokens are for (see RuntimeOptions). */
  githubUrl?: string;
  model: string | undefined;
  tools: readonly string[];
  /** Of `tools`, those that need a person's approval for each use (see `TurnOptions.approve`). */
  approvalTools?: readonly string[];
  systemPrompt: string | undefined;
  /** SESSION_MAX_AI_CREDITS: each thread's session stops asking the model past this many AI credits (0: no limit). */
  maxAiCredits?: number;
  idleMs: number;
  /**
   * At most this many sessions held open in the runtime (0: no limit): past it, the least recently
   * used one idle for a second is disconnected, whatever `idleMs` says. Each costs the runtime ~2.5 MB.
   */
  maxLive?: number;
  /** Recycle the runtime once its RSS passes this many MB (0: never). */
  recycleMb: number;
  /** Recycle the runtime once it has opened this many sessions (0: never). */
  recycleSessions: number;
  logger: Logger;
  /** Names this process in session locks (bot, chat, cli). */
  role: string;
  /** How long to wait for another process to let go of a session (then "busy"). */
  lockWaitMs: number;
  /**
   * Shared mode (SESSION_STATE_URL): sessions' state in a database and a lease per session, so
   * instances on any host continue any thread. Default: the runtime's folders under `home` and
   * lock files beside them.
   */
  shared?: { sessions: SessionStore; lock: SessionLock };
  /**
   * Start the runtime in a sandbox (tools enabled; see sandbox/sandbox.ts): it then sees neither
   * the bot's files nor COPILOT_HOME, so session state goes through `sessionFs` (`DiskSessions`,
   * or the shared state). `start()` fails with `SandboxUnavailableError` where it cannot be made.
   */
  sandboxed?: boolean;
  /** What one tool command may use (sandboxed; TOOLS_MAX_*). */
  toolLimits: ToolLimits;
  /** Where tools may connect through the gateway (sandboxed); no hosts: tools have no network. */
  toolEgress?: EgressPolicy;
  /** AGENTS_DIR's agents and skills as loaded now (read at each open: a reload reaches the next one). */
  profiles?: () => ChannelProfiles;
  /** MCP_CONFIG's servers (each one a tool, `mcp:NAME`, of every session), and the secrets its `${env:…}` references resolved to. */
  mcp?: { servers: readonly McpServer[]; secrets: readonly string[] };
}

/** How long the start waits for MCP servers to connect or fail (then it goes on; /healthz follows them). */
const MCP_CHECK_MS = 20_000;

export class CopilotAgent implements AgentRuntime {
  private readonly runtime: CopilotRuntime;
  private pool: SessionPool | undefined;
  private readonly sessions: SessionStore;
  private readonly workDir: string;
  private readonly allowedTools: ReadonlySet<string>;
  private readonly approvalTools: ReadonlySet<string>;
  /** The turn running in each session (by id). */
  private readonly turns = new Map<string, RunningTurn>();
  /** Per-user: whose token each live session holds. */
  private readonly accounts = new SessionAccounts();
  /** Fails the turns in flight (a runtime that died, stop()): their callers hear why instead of an empty answer. */
  private readonly inFlight = new Set<(err: Error) => void>();
  private recycling: Promise<void> | undefined;
  /** Set once shutdown begins: from then on a runtime that exits is not restarted. */
  private stopping = false;
  private stopped = false;
  /** The profiles `shapeOf` last saw, and how many different ones it has seen. */
  private lastProfiles: ChannelProfiles | undefined;
  private profilesEpoch = 0;
  /** How many times the runtime was recycled (for logs, tests and benchmarks). */
  recycles = 0;

  /** How MCP_CONFIG's servers are doing (start log, /healthz). */
  private readonly mcp: McpHealth;

  constructor(private readonly options: CopilotAgentOptions) {
    const servers = options.mcp?.servers ?? [];
    // Every configured MCP server is a tool of every session (a channel's tools may narrow them).
    this.allowedTools = new Set([...options.tools, ...servers.map((s) => mcpToolName(s.name))]);
    this.mcp = new McpHealth(servers.map((s) => s.name), options.mcp?.secrets ?? [], options.logger.child({ part: 'mcp' }));
    this.approvalTools = new Set(options.approvalTools ?? []);
    this.workDir = path.join(options.home, 'workspace');
    this.sessions =
      options.shared?.sessions ?? (options.sandboxed ? new DiskSessions(path.join(options.home, 'session-state')) : new RuntimeDiskSessions());
    this.runtime = new CopilotRuntime({
      ...options,
      workDir: this.workDir,
      sessionFs: this.sessions.fsConfig(this.workDir),
      sandboxed: options.sandboxed === true,
      mcpHosts: mcpHostsOf(servers),
      mcpPins: new Map(servers.flatMap((s) => (s.transport !== 'stdio' && s.via ? [[s.via.host, { address: s.via.address, port: s.via.port }] as const] : []))),
      mcpServers: servers.flatMap((s) => (s.transport === 'stdio' ? [{ name: s.name, readPaths: s.readPaths }] : [])),
    });
  }

  async start(): Promise<void> {
    await this.runtime.start();
    const locks = this.options.shared?.lock ?? new SessionLocks(this.options.home, this.options.role);
    locks.onLost((id) => this.sessionStateLost(id as SessionId, 'the lease on this session was taken over by another instance'));
    this.pool = new SessionPool({
      locks,
      open: (id, reading, as, profile) => this.open(id, reading, as, profile),
      disconnected: (session) => this.runtime.dropSession(session),
      ready: () => this.gate(),
      stopping: () => this.stopping,
      idleMs: this.options.idleMs,
      maxLive: this.options.maxLive ?? 0,
      closeWhenIdle: this.options.shared !== undefined,
      lockWaitMs: this.options.lockWaitMs,
      logger: this.options.logger,
    });
    // A runtime that dies (killed, out of memory) fails the turns waiting on it at once and is
    // started again: sessions are stored outside it, so the next message resumes its thread.
    this.runtime.onExit((code, signal) => {
      if (this.stopped) return;
      if (this.stopping) {
        this.options.logger.info({ code, signal }, 'the Copilot runtime exited during shutdown');
        this.failTurns(new AgentStoppedError());
        return;
      }
      this.options.logger.error({ code, signal }, 'the Copilot runtime exited unexpectedly; restarting it');
      this.failTurns(new RuntimeExitedError());
      void this.recycle('runtime exited').catch((err: unknown) => this.options.logger.error({ err: String(err) }, 'runtime restart failed'));
    });
    if (this.mcp.configured) {
      await this.checkMcp();
      this.options.logger.info(this.mcp.report(), 'MCP servers');
    }
  }

  async send(id: SessionId, prompt: string, options: TurnOptions): Promise<TurnResult> {
    const { as, profile } = options;
    const lease = await this.live.acquire(id, { ...(as ? { as } : {}), profile, shape: this.shapeOf(profile) }).catch((err: unknown) => {
      // Joined an open made for someone else, which their account's refusal failed: not this turn's author's doing.
      throw err instanceof AccountRefusedError && err.login !== as?.login ? new TurnFailedError(err.message) : err;
    });
    try {
      // A thread several people share runs each turn as its author.
      if (as) await this.accounts.use(lease.session, as);
      const placed = await placeAttachments(options.attachments ?? [], { folder: this.filesFolder(id), owner: this.runtime.owner, sessionId: id, logger: this.options.logger });
      const text = await runTurn(lease.session, prompt, { ...options, placed }, {
        started: (turn) => {
          this.inFlight.add(turn.fail);
          this.turns.set(id, turn);
        },
        ended: (turn, err, toolsRun) => {
          this.inFlight.delete(turn.fail);
          if (this.turns.get(id) === turn) this.turns.delete(id);
          // Nothing a turn's tools started outlives it (background jobs, daemons, a command past the turn's timeout).
          if ([...toolsRun].some((t) => PROCESS_TOOLS.has(t))) this.runtime.killTools(id, err ? 'the turn failed' : 'the turn ended');
        },
      }).catch((err: unknown) => {
        if (err instanceof TurnTimeoutError || err instanceof TurnFailedError) lease.stale();
        throw err;
      });
      return { text, created: lease.created };
    } finally {
      lease.release();
      void this.maybeRecycle();
    }
  }

  async exists(id: SessionId): Promise<boolean> {
    const pool = this.live;
    return pool.use(async () => pool.has(id) || (await this.sessions.exists(this.runtime.client, id)));
  }

  /**
   * The session's state can no longer be trusted here (its lease was lost, a write of its state
   * failed): its running turn fails and it is reopened from the stored state on next use.
   */
  sessionStateLost(id: SessionId, reason: string): void {
    this.pool?.markStale(id);
    const turn = this.turns.get(id);
    if (!turn) return;
    this.options.logger.warn({ sessionId: id, reason }, 'session state lost mid-turn');
    void this.pool?.abort(id);
    turn.fail(new SessionStateLostError(reason));
  }

  async history(id: SessionId): Promise<TranscriptEvent[] | undefined> {
    if (!(await this.exists(id))) return undefined;
    // Opened for reading with the bot's own settings: a turn of a thread without a profile goes on with it.
    const lease = await this.live.acquire(id, { reading: true, shape: this.shapeOf(undefined) });
    try {
      return await lease.session.getEvents();
    } finally {
      lease.release();
    }
  }

  async forget(id: SessionId, options: ForgetOptions = {}): Promise<boolean> {
    const pool = this.live;
    await pool.close(id);
    return pool.use(async () => {
      if (!(await this.sessions.exists(this.runtime.client, id))) return false;
      // Never delete a session another process or instance has open: wait for it to let go.
      return pool.exclusive(id, async () => {
        if (options.confirm && !(await options.confirm())) return false;
        const deleted = await this.sessions.delete(this.runtime.client, id);
        this.runtime.killTools(id, 'the thread was forgotten', true);
        // The thread's folder: its tools' files and the files people attached.
        await removeThreadFolder(this.filesFolder(id));
        return deleted;
      });
    });
  }

  async list(): Promise<SessionSummary[]> {
    return this.live.use(() => this.sessions.list(this.runtime.client));
  }

  /**
   * Shutdown has begun: turns may still finish, but a runtime that exits now (a signal to the
   * whole process group reaches it too) fails its turns with a restart notice and is not restarted.
   */
  beginStop(): void {
    this.stopping = true;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped = true;
    this.pool?.stopTimers();
    this.failTurns(new AgentStoppedError());
    await withDeadline(this.recycling ?? Promise.resolve(), STOP_TIMEOUT_MS + DISCONNECT_TIMEOUT_MS, 'runtime recycle').catch(() => undefined);
    await this.pool?.closeAll(true);
    await this.runtime.stop();
    await this.pool?.releaseLocks();
  }

  /** Answers when the runtime does, within `timeoutMs` (for /healthz). */
  async ping(timeoutMs: number): Promise<void> {
    if (this.stopped) throw new AgentStoppedError();
    await this.runtime.ping(timeoutMs);
  }

  /**
   * Drains in-flight work, stops the runtime and starts a fresh one. Calls that arrive
   * meanwhile wait and then run in their original order against the new runtime.
   */
  recycle(reason: string): Promise<void> {
    this.recycling ??= (async () => {
      const log = this.options.logger;
      log.info({ reason, liveSessions: this.liveSessions, rssMb: this.runtimeRssMb() }, 'recycling the Copilot runtime');
      await this.pool?.idle();
      await this.pool?.closeAll(false);
      await this.runtime.restart(() => this.stopping);
      if (this.pool) this.pool.opened = 0;
      this.recycles++;
      log.info({ recycles: this.recycles }, 'Copilot runtime recycled');
    })().finally(() => {
      this.recycling = undefined;
    });
    return this.recycling;
  }

  /** Resolves once no recycle is under way. */
  async settled(): Promise<void> {
    while (this.recycling) await this.recycling.catch(() => undefined);
  }

  /**
   * A thread's own folder, `<workspace>/<session id>`: its tools' working directory and all they
   * can see of the disk. With no tools enabled, every session works in the workspace itself.
   */
  threadFolder(id: SessionId): string {
    return this.allowedTools.size > 0 ? path.join(this.workDir, id) : this.workDir;
  }

  /** What the tool sandbox enforces, in words (start log, /healthz); undefined when there is none. */
  sandboxReport(): Record<string, string> | undefined {
    return this.runtime.sandboxReport();
  }

  async repo(id: SessionId, work: RepoWork): Promise<{ commit: string }> {
    // Without tools every thread works in the workspace itself: nothing of its own to clone into, nothing to read it with.
    if (this.allowedTools.size === 0) throw new RepoError('Repositories need tools: this bot has none (COPILOT_TOOLS), so Copilot could not read the code.', 'no-tools');
    const folder = this.threadFolder(id);
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    const owner = this.runtime.owner;
    if (owner) fs.lchownSync(folder, owner.uid, owner.gid);
    return this.runtime.runRepo(id, work, folder);
  }

  /** Each MCP server's state (`ok`, `down: …`); undefined when MCP_CONFIG names none. */
  mcpReport(): Record<string, string> | undefined {
    return this.mcp.report();
  }

  /**
   * Opens a session of its own with every MCP server (in a folder of its own), waits until each
   * has connected or failed, and deletes it: a server that cannot start is known at start, not
   * at someone's first question. Never fails the start.
   */
  private async checkMcp(): Promise<void> {
    const id = `copilot-threads-mcp-check-${randomBytes(4).toString('hex')}` as SessionId;
    const folder = this.threadFolder(id);
    try {
      fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
      const owner = this.runtime.owner;
      if (owner) fs.lchownSync(folder, owner.uid, owner.gid);
      const { session } = await withDeadline(resumeOrCreate(this.runtime.client, id, false, this.setup()), MCP_CHECK_MS, 'MCP check session');
      try {
        await this.mcp.settle(session, MCP_CHECK_MS);
      } finally {
        await withDeadline(session.disconnect(), DISCONNECT_TIMEOUT_MS, 'MCP check disconnect').catch(() => undefined);
        this.runtime.dropSession(session);
        await withDeadline(this.sessions.delete(this.runtime.client, id), DISCONNECT_TIMEOUT_MS, 'MCP check delete').catch(() => undefined);
      }
    } catch (err) {
      this.options.logger.warn({ err: String(err) }, 'MCP servers could not be checked at start; /healthz reports them once a session has used them');
    } finally {
      await removeThreadFolder(folder).catch(() => undefined);
    }
  }

  runtimeRssMb(): number | undefined {
    return this.runtime.rssMb();
  }

  get runtimePid(): number | undefined {
    return this.runtime.pid;
  }

  /** Number of sessions currently held open in the runtime. */
  get liveSessions(): number {
    return this.pool?.size ?? 0;
  }

  /** The sessions held open in the runtime, least recently used first (for operators' tools and tests). */
  get liveIds(): SessionId[] {
    return this.pool?.ids ?? [];
  }

  /** Sessions the SDK's client still holds objects for (for tests). */
  get clientSessions(): number {
    return this.runtime.clientSessions;
  }

  private get live(): SessionPool {
    if (!this.pool || this.stopped) throw new AgentStoppedError();
    return this.pool;
  }

  /** Waits out a recycle; then the runtime must be there. */
  private async gate(): Promise<void> {
    await this.settled();
    if (this.stopped || !this.runtime.running) throw new AgentStoppedError();
  }

  private failTurns(err: Error): void {
    for (const fail of this.inFlight) fail(err);
  }

  private async maybeRecycle(): Promise<void> {
    if (this.recycling || this.stopping) return;
    const { recycleSessions, recycleMb } = this.options;
    const opened = this.pool?.opened ?? 0;
    let reason: string | undefined;
    if (recycleSessions > 0 && opened >= recycleSessions) reason = `opened ${opened} sessions`;
    else if (recycleMb > 0) {
      const rss = this.runtimeRssMb();
      if (rss !== undefined && rss >= recycleMb) reason = `runtime RSS ${Math.round(rss)} MB`;
    }
    if (reason) await this.recycle(reason).catch((err: unknown) => this.options.logger.error({ err }, 'runtime recycle failed'));
  }

  /**
   * What a session was opened with, as one string: a turn whose thread now wants another model,
   * agent, instructions or tools, or that comes after a reload of AGENTS_DIR, reopens its session.
   */
  private shapeOf(profile: SessionProfile | undefined): string {
    const loaded = this.options.profiles?.();
    if (loaded !== this.lastProfiles) {
      this.lastProfiles = loaded;
      this.profilesEpoch++;
    }
    return `${this.profilesEpoch}:${JSON.stringify(profile ?? {})}`;
  }

  private async open(id: SessionId, reading: boolean, as: TurnCredentials | undefined, profile: SessionProfile | undefined) {
    const folder = this.threadFolder(id);
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    const owner = this.runtime.owner;
    if (owner) fs.lchownSync(folder, owner.uid, owner.gid);
    // A refusal names the account of the open that met it (a turn that joined an open made for another's is not blamed).
    const opened = await resumeOrCreate(this.runtime.client, id, reading, this.setup(), as, profile).catch((err: unknown) => {
      throw accountRefusal(err, as) ?? err;
    });
    this.accounts.opened(opened.session, as);
    if (this.mcp.configured) this.mcp.observe(opened.session);
    return opened;
  }

  private setup(): SessionSetup {
    const { auth, model, systemPrompt, logger } = this.options;
    const loaded = this.options.profiles?.();
    return {
      auth,
      model,
      systemPrompt,
      logger,
      maxAiCredits: this.options.maxAiCredits ?? 0,
      allowedTools: this.allowedTools,
      approvalTools: this.approvalTools,
      sessions: this.sessions,
      threadFolder: (id) => this.threadFolder(id),
      owner: this.runtime.owner,
      gateway: this.runtime.gatewayAccess,
      turn: (id) => this.turns.get(id),
      mcp: this.options.mcp?.servers ?? [],
      agents: loaded?.agents ?? [],
      skills: loaded?.skills ?? [],
    };
  }

  /** Where a thread's files live: its tools' folder, and the files people attached in it. */
  private filesFolder(id: SessionId): string {
    return path.join(this.workDir, id);
  }
}
