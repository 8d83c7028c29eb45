/**
 * Configuration from the environment (and `.env`), validated once at start.
 * A bad or missing value stops the process with one line that names the key.
 */
import net from 'node:net';
import path from 'node:path';
import { normalHost, validHostPattern, type Pin } from './infra/host-names.js';
import { z } from 'zod';
import { keyring, parseKey, type Keyring } from './infra/keyring.js';
import { BUILT_IN_TOOLS, DEFAULT_APPROVAL_TOOLS, type ContextBudget, type ModelAuth, type ReplyRule } from './domain.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from './infra/log.js';
import { redactUrl } from './infra/redact-url.js';
import { closest } from './infra/closest.js';
import { isTimeZone } from './infra/time-zone.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
  }
}

export type { ModelAuth, ProviderType } from './domain.js';

export interface Config {
  /** COPILOT_MODEL and COPILOT_MODELS: the models a thread may switch to (`/copilot model`), COPILOT_MODEL first. */
  models: string[];
  /** COPILOT_MODELS is set: channel profiles and threads may use only `models`. */
  modelsListed: boolean;
  /** REPOS_ALLOWED, REPOS_URL, REPO_TOKEN: which repositories `repo …` may bind a thread to, and how they are fetched. */
  repos: { allowed: string[]; baseUrl: string; token: string | undefined };
  /** SCHEDULES_PER_USER (0: schedules off) and SCHEDULE_TIMEZONE (the zone of people whose platform does not tell theirs). */
  schedules: { perUser: number; timeZone: string };
  /** MCP_CONFIG (absolute): the MCP servers sessions may use (src/mcp-config.ts). */
  mcpConfig: string | undefined;
  /** CHANNEL_CONFIG (absolute): per-channel profiles (src/profiles.ts). */
  channelConfig: string | undefined;
  /** AGENTS_DIR (absolute): custom agents and skills. */
  agentsDir: string | undefined;
  /** Traces go to this OTLP/HTTP collector (off when unset); the runtime sends its spans there too. */
  otelEndpoint: string | undefined;
  model: string | undefined;
  /** Undefined only for commands that never run a turn (admin CLI). */
  auth: ModelAuth | undefined;
  copilotHome: string;
  storeUrl: string;
  /** Shared mode: sessions' state in PostgreSQL, so several instances serve every thread. */
  sessionStateUrl: string | undefined;
  /** How long a session's lease lasts without renewal (an instance that died is waited out this long). */
  leaseMs: number;
  /** Prefixes Redis keys and names the Postgres schema, per deployment. */
  namespace: string;
  retentionDays: number;
  /** AUDIT_RETENTION_DAYS: audit records older than this go (0: kept forever). */
  auditRetentionDays: number;
  /** SESSION_MAX_AI_CREDITS: AI credits one thread's session may use (0: no limit; Copilot sessions only). */
  maxAiCredits: number;
  /** TOKEN_ENCRYPTION_KEY (and the previous keys that still open): what seals the tokens the bot keeps. */
  keyring?: Keyring;
  /** COPILOT_AUTH=per-user: each person links their GitHub account and their turns run as them. */
  identity?: IdentityConfig;
  idleSeconds: number;
  /** MAX_LIVE_SESSIONS: sessions held open in the runtime at once (0: no limit). */
  maxLiveSessions: number;
  turnTimeoutSeconds: number;
  /** Agent tools the model may use; empty means pure conversation. */
  tools: string[];
  /** Of `tools`, those a person must approve in the thread for each use. */
  approvalTools: string[];
  /** COPILOT_TOOLS_APPROVAL as given (its default when unset; `none`: empty), before narrowing to the tools there are. */
  approvalGiven: string[];
  /** A request nobody decides within this long is denied. */
  approvalTimeoutSeconds: number;
  /** With tools enabled, the runtime runs in a sandbox (src/agent/sandbox/); off only for bots isolated another way. */
  toolsSandbox: boolean;
  /** Host names (or `*.suffix`) tools may reach through the bot's proxy; empty: tools have no network. */
  toolsAllowedHosts: string[];
  /** host → where the operator put an allowed host (may be private; see egress-policy.ts). */
  toolsPinnedHosts: Map<string, Pin>;
  /** What one tool command may use (TOOLS_MAX_*). */
  toolsMax: { processes: number; memoryMb: number; diskMb: number; seconds: number };
  /** Who may decide a tool approval besides admins: the thread's starter, or admins only. */
  approvers: 'starter' | 'admins';
  systemPrompt: string | undefined;
  logLevel: LogLevel;
  /** Unset: pretty at a terminal, JSON otherwise. */
  logFormat: LogFormat | undefined;
  port: number;
  recycleMb: number;
  recycleSessions: number;
  /** `platform:userId` entries allowed to forget any thread and list every session. */
  admins: string[];
  /** Who may talk to the bot at all (empty lists: everyone); see core/access.ts. */
  access: AccessConfig;
  /** THREAD_CONTEXT_MESSAGES / THREAD_CONTEXT_CHARS: how much of a thread the model is given with a turn. */
  contextBudget: ContextBudget;
  /** FILES_MAX_MB (in bytes) / FILES_PER_MESSAGE: the files of a message the model is given. */
  fileLimits: { maxBytes: number; perMessage: number };
  shutdownGraceSeconds: number;
  /** Every store call (connect, read, write) fails after this long instead of hanging. */
  storeTimeoutMs: number;
  /** Present when SLACK_BOT_TOKEN is set. */
  slack: SlackConfig | undefined;
  /** Present when DISCORD_TOKEN is set. */
  discord: DiscordConfig | undefined;
}

export interface IdentityConfig {
  /** GITHUB_CLIENT_ID: the GitHub App (or OAuth App) people authorize. */
  clientId: string;
  /** GITHUB_CLIENT_SECRET: the web flow, and revoking tokens at GitHub on logout. */
  clientSecret: string | undefined;
  /** GITHUB_URL: github.com, a GitHub Enterprise Server or a GHE.com address. */
  githubUrl: string;
  /** PUBLIC_URL (with the secret): sign-ins use the web flow, GitHub sending people back to `<PUBLIC_URL>/auth/github/callback`. */
  publicUrl: string | undefined;
}

export interface AccessConfig {
  /** `platform:userId`: only these people (or members of `discordRoles`). */
  users: string[];
  /** `platform:channelId`: only in these channels (a Discord thread counts by its parent channel too). */
  channels: string[];
  /** Discord role ids whose members may talk to the bot. */
  discordRoles: string[];
  /** A longer prompt gets a reply saying so, and no turn. */
  maxPromptChars: number;
  /** Prompts per person per minute, across instances (0: no limit). */
  userMessagesPerMinute: number;
  /** Turns per person per UTC day, across instances (0: no limit). */
  dailyTurns: number;
  /** Tool runs per person per UTC day, across instances (0: no limit). */
  dailyToolRuns: number;
}

export interface DiscordConfig {
  token: string;
  /** Register commands to this guild (instant) instead of globally. */
  guildId: string | undefined;
  /** REST base URL override, e.g. http://127.0.0.1:PORT/api (the gateway URL then comes from it). */
  apiUrl: string | undefined;
  /** Which follow-ups without a mention are answered (see `ReplyRule`). */
  replyWithoutMention: ReplyRule;
  /** One REST call's timeout (retries are bounded too). */
  timeoutMs: number;
}

export interface SlackConfig {
  /** SLACK_BOT_TOKEN: one workspace. Absent with `install` (every workspace its own token). */
  botToken: string | undefined;
  /**
   * SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET: the app is installed into any number
   * of workspaces (or an Enterprise Grid org) through `/slack/install`; each one's token is kept
   * sealed in the store.
   */
  install: { clientId: string; clientSecret: string; stateSecret: string; allowedTeams: string[] } | undefined;
  /** HTTP mode (Events API at /slack/events). */
  signingSecret: string | undefined;
  /** Socket Mode, when set. */
  appToken: string | undefined;
  /** Web API base URL override (tests, proxies). */
  apiUrl: string | undefined;
  /** Which follow-ups without a mention are answered (see `ReplyRule`). */
  replyWithoutMention: ReplyRule;
  /** One Web API call's timeout (retries are bounded too). */
  timeoutMs: number;
  /** `native`: Slack's streaming messages (falls back to edits where refused); `edit`: a placeholder edited as the answer grows. */
  streaming: 'native' | 'edit';
  /** Offered in a new assistant thread (at most four, Slack's limit). */
  suggestedPrompts: string[];
}

export const DEFAULT_SUGGESTED_PROMPTS = ['Explain what this error message means', 'Review this function for bugs', 'Write a shell one-liner that…'];

export { LOG_LEVELS, type LogFormat, type LogLevel } from './infra/log.js';

/** `--log-level` for the console and the CLI: `warn` unless given, whatever LOG_LEVEL (the bot's) says. */
export function logLevelFlag(value: string | undefined): LogLevel {
  if (value === undefined) return 'warn';
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new ConfigError('--log-level', `must be one of ${LOG_LEVELS.join(', ')}`);
  return value as LogLevel;
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** The configured keys; a previous key equal to the current one is a rotation that changed nothing: refused. */
function keyringOf(current: string, previous: readonly string[]) {
  const key = parseKey(current);
  const old = previous.map(parseKey);
  const same = old.findIndex((k) => k.equals(key));
  if (same >= 0) throw new ConfigError('TOKEN_ENCRYPTION_PREVIOUS_KEYS', `its key number ${same + 1} is TOKEN_ENCRYPTION_KEY itself: a rotation needs a new key`);
  return keyring(key, old);
}

function checkKey(text: string, ctx: z.RefinementCtx): void {
  try {
    parseKey(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
}

const int = (min: number, fallback: number) =>
  z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: 'must be a whole number' })
      .int({ error: 'must be a whole number' })
      .min(min, { error: `must be at least ${min}` })
      .default(fallback),
  );

/** `starter` | `all` | `none`; `true`/`false` (the setting's first form) mean `all`/`none`. */
const replyRule = z.preprocess(
  (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : v.trim().toLowerCase()) : v),
  z
    .enum(['starter', 'all', 'none', 'true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be starter, all or none' })
    .optional()
    .transform((v): ReplyRule => (v === undefined ? 'starter' : v === 'starter' || v === 'all' || v === 'none' ? v : ['true', '1', 'yes', 'on'].includes(v) ? 'all' : 'none')),
);

const optionalText = z.preprocess(blankToUndefined, z.string().optional());

const list = z.preprocess(
  blankToUndefined,
  z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
);

/** A URL GitHub or browsers reach: https, or http on this machine only (tests, a local GitHub). */
const webUrl = (what: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .url({ error: `must be a URL (${what})` })
      .refine((u) => /^https:\/\//i.test(u) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/i.test(u), { error: 'must be an https:// URL (http:// only on 127.0.0.1 or localhost)' })
      .optional(),
  );

const schema = z.object({
  COPILOT_MODEL: optionalText,
  COPILOT_AUTH: z.preprocess(blankToUndefined, z.enum(['shared', 'per-user'], { error: 'must be shared or per-user' }).default('shared')),
  GITHUB_CLIENT_ID: optionalText,
  GITHUB_CLIENT_SECRET: optionalText,
  GITHUB_URL: webUrl('e.g. https://github.com or https://ghe.example.com'),
  PUBLIC_URL: webUrl('where people reach this bot, e.g. https://copilot-bot.example.com'),
  COPILOT_GITHUB_TOKEN: optionalText,
  COPILOT_PROVIDER_TYPE: z.preprocess(
    blankToUndefined,
    z.enum(['openai', 'azure', 'anthropic'], { error: 'must be one of openai, azure, anthropic' }).optional(),
  ),
  COPILOT_PROVIDER_BASE_URL: z.preprocess(blankToUndefined, z.url({ error: 'must be a URL' }).optional()),
  COPILOT_PROVIDER_API_KEY: optionalText,
  COPILOT_HOME: z.preprocess(blankToUndefined, z.string().default('./data/copilot')),
  STORE_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^(sqlite|redis|rediss|postgres|postgresql):\/\/.+/, {
        error: 'must start with sqlite://, redis://, rediss://, postgres:// or postgresql://',
      })
      .default('sqlite://./data/copilot-threads.sqlite'),
  ),
  SESSION_STATE_URL: z.preprocess(
    blankToUndefined,
    z.string().regex(/^(postgres|postgresql):\/\/.+/, { error: 'must be a PostgreSQL URL (postgres://…)' }).optional(),
  ),
  SESSION_LEASE_SECONDS: int(2, 30),
  STORE_NAMESPACE: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]{0,39}$/, { error: 'must be a letter followed by up to 39 letters, digits, - or _' })
      .default('copilot-threads'),
  ),
  SESSION_RETENTION_DAYS: int(0, 30),
  AUDIT_RETENTION_DAYS: int(0, 365),
  SESSION_IDLE_SECONDS: int(1, 300),
  MAX_LIVE_SESSIONS: int(0, 100),
  TURN_TIMEOUT_SECONDS: int(1, 120),
  COPILOT_TOOLS: list.pipe(
    z.array(z.string().regex(/^[A-Za-z0-9_.:-]+$/, { error: 'must be a comma-separated list of tool names' })),
  ),
  COPILOT_TOOLS_APPROVAL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .optional()
      .transform((v) => (v === undefined ? [...DEFAULT_APPROVAL_TOOLS] : v.trim().toLowerCase() === 'none' ? [] : v.split(',').map((t) => t.trim()).filter(Boolean)))
      .pipe(z.array(z.string().regex(/^[A-Za-z0-9_.:/*-]+$/, { error: 'must be a comma-separated list of tool names (mcp:SERVER/* for an MCP server\'s), or none' }))),
  ),
  APPROVAL_TIMEOUT_SECONDS: int(1, 600),
  TOOLS_SANDBOX: z.preprocess(blankToUndefined, z.enum(['on', 'off'], { error: 'must be on or off' }).default('on')),
  TOOLS_ALLOWED_HOSTS: list.pipe(
    z.array(z.string().refine(validHostPattern, { error: 'must be a comma-separated list of host names or *.domain patterns' }).transform(normalHost)),
  ),
  TOOLS_PINNED_HOSTS: list.pipe(
    z.array(
      z
        .string()
        .regex(/^[^=\s]+=[^=\s]+$/, { error: 'must be a comma-separated list of host=address or host=address:port' })
        .refine((e) => validHostPattern(e.split('=')[0]!) && !e.startsWith('*') && parsePin(e.split('=')[1]!) !== undefined, {
          error: 'must be a comma-separated list of host=address or host=address:port (an IP address; IPv6 in brackets with a port)',
        }),
    ),
  ),
  TOOLS_MAX_PROCESSES: int(8, 128),
  TOOLS_MAX_MEMORY_MB: int(64, 1024),
  TOOLS_MAX_DISK_MB: int(1, 1024),
  TOOLS_MAX_SECONDS: int(1, 300),
  APPROVERS: z.preprocess(blankToUndefined, z.enum(['starter', 'admins'], { error: 'must be starter or admins' }).default('starter')),
  COPILOT_SYSTEM_PROMPT: optionalText,
  COPILOT_MODELS: list.pipe(z.array(z.string().regex(/^[^\s,]+$/, { error: 'must be a comma-separated list of model names' }))),
  CHANNEL_CONFIG: optionalText,
  MCP_CONFIG: optionalText,
  REPOS_ALLOWED: list.pipe(z.array(z.string().regex(/^(\*|[A-Za-z0-9.:*_-]+(\/[A-Za-z0-9.*_~-]+){1,5}|file:\/\/(\/[A-Za-z0-9.*_~-]+){1,12})$/, { error: 'must be a comma-separated list of repository patterns (owner/*, owner/name, host/owner/*, file:///srv/git/*, *)' }))),
  REPOS_URL: z.preprocess(blankToUndefined, z.url({ error: 'must be a URL (e.g. https://github.com or https://ghe.example.com)' }).refine((u) => /^https?:\/\//i.test(u), { error: 'must be an https:// URL' }).optional()),
  REPO_TOKEN: optionalText,
  AGENTS_DIR: optionalText,
  SCHEDULES_PER_USER: int(0, 10),
  SCHEDULE_TIMEZONE: z.preprocess(blankToUndefined, z.string().refine(isTimeZone, { error: 'must be an IANA time zone, like UTC, Europe/Paris or America/New_York' }).default('UTC')),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  ),
  LOG_FORMAT: z.preprocess(blankToUndefined, z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).optional()),
  PORT: int(0, 3000).pipe(z.number().max(65535, { error: 'must be at most 65535' })),
  RUNTIME_RECYCLE_MB: int(0, 1024),
  RUNTIME_RECYCLE_SESSIONS: int(0, 500),
  ADMIN_USERS: list.pipe(
    z.array(z.string().regex(/^[a-z]+:[^,\s]+$/, { error: 'must be a comma-separated list of platform:userId' })),
  ),
  ALLOWED_USERS: list.pipe(
    z.array(z.string().regex(/^[a-z]+:[^,\s]+$/, { error: 'must be a comma-separated list of platform:userId' })),
  ),
  ALLOWED_CHANNELS: list.pipe(
    z.array(z.string().regex(/^[a-z]+:[^,\s]+$/, { error: 'must be a comma-separated list of platform:channelId' })),
  ),
  DISCORD_ALLOWED_ROLES: list.pipe(z.array(z.string().regex(/^\d{5,25}$/, { error: 'must be a comma-separated list of Discord role ids (digits)' }))),
  MAX_PROMPT_CHARS: int(1, 20_000),
  USER_MESSAGES_PER_MINUTE: int(0, 20),
  USER_DAILY_TURNS: int(0, 0),
  USER_DAILY_TOOL_RUNS: int(0, 0),
  // The runtime refuses to create a session with a smaller limit ("Minimum session limit is 30 AI credits", 1.0.14).
  TOKEN_ENCRYPTION_KEY: z.preprocess(blankToUndefined, z.string().optional()).superRefine((v, ctx) => {
    if (v !== undefined) checkKey(v, ctx);
  }),
  TOKEN_ENCRYPTION_PREVIOUS_KEYS: list.superRefine((keys, ctx) => {
    for (const k of keys) checkKey(k, ctx);
  }),
  SESSION_MAX_AI_CREDITS: int(0, 0).refine((n) => n === 0 || n >= 30, { error: 'must be 0 (no limit) or at least 30 (the Copilot runtime\'s minimum)' }),
  SHUTDOWN_GRACE_SECONDS: int(0, 30),
  STORE_TIMEOUT_SECONDS: int(1, 5),
  PLATFORM_TIMEOUT_SECONDS: int(1, 10),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(blankToUndefined, z.url({ error: 'must be a URL (an OTLP/HTTP collector, e.g. http://127.0.0.1:4318)' }).optional()),
  SLACK_BOT_TOKEN: z.preprocess(blankToUndefined, z.string().startsWith('xoxb-', { error: 'must be a bot token (xoxb-…)' }).optional()),
  SLACK_CLIENT_ID: optionalText,
  SLACK_CLIENT_SECRET: optionalText,
  SLACK_ALLOWED_TEAMS: list.pipe(z.array(z.string().regex(/^(\*|[TE][A-Z0-9]{2,})$/, { error: 'must be a comma-separated list of Slack team (T…) or enterprise (E…) ids, or *' }))),
  SLACK_STATE_SECRET: z.preprocess(blankToUndefined, z.string().min(16, { error: 'must be at least 16 characters (a random secret that signs install states)' }).optional()),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: z.preprocess(blankToUndefined, z.string().startsWith('xapp-', { error: 'must be an app-level token (xapp-…)' }).optional()),
  SLACK_API_URL: z.preprocess(blankToUndefined, z.url({ error: 'must be a URL' }).optional()),
  SLACK_REPLY_WITHOUT_MENTION: replyRule,
  SLACK_SUGGESTED_PROMPTS: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.split('|').map((p) => p.trim()).filter(Boolean) : undefined),
    z.array(z.string().max(200, { error: 'each prompt must be at most 200 characters' })).max(4, { error: 'at most 4 prompts (Slack shows no more)' }).optional(),
  ),
  SLACK_STREAMING: z.preprocess(blankToUndefined, z.enum(['native', 'edit'], { error: 'must be native or edit' }).default('native')),
  DISCORD_TOKEN: optionalText,
  DISCORD_GUILD_ID: z.preprocess(blankToUndefined, z.string().regex(/^\d{5,25}$/, { error: 'must be a guild id (digits)' }).optional()),
  DISCORD_API_URL: z.preprocess(blankToUndefined, z.url({ error: 'must be a URL' }).optional()),
  DISCORD_REPLY_WITHOUT_MENTION: replyRule,
  THREAD_CONTEXT_MESSAGES: int(0, 50),
  THREAD_CONTEXT_CHARS: int(200, 20_000),
  FILES_MAX_MB: int(1, 10),
  FILES_PER_MESSAGE: int(0, 10),
});

/** A setting of the schema (an environment variable the configuration reads). */
export type SettingKey = keyof typeof schema.shape;

/** What a setting is when it is not set: the schema's own default (undefined when it has none). */
export function settingDefault(key: SettingKey): unknown {
  const parsed = schema.shape[key].safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

/** Every key the configuration reads (the schema), and the others this project reads itself. */
export const CONFIG_KEYS: readonly string[] = [...Object.keys(schema.shape), 'DOTENV_CONFIG_PATH', 'NO_COLOR'];

/** Prefixes of the keys this project owns: a key in `.env` with one of them that is not a setting is a slip. */
const OUR_PREFIXES = ['GITHUB_', 'PUBLIC_', 'COPILOT_', 'AUDIT_', 'TOKEN_', 'SLACK_', 'DISCORD_', 'STORE_', 'SESSION_', 'TOOLS_', 'TURN_', 'THREAD_', 'FILES_', 'APPROVAL', 'ADMIN_', 'ALLOWED_', 'USER_', 'MAX_', 'RUNTIME_', 'SHUTDOWN_', 'PLATFORM_', 'LOG_'];

/**
 * Warnings for keys in `.env` that are not settings but look like ours (one of our prefixes, or a
 * near miss of a key), each naming the closest key. Other keys are left alone: a shared `.env`
 * may hold other programs' settings.
 */
export function unknownKeyWarnings(keys: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const key of keys) {
    if (CONFIG_KEYS.includes(key) || key.startsWith('OTEL_')) continue;
    const near = closest(key, CONFIG_KEYS);
    if (!near && !OUR_PREFIXES.some((p) => key.startsWith(p))) continue;
    warnings.push(`${key} is not a setting of copilot-threads and is ignored${near ? ` (did you mean ${near}?)` : ''}`);
  }
  return warnings;
}

export interface LoadOptions {
  /** Require model credentials (the bot and the console chat do; the admin CLI does not). */
  needModel: boolean;
  cwd?: string;
}

export function loadConfig(env: NodeJS.ProcessEnv, options: LoadOptions): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? 'config');
    const raw = env[key];
    const shown = raw === undefined || /TOKEN|KEY|SECRET/.test(key) ? '' : ` (got "${raw.slice(0, 60)}")`;
    throw new ConfigError(key, `${issue.message}${shown}`);
  }
  const e = parsed.data;
  refuseUnknownTools('COPILOT_TOOLS', e.COPILOT_TOOLS);
  refuseUnknownTools('COPILOT_TOOLS_APPROVAL', e.COPILOT_TOOLS_APPROVAL);
  const cwd = options.cwd ?? process.cwd();
  const identity = resolveIdentity(e);
  const pins = pinnedHosts(e.TOOLS_PINNED_HOSTS, e.TOOLS_ALLOWED_HOSTS);
  // http:// sends a token in the clear: only to a host the operator placed themselves.
  if (e.REPOS_URL?.toLowerCase().startsWith('http:') && !pins.has(new URL(e.REPOS_URL).hostname.toLowerCase())) {
    throw new ConfigError('REPOS_URL', 'must be an https:// URL (http:// only for a host pinned in TOOLS_PINNED_HOSTS)');
  }
  const auth = identity ? { kind: 'per-user' as const } : resolveAuth(e, options.needModel);
  return {
    model: e.COPILOT_MODEL,
    models: [...new Set([...(e.COPILOT_MODEL ? [e.COPILOT_MODEL] : []), ...e.COPILOT_MODELS])],
    modelsListed: e.COPILOT_MODELS.length > 0,
    channelConfig: e.CHANNEL_CONFIG ? path.resolve(cwd, e.CHANNEL_CONFIG) : undefined,
    mcpConfig: e.MCP_CONFIG ? path.resolve(cwd, e.MCP_CONFIG) : undefined,
    // Where owner/name is, and the only host REPO_TOKEN (or, per-user, a person's token) is sent to.
    repos: { allowed: e.REPOS_ALLOWED, baseUrl: e.REPOS_URL ?? identity?.githubUrl ?? 'https://github.com', token: e.REPO_TOKEN },
    agentsDir: e.AGENTS_DIR ? path.resolve(cwd, e.AGENTS_DIR) : undefined,
    schedules: { perUser: e.SCHEDULES_PER_USER, timeZone: e.SCHEDULE_TIMEZONE },
    auth,
    copilotHome: path.resolve(cwd, e.COPILOT_HOME),
    otelEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    storeUrl: resolveSqlitePath(e.STORE_URL, cwd),
    sessionStateUrl: e.SESSION_STATE_URL,
    leaseMs: e.SESSION_LEASE_SECONDS * 1000,
    namespace: e.STORE_NAMESPACE,
    retentionDays: e.SESSION_RETENTION_DAYS,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    maxAiCredits: e.SESSION_MAX_AI_CREDITS,
    ...(e.TOKEN_ENCRYPTION_KEY ? { keyring: keyringOf(e.TOKEN_ENCRYPTION_KEY, e.TOKEN_ENCRYPTION_PREVIOUS_KEYS) } : {}),
    ...(identity ? { identity } : {}),
    idleSeconds: e.SESSION_IDLE_SECONDS,
    maxLiveSessions: e.MAX_LIVE_SESSIONS,
    turnTimeoutSeconds: e.TURN_TIMEOUT_SECONDS,
    tools: e.COPILOT_TOOLS,
    // MCP entries are checked against MCP_CONFIG once it is read (mcpApprovalProblem).
    approvalTools: e.COPILOT_TOOLS_APPROVAL.filter((t) => e.COPILOT_TOOLS.includes(t) || t.startsWith('mcp:')),
    approvalGiven: e.COPILOT_TOOLS_APPROVAL,
    approvalTimeoutSeconds: e.APPROVAL_TIMEOUT_SECONDS,
    toolsSandbox: e.TOOLS_SANDBOX === 'on',
    toolsAllowedHosts: e.TOOLS_ALLOWED_HOSTS,
    toolsPinnedHosts: pins,
    toolsMax: { processes: e.TOOLS_MAX_PROCESSES, memoryMb: e.TOOLS_MAX_MEMORY_MB, diskMb: e.TOOLS_MAX_DISK_MB, seconds: e.TOOLS_MAX_SECONDS },
    approvers: e.APPROVERS,
    systemPrompt: e.COPILOT_SYSTEM_PROMPT,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    port: e.PORT,
    recycleMb: e.RUNTIME_RECYCLE_MB,
    recycleSessions: e.RUNTIME_RECYCLE_SESSIONS,
    admins: e.ADMIN_USERS,
    access: {
      users: e.ALLOWED_USERS,
      channels: e.ALLOWED_CHANNELS,
      discordRoles: e.DISCORD_ALLOWED_ROLES,
      maxPromptChars: e.MAX_PROMPT_CHARS,
      userMessagesPerMinute: e.USER_MESSAGES_PER_MINUTE,
      dailyTurns: e.USER_DAILY_TURNS,
      dailyToolRuns: e.USER_DAILY_TOOL_RUNS,
    },
    contextBudget: { messages: e.THREAD_CONTEXT_MESSAGES, chars: e.THREAD_CONTEXT_CHARS },
    fileLimits: { maxBytes: e.FILES_MAX_MB * 1024 * 1024, perMessage: e.FILES_PER_MESSAGE },
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    storeTimeoutMs: e.STORE_TIMEOUT_SECONDS * 1000,
    slack: resolveSlack(e),
    discord: e.DISCORD_TOKEN
      ? {
          token: e.DISCORD_TOKEN,
          guildId: e.DISCORD_GUILD_ID,
          apiUrl: e.DISCORD_API_URL,
          replyWithoutMention: e.DISCORD_REPLY_WITHOUT_MENTION,
          timeoutMs: e.PLATFORM_TIMEOUT_SECONDS * 1000,
        }
      : undefined,
  };
}

/**
 * A misspelt tool enables nothing (`bsh`), and a misspelt approval entry would let its tool run
 * unasked: both stop the start, naming the closest tool the runtime has.
 */
function refuseUnknownTools(key: string, names: readonly string[]): void {
  const known: readonly string[] = BUILT_IN_TOOLS;
  // MCP servers' tools (mcp:SERVER/TOOL) may need approval; which servers there are is MCP_CONFIG's to say.
  const unknown = names.find((n) => !known.includes(n) && !(key === 'COPILOT_TOOLS_APPROVAL' && n.startsWith('mcp:')));
  if (unknown === undefined) return;
  const near = closest(unknown, known);
  throw new ConfigError(key, `"${unknown}" is not a tool of the Copilot runtime${near ? ` (did you mean ${near}?)` : ''}; its tools: ${known.join(', ')}`);
}

/** TOOLS_PINNED_HOSTS as a map; a pinned host that is not allowed would never be used, so it is an error. */
function pinnedHosts(entries: string[], allowed: string[]): Map<string, Pin> {
  const pins = new Map<string, Pin>();
  for (const entry of entries) {
    const [host = '', where = ''] = entry.split('=');
    const name = normalHost(host);
    if (!allowed.includes(name)) throw new ConfigError('TOOLS_PINNED_HOSTS', `${name} is pinned but not in TOOLS_ALLOWED_HOSTS`);
    pins.set(name, parsePin(where)!);
  }
  return pins;
}

/** `10.0.0.5`, `10.0.0.5:8443`, `fd00::5`, `[fd00::5]:8443` → a pin; undefined for anything else. */
export function parsePin(text: string): Pin | undefined {
  if (net.isIP(text)) return { address: text };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text);
  const address = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  return address && net.isIP(address) && port >= 1 && port <= 65535 ? { address, port } : undefined;
}

function resolveSlack(e: z.infer<typeof schema>): SlackConfig | undefined {
  const install = resolveSlackInstall(e);
  if (!e.SLACK_BOT_TOKEN && !install) {
    if (e.SLACK_SIGNING_SECRET || e.SLACK_APP_TOKEN) throw new ConfigError('SLACK_BOT_TOKEN', 'is required when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set (or SLACK_CLIENT_ID for installs in several workspaces)');
    return undefined;
  }
  if (!e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    throw new ConfigError('SLACK_SIGNING_SECRET', 'is required for Slack (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  return {
    botToken: e.SLACK_BOT_TOKEN,
    install,
    signingSecret: e.SLACK_SIGNING_SECRET,
    appToken: e.SLACK_APP_TOKEN,
    apiUrl: e.SLACK_API_URL,
    replyWithoutMention: e.SLACK_REPLY_WITHOUT_MENTION,
    timeoutMs: e.PLATFORM_TIMEOUT_SECONDS * 1000,
    streaming: e.SLACK_STREAMING,
    suggestedPrompts: e.SLACK_SUGGESTED_PROMPTS ?? DEFAULT_SUGGESTED_PROMPTS,
  };
}

/**
 * Every workspace its own install: Slack's OAuth needs the app's client id and secret, a secret to
 * sign install states, HTTP mode (Slack sends the person back to `/slack/oauth_redirect`), and a
 * key to seal the workspaces' tokens with. One bot token and installs are two set-ups: not both.
 */
function resolveSlackInstall(e: z.infer<typeof schema>): SlackConfig['install'] {
  const given = (['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET'] as const).filter((k) => e[k] !== undefined);
  if (given.length === 0) return undefined;
  const missing = (['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET'] as const).find((k) => e[k] === undefined);
  if (missing) throw new ConfigError(missing, `is required with ${given.join(' and ')}: installs in several workspaces need the app's client id and secret and a state secret`);
  if (e.SLACK_BOT_TOKEN) throw new ConfigError('SLACK_BOT_TOKEN', 'is for one workspace; with SLACK_CLIENT_ID each workspace installs the app and has its own token: remove one of them');
  if (e.SLACK_APP_TOKEN || !e.SLACK_SIGNING_SECRET) throw new ConfigError('SLACK_SIGNING_SECRET', 'is required with SLACK_CLIENT_ID: installs in several workspaces use HTTP mode (Slack returns to /slack/oauth_redirect), not Socket Mode');
  if (!e.TOKEN_ENCRYPTION_KEY) throw new ConfigError('TOKEN_ENCRYPTION_KEY', 'is required with SLACK_CLIENT_ID: each workspace\'s bot token is kept sealed under it (copilot-threads keys new prints one)');
  // Deny by default: an app with public distribution could be installed by any workspace in the world.
  if (e.SLACK_ALLOWED_TEAMS.length === 0) throw new ConfigError('SLACK_ALLOWED_TEAMS', 'is required with SLACK_CLIENT_ID: the workspaces (T…) and Enterprise Grid orgs (E…) that may install the app, or * for any');
  return { clientId: e.SLACK_CLIENT_ID!, clientSecret: e.SLACK_CLIENT_SECRET!, stateSecret: e.SLACK_STATE_SECRET!, allowedTeams: e.SLACK_ALLOWED_TEAMS };
}

/**
 * COPILOT_AUTH=per-user: every turn runs on its author's own Copilot seat, so there is no shared
 * credential to fall back on (a provider key or the operator's token would run people as someone
 * else): those are refused, and the tokens people link need a key to be kept.
 */
function resolveIdentity(e: z.infer<typeof schema>): IdentityConfig | undefined {
  if (e.COPILOT_AUTH === 'shared') {
    const stray = (['GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET', 'GITHUB_URL'] as const).find((k) => e[k] !== undefined);
    if (stray) throw new ConfigError('COPILOT_AUTH', `is shared (one token for everyone), so ${stray} is not used: set COPILOT_AUTH=per-user to have people connect their GitHub accounts, or remove ${stray}`);
    return undefined;
  }
  if (!e.GITHUB_CLIENT_ID) throw new ConfigError('GITHUB_CLIENT_ID', 'is required with COPILOT_AUTH=per-user: the client id of the GitHub App (or OAuth App) people connect their accounts to');
  if (!e.TOKEN_ENCRYPTION_KEY) throw new ConfigError('TOKEN_ENCRYPTION_KEY', 'is required with COPILOT_AUTH=per-user: people\'s GitHub tokens are kept sealed under it (copilot-threads keys new prints one)');
  if (e.COPILOT_PROVIDER_TYPE || e.COPILOT_PROVIDER_BASE_URL || e.COPILOT_PROVIDER_API_KEY) {
    throw new ConfigError('COPILOT_AUTH', 'per-user runs each turn on its author\'s Copilot seat: remove COPILOT_PROVIDER_* (a provider key would run everyone as the operator)');
  }
  if (e.COPILOT_GITHUB_TOKEN) throw new ConfigError('COPILOT_AUTH', 'per-user runs each turn with its author\'s own GitHub token: remove COPILOT_GITHUB_TOKEN');
  // The callback is served at the root of the bot's HTTP server: a PUBLIC_URL with a path would send GitHub elsewhere.
  if (e.PUBLIC_URL && !['', '/'].includes(new URL(e.PUBLIC_URL).pathname)) throw new ConfigError('PUBLIC_URL', 'must be the bot\'s address without a path (https://bot.example.com): GitHub returns to <PUBLIC_URL>/auth/github/callback');
  if (e.PUBLIC_URL && !e.GITHUB_CLIENT_SECRET) throw new ConfigError('GITHUB_CLIENT_SECRET', 'is required for the web sign-in PUBLIC_URL offers (or remove PUBLIC_URL to use the device flow)');
  return { clientId: e.GITHUB_CLIENT_ID, clientSecret: e.GITHUB_CLIENT_SECRET, githubUrl: e.GITHUB_URL ?? 'https://github.com', publicUrl: e.PUBLIC_URL };
}

function resolveAuth(e: z.infer<typeof schema>, needModel: boolean): ModelAuth | undefined {
  if (e.COPILOT_PROVIDER_TYPE || e.COPILOT_PROVIDER_BASE_URL || e.COPILOT_PROVIDER_API_KEY) {
    if (!e.COPILOT_PROVIDER_TYPE) throw new ConfigError('COPILOT_PROVIDER_TYPE', 'is required for a BYOK provider (openai, azure or anthropic)');
    if (!e.COPILOT_PROVIDER_BASE_URL) throw new ConfigError('COPILOT_PROVIDER_BASE_URL', 'is required for a BYOK provider');
    if (!e.COPILOT_MODEL) throw new ConfigError('COPILOT_MODEL', 'is required for a BYOK provider (the model name the provider serves)');
    return { kind: 'provider', type: e.COPILOT_PROVIDER_TYPE, baseUrl: e.COPILOT_PROVIDER_BASE_URL, apiKey: e.COPILOT_PROVIDER_API_KEY };
  }
  if (e.COPILOT_GITHUB_TOKEN) return { kind: 'github', token: e.COPILOT_GITHUB_TOKEN };
  if (needModel) {
    throw new ConfigError(
      'COPILOT_GITHUB_TOKEN',
      'is missing: set it (Copilot subscription) or set COPILOT_PROVIDER_TYPE, COPILOT_PROVIDER_BASE_URL and COPILOT_MODEL (BYOK)',
    );
  }
  return undefined;
}

/** Relative SQLite paths are relative to the working directory, not to wherever keyv resolves them. */
function resolveSqlitePath(url: string, cwd: string): string {
  if (!url.startsWith('sqlite://')) return url;
  const file = url.slice('sqlite://'.length);
  return `sqlite://${path.resolve(cwd, file)}`;
}

export { redactUrl } from './infra/redact-url.js';

/** A safe one-line summary for the start-up log: never a secret. */
export function describeConfig(c: Config): Record<string, unknown> {
  return {
    model: c.model ?? '(runtime default)',
    ...(c.modelsListed ? { models: c.models } : {}),
    ...(c.channelConfig ? { channelConfig: c.channelConfig } : {}),
    ...(c.mcpConfig ? { mcpConfig: c.mcpConfig } : {}),
    ...(c.agentsDir ? { agentsDir: c.agentsDir } : {}),
    auth: c.auth ? (c.auth.kind === 'github' ? 'github-token' : c.auth.kind === 'per-user' ? `per-user@${new URL(c.identity!.githubUrl).host}${c.identity!.publicUrl ? ' (web sign-in)' : ' (device sign-in)'}` : `byok:${c.auth.type}@${new URL(c.auth.baseUrl).host}`) : 'none',
    copilotHome: c.copilotHome,
    store: redactUrl(c.storeUrl),
    sessionState: c.sessionStateUrl ? redactUrl(c.sessionStateUrl) : 'local disk (COPILOT_HOME)',
    namespace: c.namespace,
    tools: c.tools.length ? c.tools : 'none (conversation only)',
    ...(c.tools.length
      ? {
          toolsNeedingApproval: c.approvalTools.length ? c.approvalTools : 'none',
          approvers: c.approvers === 'admins' ? 'admins only' : "the thread's starter or an admin",
          toolsSandbox: c.toolsSandbox ? 'on' : 'OFF',
          ...(c.toolsSandbox ? { toolsNetwork: c.toolsAllowedHosts.length ? c.toolsAllowedHosts : 'none' } : {}),
        }
      : {}),
    retentionDays: c.retentionDays,
    turnTimeoutSeconds: c.turnTimeoutSeconds,
    slack: c.slack ? (c.slack.appToken ? 'socket-mode' : c.slack.install ? 'http, installs in any workspace' : 'http') : 'off',
    discord: c.discord ? 'on' : 'off',
  };
}
