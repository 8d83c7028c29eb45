/**
 * The bot process: config, store, agent, retention sweeper, HTTP health endpoint and every chat
 * adapter whose configuration is present. SIGINT/SIGTERM shut it down in order.
 */
import { HomeUnusableError } from '../agent/home.js';
import { checkModel, ModelUnusableError, type ModelHealth } from '../agent/model-probe.js';
import { SandboxUnavailableError } from '../agent/sandbox/sandbox.js';
import { configProblem, warnAboutEnvFile } from '../infra/dotenv.js';
import { ConfigError, describeConfig, loadConfig, unknownKeyWarnings } from '../config.js';
import { createProcessLogger } from '../infra/log.js';
import { createApp, type App } from '../app.js';
import { PortInUseError, startHttpServer, type Route } from '../infra/http-server.js';
import { metricsRoute } from '../infra/metrics.js';
import { startTracing } from '../infra/tracing.js';
import { StoreUnavailableError } from '../infra/store-calls.js';
import { createSlackAdapter, SlackStartError, type SlackAdapter } from '../../adapters/slack/index.js';
import { createDiscordAdapter, DiscordStartError, type DiscordAdapter } from '../../adapters/discord/index.js';
import { startSweeper } from '../core/retention.js';
import { startAuditPruner } from '../core/audit.js';
import { runShutdown } from '../infra/shutdown.js';
import { gitHubCallbackRoute } from '../../adapters/web/github-callback.js';
import { ProfileError } from '../profiles.js';
import { ConfigFileError } from '../infra/config-file.js';
import { describeProfiles } from '../app.js';
import { removePidFile, writePidFile } from '../infra/pid.js';
import { writeReloadStatus } from '../infra/reload-status.js';

const HOUR_MS = 60 * 60 * 1000;
/** Each shutdown step after the turns; the whole shutdown ends within the grace period plus the margin. */
const STEP_MS = 5000;
const HARD_MARGIN_MS = 25_000;
const HEALTH_TIMEOUT_MS = 2000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, { needModel: true });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`copilot-threads: ${configProblem(err)}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createProcessLogger(config.logLevel, 1, config.logFormat);
  warnAboutEnvFile(logger, unknownKeyWarnings);
  logger.info(describeConfig(config), 'starting');
  // Before any adapter exists, so every message's trace starts with its event.
  const tracing = startTracing();
  if (tracing.enabled) logger.info({ endpoint: config.otelEndpoint }, 'exporting traces by OTLP');
  // A set-up that cannot work stops here, not 20 s into the first message.
  const model = await checkModel(config.auth, config.model, logger);
  const routes: Route[] = [];
  // Assigned once, after the server exists: /healthz reads it only once the bot is ready.
  // eslint-disable-next-line prefer-const
  let app: App | undefined;
  // SIGHUP (or `copilot-threads config reload`): CHANNEL_CONFIG and AGENTS_DIR read again; a
  // mistake keeps what was loaded. Each thread's next turn opens its session with the new profile.
  process.on('SIGHUP', () => {
    if (!app) return logger.warn('SIGHUP before the bot was ready: nothing reloaded (it loaded the files just now)');
    const profiles = app.profiles;
    // Told to `config reload` too, which waits for it; a status that cannot be written is only logged.
    const tell = (ok: boolean, said: string) => {
      try {
        writeReloadStatus(config.copilotHome, { ok, said });
      } catch (err) {
        logger.warn({ err: String(err) }, 'could not write the reload status for config reload');
      }
    };
    profiles.reload().then(
      () => {
        const loaded = describeProfiles(profiles);
        logger.info(loaded, 'channel profiles and agents reloaded');
        tell(true, `places: ${(loaded.places as string[]).join(', ') || 'none'}; agents: ${(loaded.agents as string[]).join(', ') || 'none'}; skills: ${(loaded.skills as string[]).join(', ') || 'none'}`);
      },
      // A reload that fails leaves the bot as it was.
      (err: unknown) => {
        const problem = err instanceof ProfileError ? err.message : String(err);
        logger.error({ problem }, 'reload refused: the files have a mistake; what was loaded before stays');
        tell(false, problem);
      },
    );
  });
  const http = await startHttpServer({ port: config.port, routes, health: () => health(app!, model) });
  app = await createApp(config, logger).catch(async (err: unknown) => {
    await http.close();
    throw err;
  });
  let slack: SlackAdapter | undefined;
  let discord: DiscordAdapter | undefined;
  routes.push(metricsRoute(app.metrics));
  if (app.accounts?.webFlow) routes.push(gitHubCallbackRoute(app.accounts));
  const shared = { conversation: app.conversation, registry: app.store.registry, dedupe: app.store.dedupe, journal: app.store.journal, metrics: app.metrics };
  try {
    if (config.slack) {
      slack = await createSlackAdapter({ ...shared, config: config.slack, secrets: app.store.secrets, logger: logger.child({ component: 'slack' }) });
      // Before any event: a place named by its channel's name applies from the first message (and after each reload).
      const adapter = slack;
      await app.profiles.useNames((names) => adapter.channelIds(names));
      if (slack.route) routes.push(slack.route);
      await slack.start();
    }
    if (config.discord) {
      discord = createDiscordAdapter({ ...shared, config: config.discord, logger: logger.child({ component: 'discord' }) });
      await discord.start();
    }
  } catch (err) {
    await slack?.stop().catch(() => undefined);
    await app.shutdown(0).catch(() => undefined);
    await http.close();
    throw err;
  }
  const stopSweeper = startSweeper(
    {
      agent: app.agent,
      registry: app.store.registry,
      forget: (id, confirm) => app.conversation.forgetSession(id, confirm, { actor: 'system', via: 'retention' }),
      busy: (id) => app.conversation.queue.pending(id) > 0,
      // Processes sharing the store take turns: one sweep per round, whoever claims it first.
      claimRound: (round) => app.store.dedupe.claim(`retention:${round}`, HOUR_MS),
      logger: logger.child({ component: 'retention' }),
    },
    { days: config.retentionDays, everyMs: HOUR_MS },
  );
  const stopAuditPruner = startAuditPruner(
    { log: app.store.audit, claimRound: (round) => app.store.dedupe.claim(round, HOUR_MS), logger: logger.child({ component: 'audit' }) },
    { days: config.auditRetentionDays, everyMs: HOUR_MS },
  );
  // Scheduled prompts run on the platforms this instance serves (another instance runs the others').
  if (slack) app.scheduler.use('slack', slack.scheduledRuns);
  if (discord) app.scheduler.use('discord', discord.scheduledRuns);
  // SCHEDULES_PER_USER=0 turns schedules off: none are made, and those kept from before do not run.
  if (config.schedules.perUser > 0) app.scheduler.start();
  if (!slack && !discord) {
    logger.warn('no chat adapter is configured (set SLACK_BOT_TOKEN or DISCORD_TOKEN): this process serves /healthz and retention only; chat in a terminal with `npm run chat -- --thread NAME`');
  }
  http.setReady(true);
  writePidFile(config.copilotHome);
  logger.info({ port: http.port, runtimePid: app.agent.runtimePid }, 'ready');


  let stopping = false;
  // One shutdown, however many signals: under `npm start` a terminal's Ctrl-C arrives twice (from
  // the terminal to the process group, and forwarded by npm). The hard deadline bounds it anyway.
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const graceMs = config.shutdownGraceSeconds * 1000;
    logger.info({ signal, graceMs }, 'shutting down');
    http.setReady(false);
    const failed = await runShutdown(
      [
        { name: 'retention sweeper', deadlineMs: STEP_MS, run: stopSweeper },
        { name: 'audit pruner', deadlineMs: STEP_MS, run: stopAuditPruner },
        // Turns finish (or are aborted) first; the adapters stay up to deliver their answers.
        { name: 'turns and the Copilot runtime', deadlineMs: graceMs + 15_000, run: () => app.shutdown(graceMs) },
        { name: 'chat adapters', deadlineMs: STEP_MS, run: () => Promise.all([slack?.stop(), discord?.stop()]) },
        { name: 'http server', deadlineMs: 2000, run: () => http.close() },
        // The last spans (the shutdown's own turns) still go out, or are given up.
        { name: 'trace export', deadlineMs: 2000, run: () => tracing.shutdown() },
      ],
      { logger, hardDeadlineMs: graceMs + HARD_MARGIN_MS, exit: (code) => process.exit(code) },
    );
    removePidFile(config.copilotHome);
    logger.info(failed.length ? { unfinished: failed } : {}, 'stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
}

/** Readiness: each part answers within a short deadline, or says what is wrong. */
async function health(app: App, model: ModelHealth | undefined): Promise<Record<string, string | Record<string, string>>> {
  const state = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (err: unknown) => `down: ${err instanceof Error ? err.message : String(err)}`,
    );
  const [store, runtime, sessionState] = await Promise.all([
    state(app.store.ping(HEALTH_TIMEOUT_MS)),
    state(app.agent.ping(HEALTH_TIMEOUT_MS)),
    app.shared ? state(app.shared.ping(HEALTH_TIMEOUT_MS)) : undefined,
  ]);
  const toolSandbox = app.agent.sandboxReport();
  // A server that is down is information, not unreadiness: the bot answers without its tools.
  const mcp = app.agent.mcpReport();
  return { store, runtime, ...(model ? { model: model.status() } : {}), ...(sessionState ? { sessionState } : {}), ...(toolSandbox ? { toolSandbox } : {}), ...(mcp ? { mcp } : {}) };
}

main().catch((err: unknown) => {
  // Errors that already name the setting to fix are shown as they are; anything else is unexpected.
  const named = err instanceof SlackStartError || err instanceof DiscordStartError || err instanceof StoreUnavailableError || err instanceof PortInUseError || err instanceof SandboxUnavailableError || err instanceof HomeUnusableError || err instanceof ModelUnusableError || err instanceof ConfigFileError || err instanceof ConfigError;
  process.stderr.write(`copilot-threads: ${named ? '' : 'failed to start: '}${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
