/**
 * The configuration reference: every setting of the schema in config.ts, in sections, each block
 * of settings with what it is for and the value .env.example shows. `npm run docs:config` writes
 * .env.example and docs/configuration.md from it (defaults come from the schema itself), and a
 * test fails when either is out of date or a setting of the schema is missing here.
 */
import type { SettingKey } from './config.js';

export interface SettingBlock {
  /** What the settings are for: comment lines in .env.example, the meaning column in the docs. */
  about: string;
  /** Each setting with the value .env.example gives it (often empty: the default applies). */
  settings: ReadonlyArray<readonly [key: SettingKey, example: string]>;
}

export interface SettingSection {
  title: string;
  blocks: readonly SettingBlock[];
}

/** The first lines of .env.example. */
export const ENV_EXAMPLE_HEADER = "copilot-threads configuration. Copy to .env and fill in; every key is optional unless marked.\nA bad value stops the bot at start with one line naming the key. To read another file than\n./.env, set DOTENV_CONFIG_PATH=/path/to/file in the environment.";

export const CONFIG_REFERENCE: readonly SettingSection[] = [
  {
    title: "Model",
    blocks: [
      {
        about: "Either a GitHub token with a Copilot subscription (required unless you use BYOK below):",
        settings: [["COPILOT_GITHUB_TOKEN", ""]],
      },
      {
        about: "…or bring your own key (BYOK): provider type openai | azure | anthropic, its base URL, and a key.\nWith BYOK, COPILOT_MODEL is required (the model name the provider serves).",
        settings: [["COPILOT_PROVIDER_TYPE", ""], ["COPILOT_PROVIDER_BASE_URL", ""], ["COPILOT_PROVIDER_API_KEY", ""]],
      },
      {
        about: "Model name, e.g. gpt-4.1 or claude-sonnet-4.5; empty = the runtime's default (Copilot auth only).",
        settings: [["COPILOT_MODEL", ""]],
      },
      {
        about: "Extra instructions appended to Copilot's system prompt.",
        settings: [["COPILOT_SYSTEM_PROMPT", ""]],
      },
    ],
  },
  {
    title: "Channel profiles, models and agents (docs/channels.md)",
    blocks: [
      {
        about: "More models a thread may switch to with `/copilot model NAME` (comma-separated; COPILOT_MODEL is always\none). Set, it is also the only models CHANNEL_CONFIG and agents may name. Empty: only COPILOT_MODEL is on offer.",
        settings: [["COPILOT_MODELS", ""]],
      },
      {
        about: "A YAML or JSON file mapping places (Slack channel ids or #names, workspace ids, Discord channel or guild ids, *) to a model,\ninstructions, tools, an agent and allowed people (example: docs/examples/channels.yaml). Reloaded on\nSIGHUP or `copilot-threads config reload`; a mistake is reported with its file, line and key.",
        settings: [["CHANNEL_CONFIG", ""]],
      },
      {
        about: "A folder of custom agents (Markdown files with front matter: name, description, tools, model) that\n`/copilot agent NAME` switches a thread to, and skills in its skills/ folder. Reloaded with CHANNEL_CONFIG.",
        settings: [["AGENTS_DIR", ""]],
      },
    ],
  },
  {
    title: "Each person is themselves (per-user GitHub accounts)",
    blocks: [
      {
        about: "shared (default): every turn runs on COPILOT_GITHUB_TOKEN (or the BYOK provider).\nper-user: each person connects their own GitHub account once (the bot asks them, privately) and each\nturn runs on its author's Copilot seat. Needs GITHUB_CLIENT_ID and TOKEN_ENCRYPTION_KEY, and neither\nCOPILOT_GITHUB_TOKEN nor a provider. Set COPILOT_MODEL to a model your seats have.",
        settings: [["COPILOT_AUTH", "shared"]],
      },
      {
        about: "The GitHub App (user tokens that expire after 8 h and are refreshed) or OAuth App people authorize,\nwith \"Device flow\" enabled in its settings. The secret is optional: with it, `logout` also revokes\nthe token at GitHub, and PUBLIC_URL turns on the web flow.",
        settings: [["GITHUB_CLIENT_ID", ""], ["GITHUB_CLIENT_SECRET", ""]],
      },
      {
        about: "github.com (default), or a GitHub Enterprise Server (https://ghe.example.com) or GHE.com (https://acme.ghe.com) address.",
        settings: [["GITHUB_URL", ""]],
      },
      {
        about: "Where people's browsers reach this bot (https). With GITHUB_CLIENT_SECRET, sign-in is a link to GitHub's\nconsent page that returns to <PUBLIC_URL>/auth/github/callback (set it as the app's callback URL);\nwithout, people enter a code at GitHub's device page (no public address needed).",
        settings: [["PUBLIC_URL", ""]],
      },
    ],
  },
  {
    title: "Safety",
    blocks: [
      {
        about: "Agent tools the model may use, comma-separated (e.g. bash,edit,create,grep,glob,web_fetch).\nEmpty = none: pure conversation. Each thread's tools only ever see its own folder,\n$COPILOT_HOME/workspace/<session id>. A name the runtime does not have stops the start (the\nerror lists the runtime's tools).",
        settings: [["COPILOT_TOOLS", ""]],
      },
      {
        about: "Of those, the tools a person must approve in the thread for each use (see APPROVERS; the card shows\nexactly what would run: Approve once / Always for me in this thread / Deny).\nMCP servers' tools: mcp:* (all), mcp:SERVER, mcp:SERVER/*, mcp:SERVER/TOOL.\nDefault: bash,powershell,edit,create,web_fetch,mcp:*.\n`none` turns approval off (trusted set-ups only).",
        settings: [["COPILOT_TOOLS_APPROVAL", ""]],
      },
      {
        about: "A request nobody decides within this many seconds is denied.",
        settings: [["APPROVAL_TIMEOUT_SECONDS", "600"]],
      },
      {
        about: "on: the runtime, and each shell command in a sandbox of its own, run sealed in with bubblewrap\n(install it: apt install bubblewrap): only the thread's own folder, no bot files, processes or\nsecrets, no network but what TOOLS_ALLOWED_HOSTS allows. off: only where the bot is isolated\nanother way (a container or VM of its own).",
        settings: [["TOOLS_SANDBOX", "on"]],
      },
      {
        about: "Host names (pypi.org) or *.domain patterns tools may reach through the bot's proxy, at public\naddresses only. Empty (default): tools have no network at all.",
        settings: [["TOOLS_ALLOWED_HOSTS", ""]],
      },
      {
        about: "host=address or host=address:port for an allowed host you place yourself (e.g. an internal mirror\non a private address). Tools reach allowed hosts on ports 80 and 443 only, unless a pin names a port.",
        settings: [["TOOLS_PINNED_HOSTS", ""]],
      },
      {
        about: "A JSON file of MCP servers every thread's Copilot may use, in the Copilot CLI / VS Code format\n(servers: command/args/env/cwd, or url/headers; example: docs/examples/mcp.json). Secrets as ${env:NAME}.\nStdio servers run in the thread's tool sandbox; the runtime reaches remote ones through its proxy (tools do not).\nTheir tools need approval unless COPILOT_TOOLS_APPROVAL says otherwise (docs/mcp.md). Read at start.",
        settings: [["MCP_CONFIG", ""]],
      },
      {
        about: "Repositories a thread may be bound to with `/copilot repo URL|owner/name [ref]` (cloned shallow into the\nthread's folder, in its sandbox: docs/repositories.md), comma-separated patterns: acme/* (on REPOS_URL),\nacme/widgets, git.example.com/team/*, * for any on the network, file:///srv/git/* for some on this host.\nEmpty (default): none. Needs tools (COPILOT_TOOLS) and git.",
        settings: [["REPOS_ALLOWED", ""]],
      },
      {
        about: "Where owner/name is (default https://github.com, or GITHUB_URL with per-user accounts), and the only host\nREPO_TOKEN is sent to: a token that may read the repositories (with per-user accounts, each person's own is used).",
        settings: [["REPOS_URL", ""], ["REPO_TOKEN", ""]],
      },
      {
        about: "What one tool command may use: processes, memory per process (MB; /tmp is a quarter of it),\nthe thread folder's size (MB), and seconds.",
        settings: [["TOOLS_MAX_PROCESSES", "128"], ["TOOLS_MAX_MEMORY_MB", "1024"], ["TOOLS_MAX_DISK_MB", "1024"], ["TOOLS_MAX_SECONDS", "300"]],
      },
      {
        about: "Who decides tool approvals besides ADMIN_USERS: starter (whoever started the thread) or admins.",
        settings: [["APPROVERS", "starter"]],
      },
      {
        about: "People who may forget any thread (others may forget only threads they started):\ncomma-separated platform:userId, e.g. slack:U012ABC,discord:80351110224678912,local:ana",
        settings: [["ADMIN_USERS", ""]],
      },
      {
        about: "Who may talk to the bot (empty = everyone who can reach it). Others get one private note per\nthread and no answer. People: platform:userId, e.g. slack:U012ABC,discord:80351110224678912",
        settings: [["ALLOWED_USERS", ""]],
      },
      {
        about: "Channels: platform:channelId (a Discord thread counts by its parent channel; list DMs too).",
        settings: [["ALLOWED_CHANNELS", ""]],
      },
      {
        about: "Discord role ids whose members may talk to the bot (besides ALLOWED_USERS).",
        settings: [["DISCORD_ALLOWED_ROLES", ""]],
      },
      {
        about: "A longer prompt gets a note saying so, and no turn.",
        settings: [["MAX_PROMPT_CHARS", "20000"]],
      },
      {
        about: "Prompts per person per minute, across every instance on the store (0 = no limit).",
        settings: [["USER_MESSAGES_PER_MINUTE", "20"]],
      },
      {
        about: "Daily budgets per person (UTC days, across every instance; 0 = no limit): turns, and tool runs\n(each command, file access or fetch a tool is allowed to make). Past the turn budget: a private note saying\nwhen it comes back; past the tool budget: the tool does not run, and the answer says why.",
        settings: [["USER_DAILY_TURNS", "0"], ["USER_DAILY_TOOL_RUNS", "0"]],
      },
      {
        about: "AI credits one thread's session may use (0 = no limit, else at least 30, the runtime's minimum). Counted by the\nCopilot runtime for GitHub-token sessions (a provider key has none); past it the turn stops and the thread is told.",
        settings: [["SESSION_MAX_AI_CREDITS", "0"]],
      },
      {
        about: "Scheduled prompts (`schedule \"<when>\" <prompt>` in a thread, docs/schedules.md): how many one person may have\n(0 = schedules off), and the time zone clock times are read in for people whose platform does not tell theirs\n(Discord, the console; Slack says each person's own).",
        settings: [["SCHEDULES_PER_USER", "10"], ["SCHEDULE_TIMEZONE", "UTC"]],
      },
      {
        about: "Seals the tokens the bot keeps for people and workspaces (AES-256-GCM; 32 bytes, base64:\n`copilot-threads keys new` prints one). To rotate: set the new key, list the old one in\nTOKEN_ENCRYPTION_PREVIOUS_KEYS, run `copilot-threads keys rotate`, then drop the old key.",
        settings: [["TOKEN_ENCRYPTION_KEY", ""], ["TOKEN_ENCRYPTION_PREVIOUS_KEYS", ""]],
      },
    ],
  },
  {
    title: "Storage",
    blocks: [
      {
        about: "Where Copilot session state lives (one folder per thread). Default ./data/copilot",
        settings: [["COPILOT_HOME", "./data/copilot"]],
      },
      {
        about: "Thread registry: sqlite://FILE (default), redis://HOST:6379, postgres://USER:PASS@HOST/DB",
        settings: [["STORE_URL", "sqlite://./data/copilot-threads.sqlite"]],
      },
      {
        about: "Delete sessions idle longer than this many days (0 = keep forever). Swept at start and hourly.",
        settings: [["SESSION_RETENTION_DAYS", "30"]],
      },
      {
        about: "Keep the audit trail (tool requests and decisions, forgets, refusals, admin actions) this many days\n(0 = forever). See docs/operations.md.",
        settings: [["AUDIT_RETENTION_DAYS", "365"]],
      },
      {
        about: "Several instances on any hosts: keep every session in PostgreSQL instead of COPILOT_HOME (which is\nthen only scratch); set the same value, and the same STORE_URL, on every instance. See docs/deploy.md.",
        settings: [["SESSION_STATE_URL", ""]],
      },
      {
        about: "Shared mode: a session's lease lasts this long without renewal; a dead instance's threads wait at most this long.",
        settings: [["SESSION_LEASE_SECONDS", "30"]],
      },
      {
        about: "Redis key prefix and PostgreSQL schema of this deployment (several may share one server).",
        settings: [["STORE_NAMESPACE", "copilot-threads"]],
      },
      {
        about: "Every store call (connect, read, write) fails after this many seconds instead of hanging. At start,\na store that cannot be reached, read and written within it stops the process with one line.",
        settings: [["STORE_TIMEOUT_SECONDS", "5"]],
      },
    ],
  },
  {
    title: "Runtime",
    blocks: [
      {
        about: "Disconnect a session held in memory after this many idle seconds (it stays on disk).",
        settings: [["SESSION_IDLE_SECONDS", "300"]],
      },
      {
        about: "…and hold at most this many in memory at once: past it, the least recently used idle one is\ndisconnected right away (each costs the runtime ~2.5 MB; resuming one later is cheap). 0 = no limit.",
        settings: [["MAX_LIVE_SESSIONS", "100"]],
      },
      {
        about: "Abort a turn that takes longer than this; the thread gets an error reply and keeps working.",
        settings: [["TURN_TIMEOUT_SECONDS", "120"]],
      },
      {
        about: "Restart the Copilot runtime process (it never returns memory) past this RSS in MB (0 = never)…",
        settings: [["RUNTIME_RECYCLE_MB", "1024"]],
      },
      {
        about: "…or after it has opened this many sessions (0 = never). In-flight turns finish first.",
        settings: [["RUNTIME_RECYCLE_SESSIONS", "500"]],
      },
      {
        about: "On SIGTERM/SIGINT, let running turns finish for up to this many seconds. The whole shutdown\nends at most ~25 s after that, whatever hangs (a hard deadline names what did not finish).",
        settings: [["SHUTDOWN_GRACE_SECONDS", "30"]],
      },
    ],
  },
  {
    title: "Observability",
    blocks: [
      {
        about: "GET /metrics (Prometheus) is always on, on PORT. Traces: set an OTLP/HTTP collector here\n(e.g. http://127.0.0.1:4318); the Copilot runtime exports its spans there too. Unset: off.",
        settings: [["OTEL_EXPORTER_OTLP_ENDPOINT", ""]],
      },
    ],
  },
  {
    title: "What Copilot is given with a question",
    blocks: [
      {
        about: "The thread's earlier messages (before the bot's first turn in it, then what was said between\nturns): the newest this many (0: none), and of those the newest that fit in this many characters.",
        settings: [["THREAD_CONTEXT_MESSAGES", "50"], ["THREAD_CONTEXT_CHARS", "20000"]],
      },
      {
        about: "Files people attach: pictures and text files are read, up to this size and this many per message.",
        settings: [["FILES_MAX_MB", "10"], ["FILES_PER_MESSAGE", "10"]],
      },
    ],
  },
  {
    title: "Slack",
    blocks: [
      {
        about: "Bot token (xoxb-…). Setting it turns the Slack adapter on.",
        settings: [["SLACK_BOT_TOKEN", ""]],
      },
      {
        about: "HTTP mode: the app's signing secret; Slack sends events, /copilot and buttons to\nhttps://YOUR-HOST/slack/events (on PORT).",
        settings: [["SLACK_SIGNING_SECRET", ""]],
      },
      {
        about: "Socket Mode instead of HTTP: an app-level token (xapp-…) with connections:write.",
        settings: [["SLACK_APP_TOKEN", ""]],
      },
      {
        about: "Instead of SLACK_BOT_TOKEN, every workspace its own install (several workspaces, an Enterprise Grid org):\nthe app's client id and secret, and a random secret (16+ characters) that signs install states. People\ninstall from https://YOUR-HOST/slack/install; Slack returns to /slack/oauth_redirect (HTTP mode, with\nSLACK_SIGNING_SECRET). Each workspace's token is kept sealed under TOKEN_ENCRYPTION_KEY.",
        settings: [["SLACK_CLIENT_ID", ""], ["SLACK_CLIENT_SECRET", ""], ["SLACK_STATE_SECRET", ""]],
      },
      {
        about: "With installs, required: the workspaces (T…) and Enterprise Grid orgs (E…) that may install the app and be\nanswered, comma-separated; `*` for any workspace at all (with public distribution: anyone in the world).",
        settings: [["SLACK_ALLOWED_TEAMS", ""]],
      },
      {
        about: "Follow-ups without an @mention in a thread that has a session: starter (default) answers the\nperson who started it, everyone else's messages become context for the next turn; all; none.",
        settings: [["SLACK_REPLY_WITHOUT_MENTION", "starter"]],
      },
      {
        about: "native (default): answers stream as Slack's streaming messages, with tasks for tools, falling back\nto edits where Slack refuses; edit: a \"thinking\" placeholder edited as the answer grows.",
        settings: [["SLACK_STREAMING", "native"]],
      },
      {
        about: "Offered when someone opens a new thread in Slack's assistant pane, separated by | (at most 4).\nDefault: three examples.",
        settings: [["SLACK_SUGGESTED_PROMPTS", ""]],
      },
      {
        about: "Web API base URL override (tests, proxies); default https://slack.com/api/",
        settings: [["SLACK_API_URL", ""]],
      },
    ],
  },
  {
    title: "Discord",
    blocks: [
      {
        about: "Bot token (Developer Portal → Bot → Reset Token). Setting it turns the Discord adapter on.",
        settings: [["DISCORD_TOKEN", ""]],
      },
      {
        about: "`npm run discord:register` registers /copilot to this guild (instant) instead of globally (up to an hour).",
        settings: [["DISCORD_GUILD_ID", ""]],
      },
      {
        about: "As SLACK_REPLY_WITHOUT_MENTION, in Discord threads: starter (default), all or none.",
        settings: [["DISCORD_REPLY_WITHOUT_MENTION", "starter"]],
      },
      {
        about: "REST base URL override, e.g. http://127.0.0.1:PORT/api (tests); the gateway URL then comes from it.",
        settings: [["DISCORD_API_URL", ""]],
      },
    ],
  },
  {
    title: "Both platforms",
    blocks: [
      {
        about: "One Slack Web API / Discord REST call gives up after this many seconds (two retries at most;\nrate limits are still waited out). An answer that cannot be delivered is logged with its thread.",
        settings: [["PLATFORM_TIMEOUT_SECONDS", "10"]],
      },
    ],
  },
  {
    title: "Process",
    blocks: [
      {
        about: "HTTP port: GET /healthz, and POST /slack/events in Slack HTTP mode. Default 3000.",
        settings: [["PORT", "3000"]],
      },
      {
        about: "fatal | error | warn | info | debug | trace | silent",
        settings: [["LOG_LEVEL", "info"]],
      },
      {
        about: "json | pretty. Unset: readable, level-coloured lines at a terminal, JSON lines otherwise\n(a file, a pipe, a log shipper). Keys in this file that are not settings are warned about at start.",
        settings: [["LOG_FORMAT", ""]],
      },
    ],
  },
];
