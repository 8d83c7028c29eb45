/**
 * The Agent on `@github/copilot-sdk`: one CopilotClient per process in the SDK's multi-user
 * `empty` mode, one live CopilotSession per thread at most (resuming a live session twice
 * doubles its events), sessions disconnected when idle, and the runtime process recycled when
 * it has grown too large (it never gives memory back). Sessions live on disk under
 * COPILOT_HOME, so a recycle or a restart loses nothing.
 */
import { traceContext } from '../../infra/tracing.js';
import { placeAttachments } from './attached-files.js';
import { sessionCredentials } from './credentials.js';
import { answerPermission } from './permission-bridge.js';
import { PROCESS_TOOLS, runTurn, type RunningTurn } from './turn.js';
import { dropDisconnected, exited, runtimeProcess, sdkSessions } from './sdk-internals.js';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CopilotClient, RuntimeConnection, type CopilotSession, type SessionConfig } from '@github/copilot-sdk';
import type { Logger } from '../../infra/log.js';
import type { ModelAuth } from '../../domain.js';
import type { SessionId, TranscriptEvent } from '../../domain.js';
import { withDeadline } from '../../infra/deadline.js';
import { AgentStoppedError, RuntimeExitedError, SessionStateLostError, TurnFailedError, TurnTimeoutError, type AgentRuntime, type ForgetOptions, type SessionSummary, type TurnOptions, type TurnResult } from '../agent.js';
import { realLocation } from '../permissions.js';
import { SessionLocks } from '../locks/session-lock.js';
import { removeThreadFolder } from '../thread-files.js';
import type { SessionLock } from '../locks/lock.js';
import { RuntimeDiskSessions, type SessionStore } from '../session-state/session-store.js';
import { DiskSessions } from '../session-state/disk-sessions.js';
import { killToolSandboxes, prepareSandbox, runtimeRssKb, type Sandbox } from '../sandbox/sandbox.js';
import { modelUpstream, startGateway, type Gateway, type Upstream } from '../sandbox/gateway.js';
import type { EgressPolicy } from '../sandbox/egress-policy.js';
import { describeLimits, type ToolLimits } from '../sandbox/limits.js';

export interface CopilotAgentOptions {
  /** COPILOT_HOME: session state lives in `<home>/session-state/<id>/`. */
  home: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the runtime exports its own spans there too, in the bot's traces. */
  telemetryEndpoint?: string;
  auth: ModelAuth | undefined;
  model: string | undefined;
  tools: readonly string[];
  /** Of `tools`, those that need a person's approval for each use (see `TurnOptions.approve`). */
  approvalTools?: readonly string[];
  systemPrompt: string | undefined;
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
}

/** Hosts the runtime itself reaches with a GitHub token (through the gateway, sandboxed). */
export const COPILOT_HOSTS = ['github.com', '*.github.com', '*.githubcopilot.com', '*.githubusercontent.com', '*.ghe.com'];

/** The turn running in a session: how to fail it, and what the permission handler needs of it. */

interface Live {
  session: Promise<{ session: CopilotSession; created: boolean }>;
  leases: number;
  idleTimer: NodeJS.Timeout | undefined;
  /** Set after an aborted turn: the session is reopened from disk on next use. */
  stale: boolean;
  /** The session was just created and no turn has reported that yet. */
  fresh: boolean;
  /** When its last lease ended (performance.now()). */
  idleSince: number;
}

/**
 * Past MAX_LIVE_SESSIONS, a session idle this long goes. Not sooner: a thread's next queued turn
 * takes its session back within moments, and closing it in between would resume it every turn.
 */
const EVICT_IDLE_MS = 1000;

/** Variables the runtime may see. Everything else (chat tokens, store passwords) stays out of reach of any tool. */
const RUNTIME_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'];

/** How long a runtime gets to stop before it is killed. */
const STOP_TIMEOUT_MS = 5000;
/** How often this process looks for sessions another process is waiting for. */
const YIELD_POLL_MS = 200;
/** A dead or wedged runtime may never answer a disconnect, an abort or a kill. */
const DISCONNECT_TIMEOUT_MS = 3000;
const FORCE_STOP_TIMEOUT_MS = 2000;

/** The runtime's child process. The SDK keeps it private; it is read only to measure and watch it. */
export class CopilotAgent implements AgentRuntime {
  private client: CopilotClient | undefined;
  private readonly live = new Map<SessionId, Live>();
  /** Disconnects under way: a session is reopened only once its old handle is gone. */
  private readonly closing = new Map<SessionId, Promise<void>>();
  private leases = 0;
  private leasesDrained: Array<() => void> = [];
  private recycling: Promise<void> | undefined;
  private opened = 0;
  /** Set once shutdown begins: from then on a runtime that exits is not restarted. */
  private stopping = false;
  private stopped = false;
  /** Fails the turns in flight, for stop(): their callers hear why instead of an empty answer. */
  private readonly inFlight = new Set<(err: Error) => void>();
  private readonly allowedTools: ReadonlySet<string>;
  private readonly approvalTools: ReadonlySet<string>;
  private readonly workDir: string;
  private locks: SessionLock | undefined;
  private readonly sessions: SessionStore;
  /** Shared mode: a session stays open only while turns run in it, so other instances never wait on an idle one. */
  private readonly closeWhenIdle: boolean;
  /** The turn running in each session (by id). */
  private readonly turns = new Map<string, RunningTurn>();
  /** Sessions another process waits for: disconnected as soon as no turn runs in them. */
  private wanted = new Set<string>();
  private yieldTimer: NodeJS.Timeout | undefined;
  /** Looks again at sessions past MAX_LIVE_SESSIONS that were busy or only just idle. */
  private trimTimer: NodeJS.Timeout | undefined;
  private sandbox: Sandbox | undefined;
  /** Sandboxed: the sandbox's only way out (the model, traces, and allowed hosts). */
  private gateway: Gateway | undefined;
  /** The runtime's secret with the gateway (new at every runtime start): its model key, the trace route's first path segment, its proxy password. */
  private gatewayToken = randomBytes(24).toString('hex');
  /** How many times the runtime was recycled (for logs, tests and benchmarks). */
  recycles = 0;

  constructor(private readonly options: CopilotAgentOptions) {
    this.allowedTools = new Set(options.tools);
    this.approvalTools = new Set(options.approvalTools ?? []);
    this.workDir = path.join(options.home, 'workspace');
    this.sessions =
      options.shared?.sessions ?? (options.sandboxed ? new DiskSessions(path.join(options.home, 'session-state')) : new RuntimeDiskSessions());
    this.closeWhenIdle = options.shared !== undefined;
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.workDir, { recursive: true });
    // Left by versions that kept the launcher in COPILOT_HOME: nothing runs it any more.
    fs.rmSync(path.join(this.options.home, 'sandbox'), { recursive: true, force: true });
    if (this.options.sandboxed) {
      const egress = this.options.toolEgress ?? { allowed: [], pinned: new Map(), refusedEndpoints: new Set() };
      this.sandbox = prepareSandbox({ workspace: this.workDir, limits: this.options.toolLimits, toolNetwork: egress.allowed.length > 0 });
      try {
        this.gateway = await startGateway({
          socketPath: this.sandbox.gatewaySocket,
          owner: this.sandbox.owner,
          token: () => this.gatewayToken,
          routes: this.gatewayRoutes(),
          runtimeEgress: this.options.auth?.kind === 'github' ? { allowed: COPILOT_HOSTS, pinned: new Map(), refusedEndpoints: egress.refusedEndpoints } : undefined,
          toolEgress: egress,
          logger: this.options.logger.child({ part: 'sandbox-gateway' }),
        });
      } catch (err) {
        this.sandbox.dispose();
        throw err;
      }
    }
    this.locks = this.options.shared?.lock ?? new SessionLocks(this.options.home, this.options.role);
    this.locks.onLost((id) => this.sessionStateLost(id as SessionId, 'the lease on this session was taken over by another instance'));
    // A runtime that does not start leaves no gateway listening (it would keep the process alive).
    await this.startClient().catch(async (err: unknown) => {
      await this.gateway?.close();
      this.sandbox?.dispose();
      throw err;
    });
    this.yieldTimer = setInterval(() => this.yieldWanted(), YIELD_POLL_MS);
    this.yieldTimer.unref();
  }

  async send(id: SessionId, prompt: string, options: TurnOptions): Promise<TurnResult> {
    const { live, session, created } = await this.acquire(id);
    try {
      const attachments = await placeAttachments(options.attachments ?? [], { folder: this.filesFolder(id), owner: this.sandbox?.owner, sessionId: id, logger: this.options.logger });
      const text = await runTurn(session, prompt, { ...options, placed: attachments }, {
        started: (turn) => {
          this.inFlight.add(turn.fail);
          this.turns.set(id, turn);
        },
        ended: (turn, err, toolsRun) => {
          this.inFlight.delete(turn.fail);
          if (this.turns.get(id) === turn) this.turns.delete(id);
          // Nothing a turn's tools started outlives it (background jobs, daemons, a command past the turn's timeout).
          if ([...toolsRun].some((t) => PROCESS_TOOLS.has(t))) this.killTools(id, err ? 'the turn failed' : 'the turn ended');
        },
      }).catch((err: unknown) => {
        if (err instanceof TurnTimeoutError || err instanceof TurnFailedError) live.stale = true;
        throw err;
      });
      return { text, created };
    } finally {
      this.release(id, live);
      void this.maybeRecycle();
    }
  }

  async exists(id: SessionId): Promise<boolean> {
    return this.withClient(async (client) => this.live.has(id) || (await this.sessions.exists(client, id)));
  }

  /**
   * The session's state can no longer be trusted here (its lease was lost, a write of its state
   * failed): its running turn fails and it is reopened from the stored state on next use.
   */
  sessionStateLost(id: SessionId, reason: string): void {
    const live = this.live.get(id);
    if (live) live.stale = true;
    const turn = this.turns.get(id);
    if (!turn) return;
    this.options.logger.warn({ sessionId: id, reason }, 'session state lost mid-turn');
    void live?.session.then(({ session }) => withDeadline(session.abort(), DISCONNECT_TIMEOUT_MS, 'turn abort')).catch(() => undefined);
    turn.fail(new SessionStateLostError(reason));
  }

  async history(id: SessionId): Promise<TranscriptEvent[] | undefined> {
    if (!(await this.exists(id))) return undefined;
    const { live, session } = await this.acquire(id, { reading: true });
    try {
      return (await session.getEvents());
    } finally {
      this.release(id, live);
    }
  }

  async forget(id: SessionId, options: ForgetOptions = {}): Promise<boolean> {
    await this.close(id);
    return this.withClient(async (client) => {
      if (!(await this.sessions.exists(client, id))) return false;
      // Never delete a session another process or instance has open: wait for it to let go.
      await this.locks!.acquire(id, this.lockWait());
      try {
        if (options.confirm && !(await options.confirm())) return false;
        const deleted = await this.sessions.delete(client, id);
        this.killTools(id, 'the thread was forgotten');
        // The thread's folder: its tools' files and the files people attached.
        await removeThreadFolder(this.filesFolder(id));
        return deleted;
      } finally {
        await this.locks!.release(id);
      }
    });
  }

  async list(): Promise<SessionSummary[]> {
    return this.withClient((client) => this.sessions.list(client));
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
    clearInterval(this.yieldTimer);
    clearTimeout(this.trimTimer);
    for (const fail of this.inFlight) fail(new AgentStoppedError());
    await withDeadline(this.recycling ?? Promise.resolve(), STOP_TIMEOUT_MS + DISCONNECT_TIMEOUT_MS, 'runtime recycle').catch(() => undefined);
    await this.closeAll(true);
    await this.stopClient(this.client);
    await withDeadline(this.locks?.releaseAll() ?? Promise.resolve(), DISCONNECT_TIMEOUT_MS, 'lock release').catch(() => undefined);
    await this.gateway?.close();
    this.sandbox?.dispose();
    this.client = undefined;
  }

  /** Answers when the runtime does, within `timeoutMs` (for /healthz). */
  async ping(timeoutMs: number): Promise<void> {
    if (this.stopped || !this.client) throw new AgentStoppedError();
    await withDeadline(this.client.ping('health'), timeoutMs, 'Copilot runtime ping');
  }

  /** Number of sessions currently held open in the runtime. */
  get liveSessions(): number {
    return this.live.size;
  }

  /** The sessions held open in the runtime, least recently used first (for operators' tools and tests). */
  get liveIds(): SessionId[] {
    return [...this.live.keys()];
  }

  /** Sessions the SDK's client still holds objects for (see `dropDisconnected`; for tests). */
  get clientSessions(): number {
    return sdkSessions(this.client)?.size ?? 0;
  }

  /** The runtime process id (for operators' tools and tests). */
  get runtimePid(): number | undefined {
    return runtimeProcess(this.client)?.pid;
  }

  /** Resident memory of the runtime process in MB, when the platform tells it (Linux). */
  runtimeRssMb(): number | undefined {
    const pid = runtimeProcess(this.client)?.pid;
    if (!pid) return undefined;
    // The process tree: in the sandbox the runtime runs below its launcher.
    const kb = runtimeRssKb(pid);
    return kb === undefined ? undefined : kb / 1024;
  }

  /**
   * Drains in-flight work, stops the runtime and starts a fresh one. Calls that arrive
   * meanwhile wait and then run in their original order against the new runtime.
   */
  recycle(reason: string): Promise<void> {
    this.recycling ??= (async () => {
      const log = this.options.logger;
      log.info({ reason, liveSessions: this.live.size, rssMb: this.runtimeRssMb() }, 'recycling the Copilot runtime');
      await this.leasesIdle();
      await this.closeAll(false);
      await this.stopClient(this.client);
      if (this.stopping) throw new AgentStoppedError();
      await this.startClient();
      this.opened = 0;
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
   * Stops a runtime politely, then by force; a dead one may answer neither, so both are bounded.
   * A signal sent to the whole process group (Ctrl-C, systemd, `kill -- -PGID`) reaches the
   * runtime too: it exits within milliseconds, but the SDK's stop() goes on waiting for an answer
   * to its `runtime.shutdown` request (10 s; measured on 1.0.14). So the runtime's own exit ends
   * the wait as well: then there is nobody left to ask, and only the connection is let go.
   */
  private async stopClient(client: CopilotClient | undefined): Promise<void> {
    if (!client) return;
    const child = runtimeProcess(client);
    const polite = withDeadline(client.stop(), STOP_TIMEOUT_MS, 'runtime stop');
    const first = await Promise.race([polite.then(() => 'stopped' as const), (child ? exited(child) : new Promise<never>(() => undefined)).then(() => 'exited' as const)]).catch(
      (err: unknown) => err,
    );
    if (first === 'stopped') return;
    polite.catch(() => undefined);
    if (first !== 'exited') this.options.logger.warn({ err: String(first) }, 'the Copilot runtime did not stop; killing it');
    await withDeadline(client.forceStop(), FORCE_STOP_TIMEOUT_MS, 'runtime kill').catch(() => undefined);
    if (first !== 'exited') child?.kill('SIGKILL');
  }

  private async maybeRecycle(): Promise<void> {
    if (this.recycling || this.stopping) return;
    const { recycleSessions, recycleMb } = this.options;
    let reason: string | undefined;
    if (recycleSessions > 0 && this.opened >= recycleSessions) reason = `opened ${this.opened} sessions`;
    else if (recycleMb > 0) {
      const rss = this.runtimeRssMb();
      if (rss !== undefined && rss >= recycleMb) reason = `runtime RSS ${Math.round(rss)} MB`;
    }
    if (reason) await this.recycle(reason).catch((err: unknown) => this.options.logger.error({ err }, 'runtime recycle failed'));
  }

  private async startClient(): Promise<void> {
    // Nothing the last runtime (or a tool) left in the runtime's home is read by the next one,
    // and nothing the last one knew (the gateway's secret) opens anything now.
    this.sandbox?.renewHome();
    this.gatewayToken = randomBytes(24).toString('hex');
    const client = this.newClient();
    this.client = client;
    await client.start();
    // If the runtime process dies (killed, out of memory), fail the turns waiting on it at once
    // and start a new one: sessions are on disk, so the next message resumes its thread.
    runtimeProcess(client)?.once('exit', (code, signal) => {
      if (this.client !== client || this.stopped) return;
      if (this.stopping) {
        this.options.logger.info({ code, signal }, 'the Copilot runtime exited during shutdown');
        for (const fail of this.inFlight) fail(new AgentStoppedError());
        return;
      }
      this.options.logger.error({ code, signal }, 'the Copilot runtime exited unexpectedly; restarting it');
      for (const fail of this.inFlight) fail(new RuntimeExitedError());
      void this.recycle('runtime exited').catch((err: unknown) => this.options.logger.error({ err: String(err) }, 'runtime restart failed'));
    });
  }

  private newClient(): CopilotClient {
    const env: Record<string, string> = {};
    for (const key of RUNTIME_ENV) if (process.env[key] !== undefined) env[key] = process.env[key]!;
    const { auth } = this.options;
    const sandbox = this.sandbox;
    const sessionFs = this.sessions.fsConfig(this.workDir);
    const common = {
      mode: 'empty' as const,
      ...(sessionFs ? { sessionFs } : {}),
      workingDirectory: this.workDir,
      logLevel: 'error' as const,
      useLoggedInUser: false,
      // Session calls carry the active trace, so the runtime's spans join the message's trace.
      onGetTraceContext: traceContext,
      // Sandboxed, the runtime's spans go out through the gateway's trace route.
      ...(this.options.telemetryEndpoint
        ? { telemetry: { otlpEndpoint: sandbox ? `${sandbox.gatewayUrl}/${this.gatewayToken}/otel` : this.options.telemetryEndpoint, otlpProtocol: 'http/json' as const, sourceName: 'copilot-threads.runtime' } }
        : {}),
    };
    if (sandbox) {
      // Its network is the gateway: Copilot's hosts through it (GitHub mode), nothing else.
      const proxy = auth?.kind === 'github' ? `http://runtime:${this.gatewayToken}@127.0.0.1:${new URL(sandbox.gatewayUrl).port}` : undefined;
      for (const key of ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY']) delete env[key];
      // The token goes with each session (credentials.ts), so it is in no environment a tool can read.
      return new CopilotClient({
        ...common,
        baseDirectory: sandbox.runtimeHome,
        connection: RuntimeConnection.forStdio({
          path: sandbox.launcher,
          args: sandbox.args,
          env: { ...env, ...sandbox.env, ...(proxy ? { HTTPS_PROXY: proxy, HTTP_PROXY: proxy, NO_PROXY: '127.0.0.1,localhost' } : {}) },
        }),
      });
    }
    return new CopilotClient({
      ...common,
      baseDirectory: this.options.home,
      env,
    });
  }

  /** Upstreams the runtime reaches through the gateway, credentials put in on the way. */
  private gatewayRoutes(): Record<string, Upstream> {
    const routes: Record<string, Upstream> = {};
    const { auth, telemetryEndpoint } = this.options;
    if (auth?.kind === 'provider') routes.model = modelUpstream(auth);
    if (telemetryEndpoint) routes.otel = { baseUrl: telemetryEndpoint, headers: {} };
    return routes;
  }

  /**
   * A thread's own folder, `<workspace>/<session id>`: its tools' working directory and all they
   * can see of the disk. With no tools enabled, every session works in the workspace itself.
   */
  threadFolder(id: SessionId): string {
    return this.allowedTools.size > 0 ? path.join(this.workDir, id) : this.workDir;
  }

  /** Where a thread's files live: its tools' folder, and the files people attached in it. */
  private filesFolder(id: SessionId): string {
    return path.join(this.workDir, id);
  }

  /** What the tool sandbox enforces, in words (start log, /healthz); undefined when there is none. */
  sandboxReport(): Record<string, string> | undefined {
    if (!this.sandbox) return undefined;
    const egress = this.options.toolEgress;
    return {
      ...describeLimits(this.options.toolLimits),
      network: egress?.allowed.length ? `only ${egress.allowed.join(', ')} (through the bot's proxy)` : 'none',
    };
  }

  /** Kills whatever processes `id`'s tools still run (the turn ended, or the thread is forgotten). */
  private killTools(id: SessionId, why: string): void {
    const pid = runtimeProcess(this.client)?.pid;
    if (!this.sandbox || !pid) return;
    const killed = killToolSandboxes(pid, id);
    if (killed) this.options.logger.info({ sessionId: id, commands: killed, why }, 'stopped the processes a thread\'s tools left running');
  }

  /** Waits out a recycle, then runs `fn` on the current client, counted as in-flight work. */
  private async withClient<T>(fn: (client: CopilotClient) => Promise<T>): Promise<T> {
    await this.gate();
    this.leases++;
    try {
      return await fn(this.client!);
    } finally {
      this.releaseLease();
    }
  }

  private async gate(): Promise<void> {
    await this.settled();
    if (this.stopped || !this.client) throw new AgentStoppedError();
  }

  private async acquire(id: SessionId, how: { reading?: boolean } = {}): Promise<{ live: Live; session: CopilotSession; created: boolean }> {
    await this.gate();
    let live = this.live.get(id);
    if (live?.stale && live.leases === 0) {
      await this.close(id);
      live = undefined;
    }
    if (live) {
      // Most recently used last: the limit of live sessions lets go of the front first.
      this.live.delete(id);
      this.live.set(id, live);
    } else {
      live = { session: this.open(id, how.reading === true), leases: 0, idleTimer: undefined, stale: false, fresh: true, idleSince: 0 };
      this.live.set(id, live);
      this.opened++;
    }
    const entry = live;
    entry.leases++;
    this.leases++;
    clearTimeout(entry.idleTimer);
    // Past the limit, another (idle) session goes; this one is taken now, so never itself.
    this.evictIdle();
    try {
      const { session, created } = await entry.session;
      // Only the first caller on a new session hears that it was created.
      const first = created && entry.fresh;
      entry.fresh = false;
      return { live: entry, session, created: first };
    } catch (err) {
      // Unmap first, so releasing this failed entry never schedules a close of a newer one.
      if (this.live.get(id) === entry) this.live.delete(id);
      this.release(id, entry);
      throw err;
    }
  }

  private release(id: SessionId, live: Live): void {
    live.leases--;
    this.releaseLease();
    if (live.leases === 0) live.idleSince = performance.now();
    if (live.leases === 0 && this.live.get(id) === live) {
      live.idleTimer = setTimeout(() => {
        if (this.live.get(id) === live && live.leases === 0) void this.close(id);
      }, live.stale || this.closeWhenIdle || this.wanted.has(id) ? 0 : this.options.idleMs);
      live.idleTimer.unref();
    }
  }

  /**
   * Past `maxLive`, the least recently used sessions idle for EVICT_IDLE_MS are disconnected. Busy
   * ones stay (the limit is exceeded while more threads than it run at once); those not idle long
   * enough are looked at again shortly.
   */
  private evictIdle(): void {
    const max = this.options.maxLive ?? 0;
    if (max <= 0 || this.live.size <= max) return;
    const now = performance.now();
    for (const [id, live] of this.live) {
      if (this.live.size <= max) return;
      if (live.leases === 0 && now - live.idleSince >= EVICT_IDLE_MS) void this.close(id);
    }
    if (this.live.size > max && !this.trimTimer && !this.stopping) {
      this.trimTimer = setTimeout(() => {
        this.trimTimer = undefined;
        this.evictIdle();
      }, EVICT_IDLE_MS);
      this.trimTimer.unref();
    }
  }

  /** Lets go of idle sessions another process is waiting for; busy ones go when their turn ends. */
  private yieldWanted(): void {
    if (!this.locks || this.live.size === 0) {
      this.wanted.clear();
      return;
    }
    this.wanted = new Set(this.locks.wanted());
    for (const id of this.wanted) {
      const live = this.live.get(id as SessionId);
      if (live && live.leases === 0) void this.close(id as SessionId);
    }
  }

  private lockWait() {
    return { waitMs: this.options.lockWaitMs, cancelled: () => (this.stopping ? new AgentStoppedError() : undefined) };
  }

  private releaseLease(): void {
    this.leases--;
    if (this.leases === 0) {
      const waiters = this.leasesDrained;
      this.leasesDrained = [];
      for (const w of waiters) w();
    }
  }

  private leasesIdle(): Promise<void> {
    if (this.leases === 0) return Promise.resolve();
    return new Promise((resolve) => this.leasesDrained.push(resolve));
  }

  private async open(id: SessionId, reading: boolean): Promise<{ session: CopilotSession; created: boolean }> {
    await this.closing.get(id);
    await this.locks!.acquire(id, this.lockWait());
    try {
      return await this.resumeOrCreate(id, reading);
    } catch (err) {
      await this.locks!.release(id).catch(() => undefined);
      throw err;
    }
  }

  private async resumeOrCreate(id: SessionId, reading: boolean): Promise<{ session: CopilotSession; created: boolean }> {
    const client = this.client!;
    const folder = this.threadFolder(id);
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    if (this.sandbox) fs.lchownSync(folder, this.sandbox.owner.uid, this.sandbox.owner.gid);
    // Provider keys are never written to disk, so model and provider go with every resume too.
    const config = this.sessionConfig(id);
    if (await this.sessions.exists(client, id)) {
      // Reading history should not add a "resumed" event to the history it reads.
      return { session: await client.resumeSession(id, { ...config, suppressResumeEvent: reading }), created: false };
    }
    return { session: await client.createSession({ ...config, sessionId: id }), created: true };
  }

  private sessionConfig(id: SessionId): SessionConfig {
    const { auth, model, systemPrompt } = this.options;
    const provider = this.sessions.provider?.bind(this.sessions);
    return {
      ...(provider ? { createSessionFsProvider: () => provider(id, this.threadFolder(id), this.sandbox?.owner) } : {}),
      ...(model ? { model } : {}),
      ...sessionCredentials(auth, this.sandbox ? { url: this.sandbox.gatewayUrl, token: this.gatewayToken } : undefined),
      availableTools: [...this.allowedTools],
      workingDirectory: this.threadFolder(id),
      streaming: true,
      ...(systemPrompt ? { systemMessage: { mode: 'append' as const, content: systemPrompt } } : {}),
      onPermissionRequest: (request, invocation) =>
        answerPermission(
          request,
          invocation.sessionId,
          this.turns.get(invocation.sessionId),
          { allowedTools: this.allowedTools, approvalTools: this.approvalTools, workspace: this.threadFolder(invocation.sessionId as SessionId), real: realLocation },
          this.options.logger,
        ),
    };
  }



  /** Disconnects a live session (its data stays on disk). */
  private close(id: SessionId): Promise<void> {
    const live = this.live.get(id);
    if (!live) return this.closing.get(id) ?? Promise.resolve();
    this.live.delete(id);
    clearTimeout(live.idleTimer);
    const done = (async () => {
      try {
        const { session } = await live.session;
        try {
          await withDeadline(session.disconnect(), DISCONNECT_TIMEOUT_MS, 'session disconnect');
        } finally {
          dropDisconnected(this.client, session);
        }
      } catch (err) {
        // Not opened (its lock was never taken or already dropped), or the runtime is gone.
        this.options.logger.debug({ err, sessionId: id }, 'disconnect failed');
      }
      // Released only once the session is closed: nothing of it is written after this.
      await withDeadline(this.locks?.release(id) ?? Promise.resolve(), DISCONNECT_TIMEOUT_MS, 'lock release').catch((err: unknown) =>
        this.options.logger.warn({ err: String(err), sessionId: id }, 'session lock release failed (it expires by itself)'),
      );
    })().finally(() => {
      if (this.closing.get(id) === done) this.closing.delete(id);
    });
    this.closing.set(id, done);
    return done;
  }

  private async closeAll(abort: boolean): Promise<void> {
    await Promise.all(
      [...this.live.keys()].map(async (id) => {
        if (abort) {
          const live = this.live.get(id);
          const opened = await live?.session.catch(() => undefined);
          if (live && live.leases > 0 && opened) await withDeadline(opened.session.abort(), DISCONNECT_TIMEOUT_MS, 'turn abort').catch(() => undefined);
        }
        await this.close(id);
      }),
    );
  }
}
