/**
 * Wires the pieces every entry point shares (bot, console chat, admin CLI): store, agent and
 * conversation core, with an orderly shutdown. Dependencies are built here and passed down;
 * nothing below reaches for a global.
 */
import { checkHome } from './agent/home.js';
import net from 'node:net';
import path from 'node:path';
import { ConfigError, type Config } from './config.js';
import type { Logger } from './infra/log.js';
import { CopilotAgent } from './agent/copilot/agent.js';
import type { AgentRuntime } from './agent/agent.js';
import { Conversation } from './core/conversation.js';
import { openStore, type Store } from './store/store.js';
import { withDeadline } from './infra/deadline.js';
import { openSharedState, type SharedState } from './agent/session-state/shared-state.js';
import { mcpToolName, NO_PROFILES, type SessionId } from './domain.js';
import { accessRules } from './core/access.js';
import { ApprovalDesk } from './core/approvals/desk.js';
import { Audit } from './core/audit.js';
import { UsageMeter } from './core/usage.js';
import { Metrics } from './infra/metrics.js';
import { toolLimits } from './agent/sandbox/limits.js';
import { ownEndpoints } from './agent/sandbox/own-endpoints.js';
import { GitHubOAuth } from './infra/github-oauth.js';
import { Accounts } from './core/identity/accounts.js';
import { ProfileHolder, type ProfileSources } from './profiles.js';
import { addKnownSecrets } from './core/redact.js';
import { which } from './infra/which.js';
import { loadMcpConfig, mcpApprovalProblem, mcpHosts, McpConfigError, NO_MCP, type McpConfig } from './mcp-config.js';
import { profileFor } from './core/profiles.js';
import { Scheduler } from './core/schedules/scheduler.js';

/** Bounds on the shutdown steps after the grace period (each part also bounds its own calls). */
const AGENT_STOP_MS = 12_000;
const STORE_CLOSE_MS = 3000;
/** Per-user tokens are refreshed this long before they would expire during a turn. */
const REFRESH_SPARE_MS = 5 * 60_000;

export interface App {
  config: Config;
  logger: Logger;
  store: Store;
  agent: AgentRuntime;
  /** Present in shared mode (SESSION_STATE_URL). */
  shared: SharedState | undefined;
  conversation: Conversation;
  /** What `GET /metrics` shows; adapters count their platform calls and de-duplicated deliveries in it. */
  metrics: Metrics;
  /** The audit trail: what people and administrators made the bot do (core/audit.ts). */
  audit: Audit;
  /** COPILOT_AUTH=per-user: people's linked GitHub accounts. */
  accounts: Accounts | undefined;
  /** Each person's usage, written behind the turns (`flush()` waits for it). */
  usage: UsageMeter;
  /** CHANNEL_CONFIG and AGENTS_DIR as loaded; `reload()` reads them again (SIGHUP). */
  profiles: ProfileHolder;
  /** Runs scheduled prompts once adapters `use` it and the entry point `start`s it (the bot, the console chat). */
  scheduler: Scheduler;
  /** Lets queued turns finish for up to `graceMs`, aborts the rest, and closes everything. */
  shutdown(graceMs: number): Promise<void>;
}

/** `role` names this process in session locks: `bot`, `chat` or `cli`. */
export async function createApp(config: Config, logger: Logger, role = 'bot'): Promise<App> {
  // So does a COPILOT_HOME that cannot be written (and a store that cannot be used, naming STORE_URL).
  checkHome(config.copilotHome);
  // A mistake in CHANNEL_CONFIG or AGENTS_DIR stops the start with its file, line and key (ProfileError).
  // The admin CLI runs no turn: it needs neither (and `config check` reads them itself).
  // MCP_CONFIG too (the admin CLI runs no turn); its servers are tools a channel or an agent may name.
  const mcp = role === 'cli' ? NO_MCP : loadMcp(config);
  // Its secrets are masked in whatever the bot shows or keeps (a tool's error that echoes one).
  addKnownSecrets(mcp.secrets);
  // Repositories are fetched by the host's git (in the sandbox): found now, not at someone's first `repo`.
  if (role !== 'cli' && config.repos.allowed.length > 0 && !which('git')) throw new ConfigError('REPOS_ALLOWED', 'repositories are fetched with git, which is not installed on this host (apt install git), or set REPOS_ALLOWED empty');
  const profiles = new ProfileHolder(profileSources(config, mcp), role === 'cli' ? NO_PROFILES : undefined);
  if (config.channelConfig || config.agentsDir) logger.info(describeProfiles(profiles), 'channel profiles and agents loaded');
  const store = await openStore(config.storeUrl, config.storeTimeoutMs, config.namespace, config.keyring);
  try {
    await store.check();
  } catch (err) {
    await withDeadline(store.close(), STORE_CLOSE_MS, 'store close').catch(() => undefined);
    throw err;
  }
  let shared: SharedState | undefined;
  // The agent is made with the shared state; a failed write of that state reaches it through this.
  let stateLost = (_id: SessionId, _reason: string): void => undefined;
  const closeAll = () => Promise.all([store.close(), shared?.close()]);
  if (config.sessionStateUrl) {
    shared = await openSharedState({
      url: config.sessionStateUrl,
      namespace: config.namespace,
      timeoutMs: config.storeTimeoutMs,
      leaseMs: config.leaseMs,
      role,
      onWriteFailed: (id, err) => stateLost(id, `saving the session failed: ${err.message}`),
    }).catch(async (err: unknown) => {
      await withDeadline(store.close(), STORE_CLOSE_MS, 'store close').catch(() => undefined);
      throw err;
    });
  }
  // MCP servers are tools: they run in the sandbox too.
  const toolsOn = config.tools.length > 0 || mcp.servers.length > 0;
  const sandboxed = toolsOn && config.toolsSandbox;
  // Remote servers: the runtime's way out through the gateway (not the tools': they reach only TOOLS_ALLOWED_HOSTS).
  if (sandboxed && mcpHosts(mcp).length) logger.warn({ hosts: mcp.servers.flatMap((s) => (s.transport === 'stdio' ? [] : [new URL(s.url).host])) }, "MCP_CONFIG: the runtime reaches the remote servers' hosts through the sandbox's proxy (tools do not, unless TOOLS_ALLOWED_HOSTS lists them)");
  if (mcp.servers.length > 0 && !config.toolsSandbox) logger.warn('MCP_CONFIG with TOOLS_SANDBOX=off: stdio MCP servers run with the bot\'s own access to files, processes and the network');
  if (sandboxed && config.tools.includes('view')) {
    logger.warn('COPILOT_TOOLS has view: in the tool sandbox this runtime reports every file as missing to view; grep, glob, create and edit work (see docs/tools-and-safety.md)');
  }
  if (!sandboxed && config.toolsAllowedHosts.length > 0 && config.tools.length > 0) {
    logger.warn('TOOLS_ALLOWED_HOSTS applies only in the tool sandbox: with TOOLS_SANDBOX=off, tools reach whatever the host reaches');
  }
  if (toolsOn && !config.toolsSandbox) logger.warn('TOOLS_SANDBOX=off: tools run with the bot\'s own access to files and processes');
  if (config.identity && toolsOn && !config.toolsSandbox) {
    logger.warn('COPILOT_AUTH=per-user with TOOLS_SANDBOX=off: a tool can read the bot\'s environment and files, TOKEN_ENCRYPTION_KEY among them, and so open every person\'s GitHub token: keep the sandbox on');
  }
  if (config.identity && process.env.COPILOT_DEBUG_GITHUB_API_URL) {
    logger.warn({ url: process.env.COPILOT_DEBUG_GITHUB_API_URL }, 'COPILOT_DEBUG_GITHUB_API_URL is set: the Copilot runtime sends every person\'s GitHub token there (meant for tests against a fake GitHub)');
  }
  const agent = new CopilotAgent({
    home: config.copilotHome,
    ...(config.otelEndpoint ? { telemetryEndpoint: config.otelEndpoint } : {}),
    auth: config.auth,
    ...(config.identity && new URL(config.identity.githubUrl).hostname !== 'github.com' ? { githubUrl: config.identity.githubUrl } : {}),
    model: config.model,
    tools: config.tools,
    approvalTools: config.approvalTools,
    // Only tools can read what the runtime can see: without them there is nothing to isolate.
    sandboxed,
    toolLimits: toolLimits(config.toolsMax),
    ...(sandboxed
      ? {
          toolEgress: {
            allowed: config.toolsAllowedHosts,
            pinned: config.toolsPinnedHosts,
            refusedEndpoints: await ownEndpoints({ httpPort: config.port, serverUrls: [config.storeUrl, config.sessionStateUrl] }),
          },
        }
      : {}),
    systemPrompt: config.systemPrompt,
    maxAiCredits: config.maxAiCredits,
    idleMs: config.idleSeconds * 1000,
    maxLive: config.maxLiveSessions,
    recycleMb: config.recycleMb,
    recycleSessions: config.recycleSessions,
    logger: logger.child({ component: 'agent' }),
    role,
    profiles: () => profiles.current,
    mcp,
    // A thread another process holds is waited for, as long as a turn may take (with a person deciding on a tool).
    lockWaitMs: (config.turnTimeoutSeconds + (asksPeople(config, mcp) ? config.approvalTimeoutSeconds : 0)) * 1000,
    ...(shared ? { shared: { sessions: shared.sessions, lock: shared.lock } } : {}),
  });
  stateLost = (id, reason) => agent.sessionStateLost(id, reason);
  let queued = () => 0;
  const metrics = new Metrics(
    {
      queuedTurns: () => queued(),
      liveSessions: () => agent.liveSessions,
      runtimeRssBytes: () => {
        const mb = agent.runtimeRssMb();
        return mb === undefined ? undefined : Math.round(mb * 1024 * 1024);
      },
      runtimeRecycles: () => agent.recycles,
    },
    { processMetrics: role === 'bot' },
  );
  store.observe((operation, seconds, ok) => metrics.storeCall(operation, seconds, ok));
  try {
    await agent.start();
  } catch (err) {
    await withDeadline(closeAll(), STORE_CLOSE_MS, 'store close').catch(() => undefined);
    throw err;
  }
  const sandbox = agent.sandboxReport();
  if (sandbox) logger.info(sandbox, 'tool sandbox: what each command may use');
  const audit = new Audit(store.audit, logger.child({ component: 'audit' }));
  const usage = new UsageMeter(store.usage, { dailyTurns: config.access.dailyTurns, dailyToolRuns: config.access.dailyToolRuns }, logger.child({ component: 'usage' }));
  const approvals = new ApprovalDesk({
    store: store.approvals,
    journal: store.journal,
    timeoutMs: config.approvalTimeoutSeconds * 1000,
    admins: config.admins,
    approvers: config.approvers,
    logger: logger.child({ component: 'approvals' }),
    onOutcome: (tool, outcome) => metrics.approval(tool, outcome),
    audit,
  });
  // Per-user: a token is refreshed when it has less left than a turn may take, and some to spare.
  const accounts = config.identity
    ? new Accounts({
        store: store.identities,
        github: new GitHubOAuth({ url: config.identity.githubUrl, clientId: config.identity.clientId, ...(config.identity.clientSecret ? { clientSecret: config.identity.clientSecret } : {}) }),
        audit,
        logger: logger.child({ component: 'accounts' }),
        claimOnce: (key, ttlMs) => store.dedupe.claim(key, ttlMs),
        ...(config.identity.publicUrl ? { publicUrl: config.identity.publicUrl } : {}),
        refreshMarginMs: (config.turnTimeoutSeconds + config.approvalTimeoutSeconds) * 1000 + REFRESH_SPARE_MS,
      })
    : undefined;
  const conversation = new Conversation({
    agent,
    registry: store.registry,
    logger: logger.child({ component: 'core' }),
    turnTimeoutMs: config.turnTimeoutSeconds * 1000,
    admins: config.admins,
    contextBudget: config.contextBudget,
    fileLimits: config.fileLimits,
    access: {
      rules: accessRules(config.access, config.admins),
      maxPromptChars: config.access.maxPromptChars,
      userMessagesPerMinute: config.access.userMessagesPerMinute,
      limits: store.limits,
      claimOnce: (key, ttlMs) => store.dedupe.claim(key, ttlMs),
      profileOf: (thread) => profileFor(profiles.current, thread),
    },
    profiles,
    models: config.models,
    ...(config.model ? { defaultModel: config.model } : {}),
    schedules: { store: store.schedules, perUser: config.schedules.perUser, timeZone: config.schedules.timeZone },
    repos: { allowed: config.repos.allowed, baseUrl: config.repos.baseUrl, plainHttpHosts: new Set(config.toolsPinnedHosts.keys()), ...(config.repos.token ? { token: config.repos.token } : {}) },
    approvals,
    metrics,
    audit,
    usage,
    ...(accounts ? { accounts } : {}),
  });
  queued = () => conversation.queue.size;
  const scheduler = new Scheduler({
    store: store.schedules,
    claim: (key, ttlMs) => store.dedupe.claim(key, ttlMs),
    refusal: (thread) => conversation.accessRefusal(thread),
    // As a message of theirs: the rate limit and daily budget hold for scheduled turns too.
    admit: (thread, prompt) => conversation.admit(thread, prompt, { once: false }),
    ...(accounts ? { unready: async (thread) => ((await accounts.credentials(thread)).ok ? undefined : 'your GitHub account is not connected here (say `login`; your scheduled turns run as you)') } : {}),
    busy: (thread) => conversation.active(thread),
    logger: logger.child({ component: 'schedules' }),
  });
  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    store,
    agent,
    shared,
    conversation,
    metrics,
    audit,
    accounts,
    usage,
    profiles,
    scheduler,
    shutdown(graceMs) {
      closing ??= (async () => {
        // Nothing new starts in a process going away; a run already started is a turn like the others.
        scheduler.stop();
        agent.beginStop();
        // Sign-ins waiting for people end: their messages are not answered by a process going away.
        accounts?.stop();
        // Nobody can click a card of a process that is going away: its requests expire (denied) now.
        approvals.stop();
        const pending = conversation.queue.size;
        if (pending > 0) {
          logger.info({ pending, graceMs }, 'waiting for in-flight turns');
          const timedOut = await Promise.race([
            conversation.queue.idle().then(() => false),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref()),
          ]);
          if (timedOut) logger.warn({ pending: conversation.queue.size }, 'grace period over: aborting the remaining turns');
        }
        await withDeadline(agent.stop(), AGENT_STOP_MS, 'Copilot runtime stop').catch((err: unknown) => logger.warn({ err: String(err) }, 'Copilot runtime stop did not finish'));
        // What was recorded is stored before the store closes (each record's log line is out already).
        await withDeadline(Promise.all([audit.flush(), usage.flush()]), STORE_CLOSE_MS, 'audit and usage flush').catch(() => undefined);
        await withDeadline(closeAll(), STORE_CLOSE_MS, 'store close').catch((err: unknown) => logger.warn({ err: String(err) }, 'store close did not finish'));
      })();
      return closing;
    },
  };
}

/** Where CHANNEL_CONFIG and AGENTS_DIR are, and what they may name (COPILOT_TOOLS and MCP_CONFIG's servers, COPILOT_MODELS). */
export function profileSources(config: Config, mcp: McpConfig = NO_MCP): ProfileSources {
  return { channelConfig: config.channelConfig, agentsDir: config.agentsDir, tools: [...config.tools, ...mcp.servers.map((s) => mcpToolName(s.name))], models: config.models, modelsListed: config.modelsListed };
}

/** Whether a turn may wait for a person to approve a tool: a tool of COPILOT_TOOLS on the list, or an MCP server's while there are servers. */
function asksPeople(config: Config, mcp: McpConfig): boolean {
  return config.approvalTools.some((t) => (t.startsWith('mcp:') ? mcp.servers.length > 0 && t !== 'mcp:none' : true));
}

/**
 * MCP_CONFIG as read and checked against the rest: COPILOT_TOOLS_APPROVAL's `mcp:` entries must
 * name its servers; sandboxed, a remote server must be reached by a host name (the proxy's policy
 * is by names; a private one is pinned in TOOLS_PINNED_HOSTS).
 */
export function loadMcp(config: Config, env: NodeJS.ProcessEnv = process.env): McpConfig {
  if (!config.mcpConfig) {
    const problem = mcpApprovalProblem(config.approvalGiven, NO_MCP);
    if (problem) throw new ConfigError('COPILOT_TOOLS_APPROVAL', problem);
    return NO_MCP;
  }
  const store = config.storeUrl.startsWith('sqlite://') ? [path.dirname(config.storeUrl.slice('sqlite://'.length))] : [];
  const mcp = loadMcpConfig({ file: config.mcpConfig, env, protectedPaths: { private: [config.copilotHome, ...store], holding: [process.cwd()] } });
  const problem = mcpApprovalProblem(config.approvalGiven, mcp);
  if (problem) throw new ConfigError('COPILOT_TOOLS_APPROVAL', problem);
  if (config.toolsSandbox) {
    for (const s of mcp.servers) {
      if (s.transport === 'stdio' || s.via) continue;
      const host = new URL(s.url).hostname.replace(/^\[|\]$/g, '');
      if (net.isIP(host) || host === 'localhost') {
        throw new McpConfigError('MCP_CONFIG', config.mcpConfig, undefined, `servers.${s.name}.url`, `an https:// server at an address (${host}) cannot be reached from the tool sandbox, whose proxy goes by host names: give it by the name its certificate has`);
      }
    }
  }
  return mcp;
}

/** For the log: what was loaded, without the instructions' text. */
export function describeProfiles(holder: ProfileHolder): Record<string, unknown> {
  const { channels, agents, skills } = holder.current;
  return { places: channels.map((c) => c.selector), agents: agents.map((a) => a.name), skills: skills.map((s) => s.name) };
}
