import { ConfigError, LOG_LEVELS, type LogLevel } from '../config.js';

/** `--log-level` for the console and the CLI: `warn` unless given, whatever LOG_LEVEL (the bot's) says. */
export function logLevelFlag(value: string | undefined): LogLevel {
  if (value === undefined) return 'warn';
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new ConfigError('--log-level', `must be one of ${LOG_LEVELS.join(', ')}`);
  return value as LogLevel;
}
