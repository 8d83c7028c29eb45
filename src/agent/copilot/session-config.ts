/**
 * What a session is opened with, every time: the model and its credentials (provider keys are
 * never written to disk, so they go with every resume too), the tools it may use and where, the
 * operator's system prompt, and the permission bridge that asks the thread's people.
 */
import type { CopilotClient, MCPServerConfig, SessionConfig } from '@github/copilot-sdk';
import type { AgentDefinition, McpServer, ModelAuth, SessionId, SessionProfile, SkillDefinition } from '../../domain.js';
import { SANDBOX_DIR } from '../sandbox/scripts.js';
import type { TurnCredentials } from '../agent.js';
import type { Logger } from '../../infra/log.js';
import { realLocation } from '../permissions.js';
import type { SessionStore } from '../session-state/session-store.js';
import type { FolderOwner } from '../thread-files.js';
import { sessionCredentials } from './credentials.js';
import { answerPermission } from './permission-bridge.js';
import type { RunningTurn } from './turn.js';
import type { Opened } from './session-pool.js';

export interface SessionSetup {
  auth: ModelAuth | undefined;
  model: string | undefined;
  systemPrompt: string | undefined;
  /** SESSION_MAX_AI_CREDITS (0: none). */
  maxAiCredits: number;
  allowedTools: ReadonlySet<string>;
  approvalTools: ReadonlySet<string>;
  sessions: SessionStore;
  /** A thread's working folder (see CopilotAgent.threadFolder). */
  threadFolder(id: SessionId): string;
  /** Sandboxed: who owns the thread's files, and the gateway sessions reach the model through. */
  owner: FolderOwner | undefined;
  gateway: { url: string; token: string } | undefined;
  /** MCP_CONFIG's servers (a session gets those its tools name: `mcp:NAME`). */
  mcp: readonly McpServer[];
  /** AGENTS_DIR's custom agents (every session may switch to them) and skills (given as instructions). */
  agents: readonly AgentDefinition[];
  skills: readonly SkillDefinition[];
  /** The turn running in a session, which the permission bridge asks. */
  turn(id: string): RunningTurn | undefined;
  logger: Logger;
}

/**
 * `as`: per-user, the account of the turn that opens the session. Its token goes with the
 * create or resume (the runtime resolves the person's Copilot seat then); a session opened
 * without one (to read its history) gets one before its next turn (see `useAccount`).
 */
export function sessionConfig(id: SessionId, setup: SessionSetup, as?: TurnCredentials, profile: SessionProfile = {}): SessionConfig {
  const { auth, approvalTools, sessions, owner } = setup;
  const provider = sessions.provider?.bind(sessions);
  const model = profile.model ?? setup.model;
  // A channel's tools narrow the bot's (the profile file is checked for that; the set is intersected anyway).
  const allowedTools = profile.tools ? new Set(profile.tools.filter((t) => setup.allowedTools.has(t))) : setup.allowedTools;
  // The channel's own instructions last: nearest to the conversation, over the bot-wide ones.
  const skills = profile.skills ? setup.skills.filter((s) => profile.skills!.includes(s.name)) : setup.skills;
  const systemPrompt = [setup.systemPrompt, skillsSection(skills), profile.instructions].filter(Boolean).join('\n\n');
  // A place's own list of agents: the others are not given to its sessions at all.
  const agents = setup.agents.filter((a) => !profile.agents || profile.agents.includes(a.name)).map((a) => ({
    name: a.name,
    ...(a.description ? { description: a.description } : {}),
    // An agent never has a tool its thread does not (a channel may narrow them further than the agent's file).
    tools: (a.tools ?? [...allowedTools]).filter((t) => allowedTools.has(t)).map(runtimeToolName),
    ...(a.model ? { model: a.model } : {}),
    prompt: a.prompt,
  }));
  const mcpServers = mcpServersOf(id, setup, allowedTools);
  return {
    ...(provider ? { createSessionFsProvider: () => provider(id, setup.threadFolder(id), owner) } : {}),
    ...(model ? { model } : {}),
    ...(agents.length ? { customAgents: agents } : {}),
    ...(profile.agent && agents.some((a) => a.name === profile.agent) ? { agent: profile.agent } : {}),
    // Counted by the runtime in Copilot's AI credits (GitHub-token sessions); a provider key has none to count.
    ...(setup.maxAiCredits > 0 ? { sessionLimits: { maxAiCredits: setup.maxAiCredits } } : {}),
    ...sessionCredentials(auth, setup.gateway),
    ...(auth?.kind === 'per-user' && as ? { gitHubToken: as.token } : {}),
    // The runtime's own GitHub tools (its built-in MCP server) are tools too: none unless the operator enables them.
    disabledMcpServers: ['github-mcp-server'],
    ...(mcpServers ? { mcpServers } : {}),
    availableTools: [...allowedTools].map(runtimeToolName),
    workingDirectory: setup.threadFolder(id),
    streaming: true,
    ...(systemPrompt ? { systemMessage: { mode: 'append' as const, content: systemPrompt } } : {}),
    onPermissionRequest: (request, invocation) =>
      answerPermission(
        request,
        invocation.sessionId,
        setup.turn(invocation.sessionId),
        { allowedTools, approvalTools, workspace: setup.threadFolder(invocation.sessionId as SessionId), real: realLocation, mcpTools: new Map(setup.mcp.map((s) => [s.name, s.tools])) },
        setup.logger,
      ),
  };
}

/** The runtime's name for one of the bot's tool names: an MCP server is `mcp:NAME` to the bot, `NAME` to the runtime. */
export function runtimeToolName(tool: string): string {
  return tool.startsWith('mcp:') ? tool.slice(4) : tool;
}

/**
 * The session's MCP servers: those its tools name. Sandboxed, a stdio server starts through
 * mcp.sh, in a sandbox of its thread's (its folder only, the server's own files read-only, no
 * network but the allowed hosts through the proxy, the tools' limits); remote servers are reached
 * by the runtime through the gateway. Without the sandbox they run as configured, in / unless their cwd says otherwise.
 */
export function mcpServersOf(id: SessionId, setup: Pick<SessionSetup, 'mcp' | 'owner' | 'threadFolder'>, allowedTools: ReadonlySet<string>): Record<string, MCPServerConfig> | undefined {
  const servers = setup.mcp.filter((s) => allowedTools.has(`mcp:${s.name}`));
  if (servers.length === 0) return undefined;
  const sandboxed = setup.owner !== undefined;
  return Object.fromEntries(
    servers.map((s): [string, MCPServerConfig] => {
      const common = { tools: [...s.tools], ...(s.timeoutMs !== undefined ? { timeout: s.timeoutMs } : {}) };
      if (s.transport !== 'stdio') return [s.name, { ...common, type: s.transport, url: sandboxed && s.via ? viaUrl(s.url, s.via.host) : s.url, headers: { ...s.headers } }];
      // Never in the thread's folder by default: what the thread's tools write there must not be what a server loads.
      if (!sandboxed) return [s.name, { ...common, type: 'stdio', command: s.command, args: [...s.args], env: { ...s.env, COPILOT_THREAD_FOLDER: setup.threadFolder(id) }, workingDirectory: s.cwd ?? '/' }];
      return [
        s.name,
        {
          ...common,
          type: 'stdio',
          command: `${SANDBOX_DIR}/mcp.sh`,
          args: [id, s.name, s.cwd ?? '-', s.command, ...s.args],
          // Given to mcp.sh under names of its own, so none of them decides how the sandbox is made.
          env: { ...Object.fromEntries(Object.entries(s.env).map(([k, v]) => [`_ct_env_${k}`, v])), COPILOT_THREADS_MCP_ENV: Object.keys(s.env).join(',') },
        },
      ];
    }),
  );
}

/** `url` with its host replaced by the stand-in name the gateway pins (the port and path kept). */
function viaUrl(url: string, host: string): string {
  const u = new URL(url);
  u.hostname = host;
  return u.toString();
}

/** The skills as instructions: each with what it is for, to be followed when a request calls for it. */
export function skillsSection(skills: readonly SkillDefinition[]): string | undefined {
  if (skills.length === 0) return undefined;
  return [
    '<skills>',
    'Skills this team wrote down. When a request matches what a skill is for, follow its instructions.',
    // A skill's text cannot end its block (or the list) early.
    ...skills.map((s) => `<skill name="${s.name}" description="${s.description.replace(/"/g, "'").replace(/[<>]/g, '')}">\n${s.instructions.replace(/<(\/?\s*skills?)\b/gi, '‹$1')}\n</skill>`),
    '</skills>',
  ].join('\n');
}

/** Resumes the stored session, or creates it under the thread's id. */
export async function resumeOrCreate(client: CopilotClient, id: SessionId, reading: boolean, setup: SessionSetup, as?: TurnCredentials, profile?: SessionProfile): Promise<Opened> {
  const config = sessionConfig(id, setup, as, profile);
  if (await setup.sessions.exists(client, id)) {
    // Reading history should not add a "resumed" event to the history it reads.
    // A resume without `agent` runs the default agent (measured: a session does not keep the one it had).
    return { session: await client.resumeSession(id, { ...config, suppressResumeEvent: reading }), created: false };
  }
  return { session: await client.createSession({ ...config, sessionId: id }), created: true };
}
