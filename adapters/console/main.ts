/** `npm run chat -- --thread NAME [--user NAME]`: chat with the bot in a terminal. */
import '../../src/dotenv.js';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createApp } from '../../src/app.js';
import { consoleThread, localUser, runConsole } from './console.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { thread: { type: 'string', short: 't', default: 'main' }, user: { type: 'string', short: 'u' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write('Usage: npm run chat -- --thread NAME [--user NAME]\nChat with Copilot in thread NAME; the thread is kept across restarts.\n');
    return;
  }
  const name = values.thread.trim();
  if (!name) throw new ConfigError('--thread', 'needs a name');
  const config = loadConfig(process.env, { needModel: true });
  // The terminal is for the conversation: logs go to stderr, warnings and worse only unless asked.
  const logger = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn', pino.destination(2));
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
    await runConsole(app.conversation, thread, { input: process.stdin, output: process.stdout, color: process.stdout.isTTY === true });
  } finally {
    await stop();
  }
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError ? `invalid configuration: ${err.message}` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`copilot-threads chat: ${message}\n`);
  process.exit(1);
});
