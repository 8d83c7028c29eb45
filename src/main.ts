/**
 * The bot process: config, store, agent, retention sweeper, HTTP health endpoint and every chat
 * adapter whose configuration is present. SIGINT/SIGTERM shut it down in order.
 */
import './dotenv.js';
import { ConfigError, describeConfig, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { createApp } from './app.js';
import { startHttpServer, type Route } from './http/server.js';
import { createSlackAdapter, SlackStartError, type SlackAdapter } from '../adapters/slack/index.js';
import { createDiscordAdapter, DiscordStartError, type DiscordAdapter } from '../adapters/discord/index.js';
import { startSweeper } from './core/retention.js';

const HOUR_MS = 60 * 60 * 1000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, { needModel: true });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`copilot-threads: invalid configuration: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  logger.info(describeConfig(config), 'starting');
  const routes: Route[] = [];
  const http = await startHttpServer({ port: config.port, routes });
  const app = await createApp(config, logger);
  let slack: SlackAdapter | undefined;
  let discord: DiscordAdapter | undefined;
  const shared = { conversation: app.conversation, registry: app.store.registry, dedupe: app.store.dedupe };
  try {
    if (config.slack) {
      slack = await createSlackAdapter({ ...shared, config: config.slack, logger: logger.child({ component: 'slack' }) });
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
    if (err instanceof SlackStartError || err instanceof DiscordStartError) {
      process.stderr.write(`copilot-threads: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const stopSweeper = startSweeper(
    {
      agent: app.agent,
      registry: app.store.registry,
      forget: (id) => app.conversation.forgetSession(id),
      busy: (id) => app.conversation.queue.pending(id) > 0,
      logger: logger.child({ component: 'retention' }),
    },
    { days: config.retentionDays, everyMs: HOUR_MS },
  );
  if (!slack && !discord) {
    logger.warn('no chat adapter is configured (set SLACK_BOT_TOKEN or DISCORD_TOKEN): this process serves /healthz and retention only; chat in a terminal with `npm run chat -- --thread NAME`');
  }
  http.setReady(true);
  logger.info({ port: http.port }, 'ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    http.setReady(false);
    await stopSweeper();
    await app.shutdown(config.shutdownGraceSeconds * 1000);
    await Promise.all([slack?.stop(), discord?.stop()]);
    await http.close();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
}

main().catch((err: unknown) => {
  process.stderr.write(`copilot-threads: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
