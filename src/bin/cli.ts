#!/usr/bin/env node
/**
 * Admin CLI: `copilot-threads [sessions] list|show THREAD [--all]|forget THREAD|prune [--older-than 30d] [--dry-run] [--yes]`,
 * `copilot-threads audit [--since 7d] [--user PLATFORM:ID] [--json]` and `usage [--since 7d] [--by user|channel] [--json]`.
 * Reads the same .env as the bot. Run it while the bot is stopped, or accept that a thread the
 * bot holds open at that moment may be written again (docs/deploy.md: one writer per session).
 */
import { configProblem, warnAboutEnvFile } from '../infra/dotenv.js';
import { readFileSync } from 'node:fs';
import readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, logLevelFlag, unknownKeyWarnings } from '../config.js';
import { createProcessLogger } from '../infra/log.js';
import { createApp, loadMcp, profileSources } from '../app.js';
import { ThreadIdError } from '../core/thread.js';
import { forgetSession, listSessions, pruneSessions, showSession } from '../cli/sessions.js';
import type { Out } from '../cli/out.js';
import { showAudit } from '../cli/audit.js';
import { showUsage } from '../cli/usage.js';
import { users } from '../cli/users.js';
import { cliActor } from '../cli/out.js';
import { newKey } from '../infra/keyring.js';
import { openStore } from '../store/store.js';
import { Audit } from '../core/audit.js';
import { parseDuration } from '../cli/table.js';
import { styleFor, useColour } from '../infra/terminal-style.js';
import { loadProfiles } from '../profiles.js';
import { ConfigFileError } from '../infra/config-file.js';
import { pidFile, runningBot } from '../infra/pid.js';
import { awaitReloadStatus } from '../infra/reload-status.js';

/** How long `config reload` waits for the bot's answer (a Slack name lookup is in it). */
const RELOAD_ANSWER_MS = 15_000;

export const USAGE = `Usage: copilot-threads [sessions] <command>

Commands (each also as \`sessions <command>\`):
  list [--json]                        every session, newest first (also: sessions alone)
  show THREAD [--all]                  one session: where it came from and its conversation;
                                       --all adds every bookkeeping event it holds
  forget THREAD [--yes]                delete a session and its registry record for good
  prune [--older-than 30d] [--dry-run] [--yes]
                                       delete sessions idle longer than that: 2w, 30d, 36h, 45m
                                       (default: SESSION_RETENTION_DAYS)
  audit [--since 7d] [--user PLATFORM:ID] [--json]
                                       the audit trail: tool requests and decisions, forgets,
                                       refusals, these commands; --json one record per line
  usage [--since 7d] [--by user|channel] [--json]
                                       turns, tool runs and tokens per person (or channel)
  users list [--json]                  who connected a GitHub account (COPILOT_AUTH=per-user)
  users revoke PLATFORM:ID             end a person's connection (their token deleted, and revoked
                                       at GitHub with GITHUB_CLIENT_SECRET)
  config check                         read CHANNEL_CONFIG, AGENTS_DIR and MCP_CONFIG as the bot
                                       would, and say what they hold (or the file, line and key of
                                       a mistake); no MCP server is started
  config reload                        check them, then have the running bot (COPILOT_HOME/bot.pid
                                       on this host) read them again: the same as kill -HUP
  keys new                             print a fresh TOKEN_ENCRYPTION_KEY
  keys rotate                          seal every kept token again under TOKEN_ENCRYPTION_KEY, so
                                       the keys in TOKEN_ENCRYPTION_PREVIOUS_KEYS can be dropped

THREAD is a session id, a Slack thread link, a Discord thread link, or a console thread's name
(local:NAME to say so).
forget and prune ask before deleting; --yes answers for scripts (required without a terminal).
Colours on a terminal only; NO_COLOR turns them off. Logs (stderr) at warn unless --log-level LEVEL.
--version prints the version; --help this text.
`;

const COMMANDS = ['list', 'show', 'forget', 'prune', 'audit', 'usage'] as const;
type Command = (typeof COMMANDS)[number];
const isCommand = (word: string | undefined): word is Command => (COMMANDS as readonly string[]).includes(word ?? '');

/** `sessions list` and `list` are the same command: the group word is optional. */
function commandLine(positionals: readonly string[]): { command: string; rest: string[] } | undefined {
  const [first, ...after] = positionals;
  if (first === 'sessions') return after[0] === 'audit' || after[0] === 'usage' ? undefined : { command: after[0] ?? 'list', rest: after.slice(1) };
  if (isCommand(first)) return { command: first, rest: after };
  return undefined;
}

/** The package's version, read beside the built file (dist/src/bin → the package root). */
function version(): string {
  for (const up of ['../../..', '../..']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}/package.json`, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'copilot-threads' && pkg.version) return pkg.version;
    } catch {
      // not this level
    }
  }
  return 'unknown';
}

class UsageError extends Error {}

/** `keys new` needs nothing; `keys rotate` opens the store with the configured keys. */
async function keys(args: string[], logLevel: string | undefined, io: Out): Promise<number> {
  const [verb, ...extra] = args;
  if (extra.length || (verb !== 'new' && verb !== 'rotate')) throw new UsageError('keys new | keys rotate');
  if (verb === 'new') {
    io.out(newKey());
    return 0;
  }
  const config = loadConfig(process.env, { needModel: false });
  if (!config.keyring) throw new ConfigError('TOKEN_ENCRYPTION_KEY', 'is not set: there is nothing to rotate to (copilot-threads keys new prints a key)');
  const logger = createProcessLogger(logLevelFlag(logLevel), 2, config.logFormat);
  const store = await openStore(config.storeUrl, config.storeTimeoutMs, config.namespace, config.keyring);
  const audit = new Audit(store.audit, logger);
  try {
    const r = await store.secrets.rotate().catch((err: unknown) => {
      // Stopped half way (the store went away): recorded too; running it again is safe.
      audit.record({ kind: 'admin', actor: cliActor(), detail: { command: 'keys rotate', key: config.keyring!.current, failed: String(err) } });
      throw err;
    });
    audit.record({ kind: 'admin', actor: cliActor(), detail: { command: 'keys rotate', key: config.keyring.current, resealed: r.resealed, changed: r.changed, unreadable: r.unreadable.length } });
    io.out(`${r.resealed} sealed again under key ${config.keyring.current}; ${r.current} already were${r.changed ? `; ${r.changed} changed meanwhile (run it again)` : ''}.`);
    if (r.unreadable.length) {
      io.err(`${r.unreadable.length} could not be opened by any key given (left as they are): ${r.unreadable.join(', ')}`);
      return 1;
    }
    io.out(
      r.resealed || r.current
        ? 'Once every instance seals with this key (TOKEN_ENCRYPTION_KEY everywhere), the previous keys can be removed.'
        : 'Nothing is kept yet.',
    );
    return 0;
  } finally {
    await audit.flush();
    await store.close();
  }
}

/** `users list | users revoke PLATFORM:ID`: the store only (revoke reads the token it revokes, so it needs the key). */
async function usersCommand(args: string[], values: { json: boolean; 'log-level'?: string }, io: Out): Promise<number> {
  const [verb, person, ...extra] = args;
  if (extra.length || (verb !== 'list' && verb !== 'revoke') || (verb === 'list') !== (person === undefined)) throw new UsageError('users list [--json] | users revoke PLATFORM:ID');
  if (person !== undefined && !/^[a-z]+:[^\s:]+$/.test(person)) throw new UsageError(`users revoke takes PLATFORM:ID (slack:U123, discord:456…), not "${person}"`);
  const config = loadConfig(process.env, { needModel: false });
  if (verb === 'revoke' && !config.keyring) throw new ConfigError('TOKEN_ENCRYPTION_KEY', 'is not set: people\'s tokens cannot be read to revoke them');
  const logger = createProcessLogger(logLevelFlag(values['log-level']), 2, config.logFormat);
  return users(config, logger, io, verb, person, { json: values.json });
}

/**
 * `config check | config reload`: the files are read here first, so a mistake is shown to the
 * person who made it (the bot would only log it and keep the old ones); then the bot is signalled.
 */
async function configCommand(args: string[], io: Out): Promise<number> {
  const [verb, ...extra] = args;
  if (extra.length || (verb !== 'check' && verb !== 'reload')) throw new UsageError('config check | config reload');
  const config = loadConfig(process.env, { needModel: false });
  // MCP_CONFIG is read at start only: checked here, not reloaded.
  const mcp = loadMcp(config);
  if (config.mcpConfig) io.out(`${config.mcpConfig}: ${mcp.servers.length} MCP server${mcp.servers.length === 1 ? '' : 's'}${mcp.servers.length ? ` (${mcp.servers.map((s) => `${s.name}: ${s.transport}`).join(', ')})` : ''}; read when the bot starts (a change needs a restart)`);
  if (!config.channelConfig && !config.agentsDir) {
    io.out('Neither CHANNEL_CONFIG nor AGENTS_DIR is set: every channel runs with the bot\'s own settings.');
    if (verb === 'check') return 0;
  } else {
    const profiles = loadProfiles(profileSources(config, mcp));
    const places = profiles.channels.map((c) => c.selector);
    io.out(`${config.channelConfig ?? '(no CHANNEL_CONFIG)'}: ${places.length} place${places.length === 1 ? '' : 's'}${places.length ? ` (${places.join(', ')})` : ''}`);
    io.out(`${config.agentsDir ?? '(no AGENTS_DIR)'}: ${profiles.agents.length} agent${profiles.agents.length === 1 ? '' : 's'}${profiles.agents.length ? ` (${profiles.agents.map((a) => a.name).join(', ')})` : ''}; ${profiles.skills.length} skill${profiles.skills.length === 1 ? '' : 's'}${profiles.skills.length ? ` (${profiles.skills.map((s) => s.name).join(', ')})` : ''}`);
    if (places.some((p) => p.startsWith('slack:#'))) io.out('Slack channels named by their name (slack:#name) are looked up in Slack by the bot when it starts and at each reload.');
    if (verb === 'check') return 0;
  }
  const pid = runningBot(config.copilotHome);
  if (pid === undefined) {
    io.err(`no bot is running with COPILOT_HOME=${config.copilotHome} on this host (${pidFile(config.copilotHome)} names none): it reads the files when it starts`);
    return 1;
  }
  const since = Date.now();
  process.kill(pid, 'SIGHUP');
  // The bot reads the files itself (and looks Slack channel names up): its answer is what counts.
  const status = await awaitReloadStatus(config.copilotHome, pid, since, RELOAD_ANSWER_MS);
  if (!status) {
    io.err(`asked the bot (pid ${pid}) to reload; it did not say how it went within ${RELOAD_ANSWER_MS / 1000} s: see its log`);
    return 1;
  }
  if (!status.ok) {
    io.err(`the bot (pid ${pid}) refused the reload and goes on with what it had: ${status.said}`);
    return 1;
  }
  io.out(`The bot (pid ${pid}) reloaded them (${status.said}). Each thread's next message uses them.`);
  return 0;
}

/** A duration for --since: at most ten years back (further is no date the stores can compare). */
function parseDurationOrUsage(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (ms > 10 * 366 * 86_400_000) throw new UsageError(`--since ${text} reaches back more than ten years`);
  return ms;
}

export async function run(argv: string[], io: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      'older-than': { type: 'string' },
      since: { type: 'string' },
      user: { type: 'string' },
      by: { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'V', default: false },
      'log-level': { type: 'string' },
    },
  });
  if (positionals[0] === 'keys') return keys(positionals.slice(1), values['log-level'], io);
  if (positionals[0] === 'users') return usersCommand(positionals.slice(1), values, io);
  if (positionals[0] === 'config') return configCommand(positionals.slice(1), io);
  if (values.version || positionals[0] === 'version') {
    io.out(`copilot-threads ${version()}`);
    return 0;
  }
  if (values.help || positionals[0] === 'help' || positionals.length === 0) {
    io.out(USAGE);
    return values.help || positionals[0] === 'help' ? 0 : 2;
  }
  const line = commandLine(positionals);
  if (!line) throw new UsageError(`unknown command: ${positionals.join(' ')}`);
  const { command, rest: [arg, ...extra] } = line;
  if (!isCommand(command)) throw new UsageError(`unknown sessions command: ${command}`);
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const needsId = command === 'show' || command === 'forget';
  if (needsId && !arg) throw new UsageError(`${command} needs a session id or a thread link`);
  if (!needsId && arg) throw new UsageError(`${command} takes no thread`);
  if (values.all && command !== 'show') throw new UsageError('--all goes with show');
  if (values.user !== undefined && command !== 'audit') throw new UsageError('--user goes with audit');
  if (values.since !== undefined && command !== 'audit' && command !== 'usage') throw new UsageError('--since goes with audit and usage');
  if (values.by !== undefined && (command !== 'usage' || !['user', 'channel'].includes(values.by))) throw new UsageError('--by user|channel goes with usage');
  if (values.since !== undefined) parseDurationOrUsage(values.since);
  if (values.user !== undefined && !/^[a-z]+:[^\s:]+$/.test(values.user)) throw new UsageError(`--user is PLATFORM:ID (slack:U123, discord:456…), not "${values.user}"`);

  const config = loadConfig(process.env, { needModel: false });
  // LOG_LEVEL in .env is the bot's: the CLI's output is for the operator, warnings and worse only unless --log-level.
  const logger = createProcessLogger(logLevelFlag(values['log-level']), 2, config.logFormat);
  warnAboutEnvFile(logger, unknownKeyWarnings);
  const app = await createApp(config, logger, 'cli');
  try {
    switch (command) {
      case 'list':
        return await listSessions(app, io, { json: values.json });
      case 'show':
        return await showSession(app, io, arg!, { all: values.all });
      case 'forget':
        return await forgetSession(app, io, arg!, { yes: values.yes });
      case 'prune':
        return await pruneSessions(app, io, { olderThan: values['older-than'], dryRun: values['dry-run'], yes: values.yes });
      case 'audit':
        return await showAudit(app, io, { since: values.since, user: values.user, json: values.json });
      case 'usage':
        return await showUsage(app, io, { since: values.since, by: values.by === 'channel' ? 'channel' : 'user', json: values.json });
    }
  } finally {
    await app.shutdown(0);
  }
}

const io: Out = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`copilot-threads: ${t}\n`),
  // Only a person at a terminal can answer; scripts pass --yes.
  confirm: process.stdin.isTTY ? askOnTerminal : undefined,
  style: styleFor(useColour(process.stdout)),
};

// `… | head` closes the pipe early: that is the reader being done, not an error to report.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

// Exits explicitly: a store client still reconnecting in the background must not keep the CLI alive.
const exit = (code: number) => process.stdout.write('', () => process.exit(code));

run(process.argv.slice(2), io).then(
  (code) => exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${(err as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof ConfigError) {
      io.err(configProblem(err));
      process.exitCode = 1;
    } else if (err instanceof ConfigFileError) {
      io.err(err.message);
      process.exitCode = 1;
    } else if (err instanceof ThreadIdError) {
      io.err(err.message);
      process.exitCode = 2;
    } else {
      io.err(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    }
    exit(Number(process.exitCode));
  },
);
