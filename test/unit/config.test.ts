import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, describeConfig, loadConfig, unknownKeyWarnings } from '../../src/config.js';
import { closest } from '../../src/infra/closest.js';
import { missingEnvFileHint } from '../../src/infra/dotenv.js';

const byok = { COPILOT_PROVIDER_TYPE: 'openai', COPILOT_PROVIDER_BASE_URL: 'http://127.0.0.1:1/v1', COPILOT_MODEL: 'm', COPILOT_PROVIDER_API_KEY: 'sk-secret' };

function errorOf(env: NodeJS.ProcessEnv, needModel = true): ConfigError {
  try {
    loadConfig(env, { needModel, cwd: '/app' });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has safe defaults', () => {
    const c = loadConfig({ COPILOT_GITHUB_TOKEN: 'ghp_x' }, { needModel: true, cwd: '/app' });
    expect(c).toMatchObject({
      auth: { kind: 'github', token: 'ghp_x' },
      copilotHome: '/app/data/copilot',
      storeUrl: 'sqlite:///app/data/copilot-threads.sqlite',
      retentionDays: 30,
      idleSeconds: 300,
      maxLiveSessions: 100,
      turnTimeoutSeconds: 120,
      tools: [],
      logLevel: 'info',
      port: 3000,
      sessionStateUrl: undefined,
      leaseMs: 30_000,
      namespace: 'copilot-threads',
    });
  });

  it('reads the access rules and limits', () => {
    expect(loadConfig(byok, { needModel: true }).access).toEqual({ users: [], channels: [], discordRoles: [], maxPromptChars: 20_000, userMessagesPerMinute: 20, dailyTurns: 0, dailyToolRuns: 0 });
    const c = loadConfig({ ...byok, ALLOWED_USERS: 'slack:U1, discord:42', ALLOWED_CHANNELS: 'slack:C1', DISCORD_ALLOWED_ROLES: '600000000000000001', MAX_PROMPT_CHARS: '500', USER_MESSAGES_PER_MINUTE: '0', USER_DAILY_TURNS: '50', USER_DAILY_TOOL_RUNS: '200' }, { needModel: true });
    expect(c.access).toEqual({ users: ['slack:U1', 'discord:42'], channels: ['slack:C1'], discordRoles: ['600000000000000001'], maxPromptChars: 500, userMessagesPerMinute: 0, dailyTurns: 50, dailyToolRuns: 200 });
    expect(errorOf({ ...byok, USER_DAILY_TURNS: 'lots' }).key).toBe('USER_DAILY_TURNS');
    expect(loadConfig({ ...byok, SESSION_MAX_AI_CREDITS: '30' }, { needModel: true }).maxAiCredits).toBe(30);
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ ...byok, TOKEN_ENCRYPTION_KEY: key }, { needModel: true }).keyring?.current).toMatch(/^[0-9a-f]{8}$/);
    expect(errorOf({ ...byok, TOKEN_ENCRYPTION_KEY: key, TOKEN_ENCRYPTION_PREVIOUS_KEYS: key })).toMatchObject({ key: 'TOKEN_ENCRYPTION_PREVIOUS_KEYS' });
    expect(errorOf({ ...byok, TOKEN_ENCRYPTION_KEY: 'abc' }).message).not.toContain('abc');
    expect(errorOf({ ...byok, SESSION_MAX_AI_CREDITS: '5' })).toMatchObject({ key: 'SESSION_MAX_AI_CREDITS', message: expect.stringContaining("at least 30 (the Copilot runtime's minimum)") });
    expect(errorOf({ ...byok, ALLOWED_USERS: 'U1' }).key).toBe('ALLOWED_USERS');
    expect(errorOf({ ...byok, ALLOWED_CHANNELS: 'C1' }).key).toBe('ALLOWED_CHANNELS');
    expect(errorOf({ ...byok, DISCORD_ALLOWED_ROLES: 'moderators' }).key).toBe('DISCORD_ALLOWED_ROLES');
    expect(errorOf({ ...byok, MAX_PROMPT_CHARS: '0' }).key).toBe('MAX_PROMPT_CHARS');
  });

  it('reads the shared mode: SESSION_STATE_URL (PostgreSQL only), the lease and the namespace', () => {
    const c = loadConfig({ ...byok, SESSION_STATE_URL: 'postgres://u:pw@db/state', SESSION_LEASE_SECONDS: '10', STORE_NAMESPACE: 'staging-2' }, { needModel: true });
    expect(c).toMatchObject({ sessionStateUrl: 'postgres://u:pw@db/state', leaseMs: 10_000, namespace: 'staging-2' });
    expect(errorOf({ ...byok, SESSION_STATE_URL: 'redis://cache:6379' }).message).toMatch(/^SESSION_STATE_URL: must be a PostgreSQL URL/);
    expect(errorOf({ ...byok, SESSION_LEASE_SECONDS: '1' }).key).toBe('SESSION_LEASE_SECONDS');
    expect(errorOf({ ...byok, STORE_NAMESPACE: 'a b' }).key).toBe('STORE_NAMESPACE');
    expect(errorOf({ ...byok, STORE_NAMESPACE: '1st' }).key).toBe('STORE_NAMESPACE');
    const summary = JSON.stringify(describeConfig(c));
    expect(summary).toContain('postgres://***@db/state');
    expect(summary).not.toContain('pw@');
  });

  it('reads BYOK providers, tool lists and admins', () => {
    const c = loadConfig({ ...byok, COPILOT_TOOLS: 'view, web_fetch', ADMIN_USERS: 'slack:U1,discord:42', PORT: '8080' }, { needModel: true });
    expect(c.auth).toEqual({ kind: 'provider', type: 'openai', baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'sk-secret' });
    expect(c.tools).toEqual(['view', 'web_fetch']);
    expect(c.admins).toEqual(['slack:U1', 'discord:42']);
    expect(c.port).toBe(8080);
  });

  it('names the key of a bad or missing value', () => {
    expect(errorOf({}).key).toBe('COPILOT_GITHUB_TOKEN');
    expect(errorOf({ ...byok, TURN_TIMEOUT_SECONDS: 'soon' }).message).toBe('TURN_TIMEOUT_SECONDS: must be a whole number (got "soon")');
    expect(errorOf({ ...byok, SESSION_IDLE_SECONDS: '0' }).key).toBe('SESSION_IDLE_SECONDS');
    expect(errorOf({ ...byok, COPILOT_PROVIDER_TYPE: 'llama' }).key).toBe('COPILOT_PROVIDER_TYPE');
    expect(errorOf({ ...byok, COPILOT_PROVIDER_BASE_URL: 'not a url' }).key).toBe('COPILOT_PROVIDER_BASE_URL');
    expect(errorOf({ ...byok, COPILOT_MODEL: '' }).key).toBe('COPILOT_MODEL');
    expect(errorOf({ ...byok, STORE_URL: 'mysql://x' }).key).toBe('STORE_URL');
    expect(errorOf({ ...byok, LOG_LEVEL: 'loud' }).key).toBe('LOG_LEVEL');
    expect(errorOf({ ...byok, PORT: '70000' }).key).toBe('PORT');
    expect(errorOf({ ...byok, ADMIN_USERS: 'U1' }).key).toBe('ADMIN_USERS');
    expect(errorOf({ ...byok, COPILOT_TOOLS: 'bash;rm -rf' }).key).toBe('COPILOT_TOOLS');
  });

  it('never echoes a secret, in errors or in the start-up summary', () => {
    const err = errorOf({ COPILOT_PROVIDER_TYPE: 'openai', COPILOT_PROVIDER_API_KEY: 'sk-secret' });
    expect(err.message).not.toContain('sk-secret');
    const summary = JSON.stringify(describeConfig(loadConfig({ ...byok, STORE_URL: 'postgres://u:pw@db/x' }, { needModel: true })));
    expect(summary).not.toContain('sk-secret');
    expect(summary).not.toContain('pw@');
  });

  it('lets the admin CLI run without model credentials', () => {
    expect(loadConfig({}, { needModel: false }).auth).toBeUndefined();
  });
});

describe('per-user GitHub accounts (COPILOT_AUTH=per-user)', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const base = { COPILOT_AUTH: 'per-user', GITHUB_CLIENT_ID: 'Iv1.abc', TOKEN_ENCRYPTION_KEY: key };
  it('reads the app, the GitHub address and the web flow; needs no shared credential', () => {
    const c = loadConfig(base, { needModel: true, cwd: '/app' });
    expect(c.auth).toEqual({ kind: 'per-user' });
    expect(c.identity).toEqual({ clientId: 'Iv1.abc', clientSecret: undefined, githubUrl: 'https://github.com', publicUrl: undefined });
    const web = loadConfig({ ...base, GITHUB_URL: 'https://ghe.example.com', PUBLIC_URL: 'https://bot.example.com', GITHUB_CLIENT_SECRET: 's3cret' }, { needModel: true, cwd: '/app' });
    expect(web.identity).toMatchObject({ githubUrl: 'https://ghe.example.com', publicUrl: 'https://bot.example.com', clientSecret: 's3cret' });
    expect(JSON.stringify(describeConfig(web))).not.toContain('s3cret');
    expect(describeConfig(web).auth).toBe('per-user@ghe.example.com (web sign-in)');
  });

  it('refuses what would run people as someone else, or could not work', () => {
    expect(errorOf({ ...base, GITHUB_CLIENT_ID: '' }).message).toMatch(/^GITHUB_CLIENT_ID: is required with COPILOT_AUTH=per-user/);
    expect(errorOf({ ...base, TOKEN_ENCRYPTION_KEY: '' }).message).toMatch(/^TOKEN_ENCRYPTION_KEY: is required with COPILOT_AUTH=per-user/);
    expect(errorOf({ ...base, COPILOT_GITHUB_TOKEN: 'ghp_x' }).message).toMatch(/^COPILOT_AUTH: per-user runs each turn with its author's own GitHub token/);
    expect(errorOf({ ...base, COPILOT_PROVIDER_TYPE: 'openai', COPILOT_PROVIDER_BASE_URL: 'http://127.0.0.1:1/v1', COPILOT_MODEL: 'm' }).key).toBe('COPILOT_AUTH');
    expect(errorOf({ ...base, PUBLIC_URL: 'https://bot.example.com' }).key).toBe('GITHUB_CLIENT_SECRET');
    expect(errorOf({ ...base, PUBLIC_URL: 'https://bot.example.com/copilot', GITHUB_CLIENT_SECRET: 's' }).message).toMatch(/^PUBLIC_URL: must be the bot's address without a path/);
    expect(errorOf({ ...base, GITHUB_URL: 'http://ghe.example.com' }).message).toMatch(/^GITHUB_URL: must be an https:\/\/ URL/);
    expect(errorOf({ ...base, COPILOT_AUTH: 'everyone' }).message).toMatch(/^COPILOT_AUTH: must be shared or per-user/);
    // Per-user settings where everyone shares one account are a slip, said at start.
    expect(errorOf({ COPILOT_GITHUB_TOKEN: 'ghp_x', GITHUB_CLIENT_ID: 'Iv1.abc' }).message).toMatch(/^COPILOT_AUTH: is shared .* so GITHUB_CLIENT_ID is not used/);
    expect(loadConfig({ ...base, GITHUB_URL: 'http://127.0.0.1:8080' }, { needModel: true, cwd: '/app' }).identity?.githubUrl).toBe('http://127.0.0.1:8080');
  });
});

describe('every Slack workspace its own install', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const base = { COPILOT_GITHUB_TOKEN: 'ghp_x', SLACK_CLIENT_ID: '1.2', SLACK_CLIENT_SECRET: 'cs', SLACK_STATE_SECRET: 'sixteen-chars-ok', SLACK_SIGNING_SECRET: 'sig', TOKEN_ENCRYPTION_KEY: key, SLACK_ALLOWED_TEAMS: 'T0123,E0456' };
  it('turns Slack on without a bot token, in HTTP mode', () => {
    const c = loadConfig(base, { needModel: true, cwd: '/app' });
    expect(c.slack).toMatchObject({ botToken: undefined, install: { clientId: '1.2', clientSecret: 'cs', stateSecret: 'sixteen-chars-ok', allowedTeams: ['T0123', 'E0456'] } });
    expect(describeConfig(c).slack).toBe('http, installs in any workspace');
    expect(JSON.stringify(describeConfig(c))).not.toMatch(/"cs"|sixteen/);
  });

  it('refuses a half set-up, one token beside installs, Socket Mode, and no key to seal tokens with', () => {
    expect(errorOf({ ...base, SLACK_STATE_SECRET: '' }).key).toBe('SLACK_STATE_SECRET');
    expect(errorOf({ ...base, SLACK_STATE_SECRET: 'short' }).message).toMatch(/^SLACK_STATE_SECRET: must be at least 16 characters/);
    expect(errorOf({ ...base, SLACK_BOT_TOKEN: 'xoxb-1' }).message).toMatch(/^SLACK_BOT_TOKEN: is for one workspace/);
    expect(errorOf({ ...base, SLACK_SIGNING_SECRET: '', SLACK_APP_TOKEN: 'xapp-1' }).message).toMatch(/^SLACK_SIGNING_SECRET: is required with SLACK_CLIENT_ID: .* not Socket Mode/);
    expect(errorOf({ ...base, TOKEN_ENCRYPTION_KEY: '' }).key).toBe('TOKEN_ENCRYPTION_KEY');
    // Which workspaces may install is said, never assumed: any (`*`) only when asked for.
    expect(errorOf({ ...base, SLACK_ALLOWED_TEAMS: '' }).message).toMatch(/^SLACK_ALLOWED_TEAMS: is required with SLACK_CLIENT_ID/);
    expect(errorOf({ ...base, SLACK_ALLOWED_TEAMS: 'acme' }).key).toBe('SLACK_ALLOWED_TEAMS');
    expect(loadConfig({ ...base, SLACK_ALLOWED_TEAMS: '*' }, { needModel: true, cwd: '/app' }).slack?.install?.allowedTeams).toEqual(['*']);
  });
});

describe('the tool sandbox settings', () => {
  it('reads allowed hosts, pins (with or without a port), limits and APPROVERS, and rejects what would not work', () => {
    const c = loadConfig(
      { ...byok, TOOLS_ALLOWED_HOSTS: 'PyPI.org, *.npmjs.org, mirror.internal, v6.internal', TOOLS_PINNED_HOSTS: 'mirror.internal=10.0.0.5:8443,v6.internal=[fd00::5]:443', TOOLS_MAX_PROCESSES: '64', APPROVERS: 'admins' },
      { needModel: true, cwd: '/app' },
    );
    expect(c.toolsAllowedHosts).toEqual(['pypi.org', '*.npmjs.org', 'mirror.internal', 'v6.internal']);
    expect([...c.toolsPinnedHosts]).toEqual([['mirror.internal', { address: '10.0.0.5', port: 8443 }], ['v6.internal', { address: 'fd00::5', port: 443 }]]);
    expect(c.toolsMax).toEqual({ processes: 64, memoryMb: 1024, diskMb: 1024, seconds: 300 });
    expect(c.approvers).toBe('admins');
    expect(loadConfig(byok, { needModel: true }).approvers).toBe('starter');
    expect(errorOf({ ...byok, TOOLS_ALLOWED_HOSTS: 'http://pypi.org' }).key).toBe('TOOLS_ALLOWED_HOSTS');
    expect(errorOf({ ...byok, TOOLS_ALLOWED_HOSTS: 'a.test', TOOLS_PINNED_HOSTS: 'a.test=not-an-ip' }).key).toBe('TOOLS_PINNED_HOSTS');
    expect(errorOf({ ...byok, TOOLS_ALLOWED_HOSTS: 'a.test', TOOLS_PINNED_HOSTS: 'b.test=10.0.0.1' }).message).toMatch(/b\.test is pinned but not in TOOLS_ALLOWED_HOSTS/);
    expect(errorOf({ ...byok, APPROVERS: 'anyone' }).key).toBe('APPROVERS');
    expect(errorOf({ ...byok, TOOLS_MAX_PROCESSES: '2' }).key).toBe('TOOLS_MAX_PROCESSES');
  });
});

describe('names a person may have mistyped', () => {
  it('refuses a tool the runtime does not have, naming the closest one', () => {
    expect(errorOf({ ...byok, COPILOT_TOOLS: 'bsh' }).message).toMatch(/^COPILOT_TOOLS: "bsh" is not a tool of the Copilot runtime \(did you mean bash\?\); its tools: bash, /);
    expect(errorOf({ ...byok, COPILOT_TOOLS: 'bash,teleport' }).message).toMatch(/^COPILOT_TOOLS: "teleport" is not a tool of the Copilot runtime; its tools: /);
    // A misspelt approval entry would let bash run unasked: refused too.
    expect(errorOf({ ...byok, COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'bahs' }).message).toContain('COPILOT_TOOLS_APPROVAL: "bahs" is not a tool of the Copilot runtime (did you mean bash?)');
    expect(loadConfig({ ...byok, COPILOT_TOOLS: 'bash,view,web_fetch', COPILOT_TOOLS_APPROVAL: 'bash' }, { needModel: true }).approvalTools).toEqual(['bash']);
  });

  it('warns about keys in .env that look like settings but are not, with the closest key', () => {
    expect(unknownKeyWarnings(['COPILOT_MODLE', 'SLACK_TOKEN', 'TURN_TIMEOUT', 'COPILOT_MODEL', 'PATH', 'DATABASE_URL', 'OTEL_SERVICE_NAME', 'SLACK_WEBHOOK_PATH'])).toEqual([
      'COPILOT_MODLE is not a setting of copilot-threads and is ignored (did you mean COPILOT_MODEL?)',
      'SLACK_TOKEN is not a setting of copilot-threads and is ignored (did you mean SLACK_BOT_TOKEN?)',
      'TURN_TIMEOUT is not a setting of copilot-threads and is ignored (did you mean TURN_TIMEOUT_SECONDS?)',
      'SLACK_WEBHOOK_PATH is not a setting of copilot-threads and is ignored',
    ]);
    expect(unknownKeyWarnings(['STORE_URL', 'LOG_FORMAT', 'DOTENV_CONFIG_PATH', 'HOME', 'NODE_ENV'])).toEqual([]);
  });

  it('finds slips, not other words', () => {
    expect(closest('bsh', ['bash', 'view'])).toBe('bash');
    expect(closest('LOG_LEVL', ['LOG_LEVEL', 'PORT'])).toBe('LOG_LEVEL');
    expect(closest('hello', ['bash', 'view'])).toBeUndefined();
  });

  it('suggests cp .env.example .env when there is no .env', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envfile-'));
    const file = { path: path.join(dir, '.env'), found: false, keys: [] };
    expect(missingEnvFileHint('COPILOT_GITHUB_TOKEN', { ...file, found: true }, {})).toBe('');
    expect(missingEnvFileHint('COPILOT_GITHUB_TOKEN', file, {})).toContain('there is no .env file here');
    // A value that is set but wrong is not fixed by a .env file.
    expect(missingEnvFileHint('TURN_TIMEOUT_SECONDS', file, { TURN_TIMEOUT_SECONDS: 'soon' })).toBe('');
    fs.writeFileSync(path.join(dir, '.env.example'), '');
    expect(missingEnvFileHint('COPILOT_GITHUB_TOKEN', file, {})).toBe(' (there is no .env here: cp .env.example .env and fill it in)');
  });
});
