/** `npm run chat -- --thread NAME [--user NAME]`: chat with the bot in a terminal. */
import { configProblem, warnAboutEnvFile } from '../infra/dotenv.js';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, logLevelFlag, unknownKeyWarnings } from '../config.js';
import { createProcessLogger } from '../infra/log.js';
import { createApp } from '../app.js';
import { checkModel } from '../agent/model-probe.js';
import path from 'node:path';
import { consoleThread, localUser, runConsole } from '../../adapters/console/console.js';
import { useColour } from '../infra/terminal-style.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      thread: { type: 'string', short: 't', default: 'main' },
      user: { type: 'string', short: 'u' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run chat -- --thread NAME [--user NAME] [--log-level LEVEL]\nChat with Copilot in thread NAME; the thread is kept across restarts.\nLogs go to stderr at warn (whatever LOG_LEVEL says) unless --log-level is given. NO_COLOR turns colours off.\n',
    );
    return;
  }
  const name = values.thread.trim();
  if (!name) throw new ConfigError('--thread', 'needs a name');
  const config = loadConfig(process.env, { needModel: true });
  // The terminal is for the conversation: logs go to stderr, warnings and worse only unless asked here
  // (LOG_LEVEL in .env is the bot's, not the console's).
  const logger = createProcessLogger(logLevelFlag(values['log-level']), 2, config.logFormat);
  warnAboutEnvFile(logger, unknownKeyWarnings);
  await checkModel(config.auth, config.model, logger);
  const app = await createApp(config, logger, 'chat');
  const thread = consoleThread(name, values.user ?? localUser());
  let done = false;
  const stop = async () => {
    if (done) return;
    done = true;
    await app.shutdown(config.shutdownGraceSeconds * 1000);
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
    await runConsole(app.conversation, thread, {
      input: process.stdin,
      output: process.stdout,
      color: useColour(process.stdout),
      tty,
      historyFile: path.join(config.copilotHome, 'console-history'),
      width: Math.min(process.stdout.columns || 100, 120),
      // This thread's schedules run while the chat is open (SCHEDULES_PER_USER=0: none).
      ...(config.schedules.perUser > 0 ? { scheduler: app.scheduler } : {}),
    });
  } finally {
    await stop();
  }
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError ? configProblem(err) : err instanceof Error ? err.message : String(err);
  process.stderr.write(`copilot-threads chat: ${message}\n`);
  process.exit(1);
});
