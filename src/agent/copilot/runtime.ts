/**
 * The Copilot runtime this process talks to: one `CopilotClient` and the runtime process behind
 * it, in the tool sandbox with its gateway when tools are on. It starts, stops (politely, then by
 * force, each bounded), restarts with a fresh secret, says when the process died, and measures
 * it. It knows nothing of sessions: the session pool and the agent do.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { CopilotClient, RuntimeConnection, type CopilotSession, type SessionFsConfig } from '@github/copilot-sdk';
import { traceContext } from '../../infra/tracing.js';
import { withDeadline } from '../../infra/deadline.js';
import type { Logger } from '../../infra/log.js';
import type { ModelAuth, SessionId } from '../../domain.js';
import { AgentStoppedError, RepoError, type RepoWork } from '../agent.js';
import { GIT_SCRIPT, gitArgs, gitOutcome } from '../repos.js';
import { SANDBOX_DIR } from '../sandbox/scripts.js';
import { runProcess } from '../../infra/run-process.js';
import { killToolSandboxes, prepareSandbox, runtimeRssKb, type Sandbox } from '../sandbox/sandbox.js';
import { modelUpstream, startGateway, type Gateway, type Upstream } from '../sandbox/gateway.js';
import type { EgressPolicy, Pin } from '../sandbox/egress-policy.js';
import type { FolderOwner } from '../thread-files.js';
import { apiUrlOf } from '../../infra/github-oauth.js';
import { describeLimits, type ToolLimits } from '../sandbox/limits.js';
import { dropDisconnected, exited, runtimeProcess, sdkSessions } from './sdk-internals.js';

export interface RuntimeOptions {
  /** COPILOT_HOME: the runtime's base directory (unsandboxed) and the parent of the workspace. */
  home: string;
  /** Where sessions work: `<home>/workspace`, one folder per thread below it when tools are on. */
  workDir: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the runtime exports its own spans there too, in the bot's traces. */
  telemetryEndpoint?: string;
  auth: ModelAuth | undefined;
  /**
   * Per-user on GitHub Enterprise (GITHUB_URL other than github.com): the host people's tokens
   * are for. Runtime 1.0.14 resolves a token's account against `COPILOT_GH_HOST` (then `GH_HOST`),
   * so that is set; its API host is allowed through the sandbox's gateway.
   */
  githubUrl?: string;
  /** How session state is kept, when not in the runtime's own folders (see SessionStore.fsConfig). */
  sessionFs: SessionFsConfig | undefined;
  /** Start in a sandbox (see sandbox/sandbox.ts); `start()` fails with `SandboxUnavailableError` where it cannot be made. */
  sandboxed: boolean;
  /** What one tool command may use (sandboxed; TOOLS_MAX_*). */
  toolLimits: ToolLimits;
  /** Where tools may connect through the gateway (sandboxed); no hosts: tools have no network. */
  toolEgress?: EgressPolicy;
  /** MCP_CONFIG's remote servers' hosts: the runtime reaches them through the gateway (sandboxed). */
  mcpHosts?: readonly string[];
  /** Of those, the ones the operator gave as an address (their stand-in names, pinned there). */
  mcpPins?: ReadonlyMap<string, Pin>;
  /** MCP_CONFIG's stdio servers and their files, bound read-only into the sandbox (see SandboxOptions). */
  mcpServers?: ReadonlyArray<{ name: string; readPaths: readonly string[] }>;
  logger: Logger;
}

/** Hosts the runtime itself reaches with a GitHub token (through the gateway, sandboxed). */
export const COPILOT_HOSTS = ['github.com', '*.github.com', '*.githubcopilot.com', '*.githubusercontent.com', '*.ghe.com'];

/** The runtime reaches Copilot itself (with a GitHub token), not a provider through the gateway. */
function usesCopilot(auth: ModelAuth | undefined): boolean {
  return auth?.kind === 'github' || auth?.kind === 'per-user';
}

/** Variables the runtime may see. Everything else (chat tokens, store passwords) stays out of reach of any tool. */
const RUNTIME_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'SSL_CERT_FILE',
  'NODE_EXTRA_CA_CERTS',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  // Where the runtime asks GitHub about an account: the runtime's own override (the tests' fake GitHub). No secret.
  'COPILOT_DEBUG_GITHUB_API_URL',
];

/** A local repository's folder as it really is (links followed); RepoError when there is none. */
function localRepository(p: string): string {
  try {
    const real = fs.realpathSync(p);
    if (fs.statSync(real).isDirectory()) return real;
  } catch {
    // below
  }
  throw new RepoError(`There is no repository at ${p} on the bot's host.`, 'git');
}

/** Repository clones or refreshes at once on one instance (the rest wait their turn). */
const REPO_RUNS_AT_ONCE = 2;

/** How long a runtime gets to stop before it is killed. */
export const STOP_TIMEOUT_MS = 5000;
const FORCE_STOP_TIMEOUT_MS = 2000;

export class CopilotRuntime {
  private current: CopilotClient | undefined;
  private sandbox: Sandbox | undefined;
  /** Sandboxed: the sandbox's only way out (the model, traces, and allowed hosts). */
  private gateway: Gateway | undefined;
  /** The runtime's secret with the gateway (new at every runtime start): its model key, the trace route's first path segment, its proxy password. */
  private gatewayToken = randomBytes(24).toString('hex');
  private stopped = false;
  /** Repository clones running, and those waiting for one to end. */
  private repoRuns = 0;
  private readonly repoWaiting: Array<() => void> = [];
  private exitHandler: (code: number | null, signal: NodeJS.Signals | null) => void = () => undefined;

  constructor(private readonly options: RuntimeOptions) {}

  /** Makes the workspace (and the sandbox with its gateway) and starts the runtime. */
  async start(): Promise<void> {
    fs.mkdirSync(this.options.workDir, { recursive: true });
    // Left by versions that kept the launcher in COPILOT_HOME: nothing runs it any more.
    fs.rmSync(path.join(this.options.home, 'sandbox'), { recursive: true, force: true });
    if (this.options.sandboxed) {
      const egress = this.options.toolEgress ?? { allowed: [], pinned: new Map(), refusedEndpoints: new Set() };
      this.sandbox = prepareSandbox({ workspace: this.options.workDir, limits: this.options.toolLimits, toolNetwork: egress.allowed.length > 0, mcpServers: this.options.mcpServers ?? [] });
      try {
        this.gateway = await startGateway({
          socketPath: this.sandbox.gatewaySocket,
          owner: this.sandbox.owner,
          token: () => this.gatewayToken,
          routes: this.gatewayRoutes(),
          runtimeEgress: this.runtimeEgress(egress),
          toolEgress: egress,
          logger: this.options.logger.child({ part: 'sandbox-gateway' }),
        });
      } catch (err) {
        this.sandbox.dispose();
        throw err;
      }
    }
    // A runtime that does not start leaves no gateway listening (it would keep the process alive).
    await this.startClient().catch(async (err: unknown) => {
      await this.gateway?.close();
      this.sandbox?.dispose();
      throw err;
    });
  }

  /**
   * Called when the current runtime process exits by itself (killed, out of memory, or reached by
   * a signal meant for the whole process group), never after `stop()` nor for a replaced one.
   */
  onExit(handler: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.exitHandler = handler;
  }

  /** The client of the running runtime; `AgentStoppedError` once stopped. */
  get client(): CopilotClient {
    if (this.stopped || !this.current) throw new AgentStoppedError();
    return this.current;
  }

  get running(): boolean {
    return !this.stopped && this.current !== undefined;
  }

  /**
   * Stops this runtime and starts a fresh one (sessions are on disk: nothing is lost), unless
   * shutdown began while the old one stopped.
   */
  async restart(shuttingDown: () => boolean): Promise<void> {
    const old = this.current;
    // Stopped on purpose: its exit is no news (the exit watch looks for the current client).
    this.current = undefined;
    try {
      await this.stopClient(old);
    } finally {
      this.current ??= old;
    }
    if (this.stopped || shuttingDown()) throw new AgentStoppedError();
    await this.startClient();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopClient(this.current);
    await this.gateway?.close();
    this.sandbox?.dispose();
    this.current = undefined;
  }

  /** Answers when the runtime does, within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<void> {
    await withDeadline(this.client.ping('health'), timeoutMs, 'Copilot runtime ping');
  }

  /** Sandboxed: where sessions reach the model, and with which secret (see credentials.ts). */
  get gatewayAccess(): { url: string; token: string } | undefined {
    return this.sandbox ? { url: this.sandbox.gatewayUrl, token: this.gatewayToken } : undefined;
  }

  /** Sandboxed: who owns the files tools may touch. */
  get owner(): FolderOwner | undefined {
    return this.sandbox?.owner;
  }

  /** Lets the SDK's client forget a disconnected session (see `dropDisconnected`). */
  dropSession(session: CopilotSession): void {
    dropDisconnected(this.current, session);
  }

  /** Sessions the SDK's client still holds objects for (see `dropDisconnected`; for tests). */
  get clientSessions(): number {
    return sdkSessions(this.current)?.size ?? 0;
  }

  /** The runtime process id (for operators' tools and tests). */
  get pid(): number | undefined {
    return runtimeProcess(this.current)?.pid;
  }

  /** Resident memory of the runtime process in MB, when the platform tells it (Linux). */
  rssMb(): number | undefined {
    const pid = this.pid;
    if (!pid) return undefined;
    // The process tree: in the sandbox the runtime runs below its launcher.
    const kb = runtimeRssKb(pid);
    return kb === undefined ? undefined : kb / 1024;
  }

  /** Kills whatever processes `id`'s tools still run (the turn ended), or its MCP servers too (the thread is forgotten). */
  killTools(id: SessionId, why: string, servers = false): void {
    const pid = this.pid;
    if (!this.sandbox || !pid) return;
    const killed = killToolSandboxes(pid, id) + (servers ? killToolSandboxes(pid, id, 'servers') : 0);
    if (killed) this.options.logger.info({ sessionId: id, commands: killed, why }, 'stopped the processes a thread\'s tools left running');
  }

  /**
   * Clones or refreshes a thread's repository in `folder` (the thread's): in the thread's sandbox
   * with a proxy password that opens only the repository's host, or (no sandbox) by git here.
   */
  async runRepo(id: SessionId, work: RepoWork, folder: string): Promise<{ commit: string }> {
    // A few at a time on this instance: each is a sandbox, a forwarder and git, up to the tools' limits.
    while (this.repoRuns >= REPO_RUNS_AT_ONCE) await new Promise<void>((r) => this.repoWaiting.push(r));
    this.repoRuns++;
    try {
      return await this.runRepoNow(id, work, folder);
    } finally {
      this.repoRuns--;
      this.repoWaiting.shift()?.();
    }
  }

  private async runRepoNow(id: SessionId, work: RepoWork, folder: string): Promise<{ commit: string }> {
    const limits = this.options.toolLimits;
    const timeoutMs = (limits.seconds + 15) * 1000;
    const local = work.local ? localRepository(work.local) : undefined;
    if (!this.sandbox || !this.gateway) {
      const run = await runProcess('/bin/sh', ['-c', GIT_SCRIPT, 'repo', ...gitArgs(work)], { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), CT_REPO_AUTH: work.authorization ?? '' }, folder, timeoutMs);
      return gitOutcome(run, work, limits, work.authorization);
    }
    const argv = ['/bin/sh', `${SANDBOX_DIR}/repo.sh`, id, ...gitArgs(work)];
    if (local) {
      // Nothing to reach: the repository is bound in, read-only, as it really is.
      const run = await this.sandbox.run(argv, { CT_REPO_SCRIPT: GIT_SCRIPT, CT_REPO_READ: local }, timeoutMs, [local]);
      return gitOutcome(run, work, limits);
    }
    const tools = this.options.toolEgress;
    const pin = tools?.pinned.get(work.host);
    const grant = this.gateway.grant({ allowed: [work.host], pinned: new Map(pin ? [[work.host, pin]] : []), refusedEndpoints: tools?.refusedEndpoints ?? new Set() });
    try {
      const proxy = `http://repo:${grant.password}@127.0.0.1:${new URL(this.sandbox.gatewayUrl).port}`;
      const run = await this.sandbox.run(argv, { CT_REPO_SCRIPT: GIT_SCRIPT, CT_REPO_PROXY: proxy, CT_REPO_AUTH: work.authorization ?? '' }, timeoutMs);
      return gitOutcome(run, work, limits, work.authorization);
    } finally {
      grant.revoke();
    }
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

  private async startClient(): Promise<void> {
    // Nothing the last runtime (or a tool) left in the runtime's home is read by the next one,
    // and nothing the last one knew (the gateway's secret) opens anything now.
    this.sandbox?.renewHome();
    this.gatewayToken = randomBytes(24).toString('hex');
    const client = this.newClient();
    this.current = client;
    await client.start();
    runtimeProcess(client)?.once('exit', (code, signal) => {
      if (this.current === client && !this.stopped) this.exitHandler(code, signal);
    });
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

  private newClient(): CopilotClient {
    const env: Record<string, string> = {};
    for (const key of RUNTIME_ENV) if (process.env[key] !== undefined) env[key] = process.env[key]!;
    const { auth, sessionFs } = this.options;
    if (this.options.githubUrl) env.COPILOT_GH_HOST = new URL(this.options.githubUrl).origin;
    const sandbox = this.sandbox;
    const common = {
      mode: 'empty' as const,
      ...(sessionFs ? { sessionFs } : {}),
      workingDirectory: this.options.workDir,
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
      // Its network is the gateway: Copilot's hosts through it (GitHub mode) and remote MCP servers', nothing else.
      const proxy = usesCopilot(auth) || this.options.mcpHosts?.length ? `http://runtime:${this.gatewayToken}@127.0.0.1:${new URL(sandbox.gatewayUrl).port}` : undefined;
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
    return new CopilotClient({ ...common, baseDirectory: this.options.home, env });
  }

  /**
   * Where the runtime itself may connect through the gateway: Copilot's hosts (GitHub mode) and
   * the remote MCP servers' (pinned where the operator pinned them); undefined: nowhere.
   */
  private runtimeEgress(tools: EgressPolicy): EgressPolicy | undefined {
    const mcp = this.options.mcpHosts ?? [];
    const allowed = [...(usesCopilot(this.options.auth) ? this.copilotHosts() : []), ...mcp];
    if (allowed.length === 0) return undefined;
    const pinned = new Map([...tools.pinned].filter(([host]) => mcp.includes(host)));
    for (const [host, pin] of this.options.mcpPins ?? []) pinned.set(host, pin);
    return { allowed, pinned, refusedEndpoints: tools.refusedEndpoints };
  }

  /** Where a runtime on Copilot may connect: Copilot's hosts, and a GitHub Enterprise's API (per-user). */
  private copilotHosts(): string[] {
    const url = this.options.githubUrl;
    if (!url) return COPILOT_HOSTS;
    const hosts = [new URL(url).hostname, new URL(apiUrlOf(url)).hostname];
    return [...COPILOT_HOSTS, ...hosts.filter((h, i) => !COPILOT_HOSTS.includes(h) && hosts.indexOf(h) === i)];
  }

  /** Upstreams the runtime reaches through the gateway, credentials put in on the way. */
  private gatewayRoutes(): Record<string, Upstream> {
    const routes: Record<string, Upstream> = {};
    const { auth, telemetryEndpoint } = this.options;
    if (auth?.kind === 'provider') routes.model = modelUpstream(auth);
    if (telemetryEndpoint) routes.otel = { baseUrl: telemetryEndpoint, headers: {} };
    return routes;
  }
}
