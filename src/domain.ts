/**
 * The domain types every layer shares: the core, the agent and the store all import them from
 * here, so neither the agent nor the store depends on any module of the core.
 */

export type Platform = string;

/** A chat thread, independent of the platform it lives on. */
export interface ThreadRef {
  platform: Platform;
  /** Slack team (or enterprise), Discord guild (`dm` for DMs), the local user for the console. */
  workspace: string;
  channel: string;
  /** Slack thread_ts; for platforms where threads are channels, the same value as `channel`. */
  thread: string;
  /** Who sent the message this ref came with. */
  user: string;
  /** A direct-message conversation: listed by `sessions` only to its own participant (and admins). */
  direct?: boolean;
  /** The channel a platform thread lives in, where that is not `channel` (a Discord thread's parent). */
  parent?: string;
  /** The sender's roles where the platform has them (Discord), for role allowlists. */
  roles?: readonly string[];
  /** A link that opens the thread on its platform (a Slack permalink, a Discord thread URL). */
  link?: string;
}

declare const sessionIdBrand: unique symbol;
/** A Copilot session id made by `sessionIdFor` or checked by `parseSessionId` (core/thread.ts). */
export type SessionId = string & { readonly [sessionIdBrand]: true };

/** One event of a session's history, as the runtime stores it (any kind; see core/history.ts). */
export interface TranscriptEvent {
  type: string;
  timestamp?: string;
  data?: unknown;
}

/**
 * SLACK_REPLY_WITHOUT_MENTION / DISCORD_REPLY_WITHOUT_MENTION: which follow-ups without a mention
 * in a thread with a session are answered. `starter`: only those of the person who started the
 * bot's part of the thread (everyone else's are context for the next turn); `all`: everyone's;
 * `none`: no one's. (DMs and assistant threads: every message.)
 */
export type ReplyRule = 'starter' | 'all' | 'none';

/** How much of a thread the model is given with a turn (THREAD_CONTEXT_MESSAGES, THREAD_CONTEXT_CHARS). */
export interface ContextBudget {
  /** The newest this many messages are kept. */
  messages: number;
  /** And of those, the newest that fit in this many characters. */
  chars: number;
}

/**
 * The runtime's built-in tools that COPILOT_TOOLS may name: what `tools.list` answers with on
 * this runtime (test/unit/tools.test.ts asks the real one, so an upgrade that adds a tool fails
 * there until it is added here), plus the Windows and memory variants the runtime offers on other
 * hosts. A name outside this list would silently enable nothing, so configuration refuses it.
 */
export const BUILT_IN_TOOLS = [
  'bash',
  'read_bash',
  'write_bash',
  'stop_bash',
  'list_bash',
  'powershell',
  'read_powershell',
  'write_powershell',
  'stop_powershell',
  'list_powershell',
  'view',
  'grep',
  'glob',
  'create',
  'edit',
  'web_fetch',
  'skill',
  'task',
  'read_agent',
  'list_agents',
  'write_agent',
  'memory',
  'store_memory',
] as const;

/** COPILOT_TOOLS_APPROVAL's default: every tool that runs commands, writes files or reaches the network, and every MCP server's tools. */
export const DEFAULT_APPROVAL_TOOLS = ['bash', 'powershell', 'edit', 'create', 'web_fetch', 'mcp:*'] as const;

/**
 * An MCP server of MCP_CONFIG. In the bot's own tool names (COPILOT_TOOLS_APPROVAL, a channel's
 * `tools`, an agent's) it is `mcp:<name>`, and each of its tools `mcp:<name>/<tool>`.
 */
export type McpServer = McpStdioServer | McpRemoteServer;

interface McpServerBase {
  name: string;
  /** Which of its tools the model is offered: `["*"]` all of them. */
  tools: readonly string[];
  /** A tool call's time limit, in ms (the runtime's own when absent). */
  timeoutMs?: number;
}

/** A program the runtime starts for each session that uses it (in the thread's tool sandbox when sandboxed). */
export interface McpStdioServer extends McpServerBase {
  transport: 'stdio';
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  /** Its working folder (absolute); absent: its thread's own folder. */
  cwd: string | undefined;
  /** Host paths the program needs to read (its `cwd`, and absolute paths in `command`/`args`), as they really are: bound read-only into the sandbox. */
  readPaths: readonly string[];
}

/** A server the runtime reaches over HTTP (through the sandbox's gateway when sandboxed). */
export interface McpRemoteServer extends McpServerBase {
  transport: 'http' | 'sse';
  url: string;
  headers: Readonly<Record<string, string>>;
  /**
   * An http:// server at an address (127.0.0.1:8080, 10.0.0.7): sandboxed, the runtime is given
   * `host` instead (the gateway's rules go by names), pinned to where the operator put it.
   */
  via?: { host: string; address: string; port: number };
}

/** A thread's repository (`repo URL|owner/name [ref]`), kept beside the thread's record. */
export interface RepoBinding {
  /** The clone URL (no credentials in it). */
  url: string;
  /** How people name it: `owner/name` (on REPOS_URL's host), else `host/path`. */
  name: string;
  /** The branch, tag or commit asked for; absent: the default branch. */
  ref?: string;
  /** The commit checked out. */
  commit: string;
  /** Its folder in the thread's folder. */
  folder: string;
  /** Who bound it (or last refreshed it), and when (ISO). */
  by: string;
  at: string;
}

/** The hosts the runtime reaches the remote MCP servers at (sandboxed: through the gateway, by these names). */
export function mcpHostsOf(servers: readonly McpServer[]): string[] {
  return [...new Set(servers.flatMap((s) => (s.transport === 'stdio' ? [] : [s.via?.host ?? new URL(s.url).hostname.toLowerCase()])))];
}

/** The bot's name for an MCP server (`mcp:<name>`). */
export function mcpToolName(server: string): string {
  return `mcp:${server}`;
}

export type ProviderType = 'openai' | 'azure' | 'anthropic';

/** How the runtime reaches a model: a Copilot subscription token, each turn's author's own token, or a BYOK provider. */
export type ModelAuth =
  | { kind: 'github'; token: string }
  /** COPILOT_AUTH=per-user: no shared credential; every turn brings its author's token (TurnOptions.as). */
  | { kind: 'per-user' }
  | { kind: 'provider'; type: ProviderType; baseUrl: string; apiKey: string | undefined };

/**
 * A custom agent from AGENTS_DIR (a Markdown file: front matter, then its instructions), given to
 * every session as the SDK's `customAgents` so a thread can switch to it (`/copilot agent NAME`).
 */
export interface AgentDefinition {
  name: string;
  description?: string;
  /** The agent's tools, within the bot's own (COPILOT_TOOLS); absent: all of the thread's tools. */
  tools?: readonly string[];
  /** Its own model (the runtime falls back to the session's if the model is not served). */
  model?: string;
  /** Its instructions: the Markdown after the front matter. */
  prompt: string;
}

/**
 * What CHANNEL_CONFIG says of one place (see src/profiles.ts for the file): each field absent means
 * "as the bot is configured" (or as a less specific entry says).
 */
export interface ChannelProfile {
  model?: string;
  /** Added to the system prompt (after COPILOT_SYSTEM_PROMPT) in this place's threads. */
  instructions?: string;
  /** A subset of COPILOT_TOOLS: a channel can only narrow the bot's tools. */
  tools?: readonly string[];
  /** A custom agent of AGENTS_DIR the threads start with. */
  agent?: string;
  /** The agents of AGENTS_DIR on offer here (absent: all of them). */
  agents?: readonly string[];
  /** The skills of AGENTS_DIR given here (absent: all of them). */
  skills?: readonly string[];
  /** `platform:userId`: only these people (and admins) are answered here. */
  allowedUsers?: readonly string[];
}

/**
 * A place's profile key: `*` (everywhere), `slack:*` (a platform), `discord:<guild id>` or
 * `slack:<team id>` (a workspace), `slack:<channel id>` / `discord:<channel id>` (a channel, and
 * the threads in it), `slack:#name` (a Slack channel by its name, looked up when loaded).
 */
export type ProfileSelector = string;

/** CHANNEL_CONFIG and AGENTS_DIR as loaded (the whole of them: a reload replaces them at once). */
export interface ChannelProfiles {
  /** In the file's order; `line`: where the place is in CHANNEL_CONFIG. */
  channels: ReadonlyArray<{ selector: ProfileSelector; profile: ChannelProfile; line?: number }>;
  /**
   * `slack:#name` places → the ids of the Slack channels of that name, looked up by the bot when it
   * starts and at each reload (see `ProfileHolder.resolveNames`). A name not looked up matches nothing.
   */
  names?: ReadonlyMap<ProfileSelector, readonly string[]>;
  agents: readonly AgentDefinition[];
  /** AGENTS_DIR/skills/<name>/SKILL.md, in name order. */
  skills: readonly SkillDefinition[];
}

/**
 * A skill of AGENTS_DIR (`skills/<name>/SKILL.md`: front matter with name and description, then
 * its instructions). The runtime's own skill loading is off in the multi-user mode the bot runs it
 * in (measured: `skillDirectories` lists nothing there), so every session is given the skills as
 * part of its instructions.
 */
export interface SkillDefinition {
  name: string;
  description: string;
  instructions: string;
}

export const NO_PROFILES: ChannelProfiles = { channels: [], agents: [], skills: [] };

/** What one thread's session is opened with, beyond the bot's settings (a channel's profile and the thread's own choices). */
export interface SessionProfile {
  model?: string;
  agent?: string;
  instructions?: string;
  tools?: readonly string[];
  /** Only these agents and skills of AGENTS_DIR (absent: all). */
  agents?: readonly string[];
  skills?: readonly string[];
}

/**
 * When a scheduled prompt runs (`schedule "<when>" …`, core/schedules/when.ts): once at an
 * instant, every so many minutes from an anchor, or on a cron pattern read in the schedule's
 * time zone (so "every weekday at 09:00" stays at 09:00 across daylight-saving changes).
 */
export type ScheduleRule =
  | { kind: 'once'; at: string }
  | { kind: 'every'; minutes: number; from: string }
  | { kind: 'cron'; pattern: string };

/** A scheduled prompt: a turn of `thread`'s session as `thread.user`, at each of the rule's times (store/schedules.ts). */
export interface Schedule {
  /** Short and random: what `unschedule ID` and the cancel buttons name. */
  id: string;
  sessionId: SessionId;
  /** Where it runs, and as whom (`user`: the person who scheduled it). */
  thread: ThreadRef;
  prompt: string;
  /** The person's words for when, as they wrote them (shown in lists). */
  when: string;
  rule: ScheduleRule;
  /** IANA zone the rule's clock times are read in (the person's, or SCHEDULE_TIMEZONE). */
  timeZone: string;
  /** The next run (ISO); a run is due once this has passed. */
  next: string;
  createdAt: string;
  runs: number;
  lastRunAt?: string;
  /** A one-off whose platform failed: how many times it was tried (it is given up after a few). */
  attempts?: number;
}
