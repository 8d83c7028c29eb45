import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_FORMAT: JSON lines, or readable lines for a person (unset: readable at a terminal only). */
export type LogFormat = 'json' | 'pretty';

export type { Logger };

/** Paths pino blanks out wherever they appear in a log object: secrets are never written. */
const REDACT = [
  'token',
  'apiKey',
  'authorization',
  '*.token',
  '*.apiKey',
  '*.authorization',
  '*.gitHubToken',
  'provider.apiKey',
  '*.provider.apiKey',
  'headers.authorization',
];

/**
 * JSON lines: `"level":"info"` (a name, not pino's number), `"time":"2026-12-01T20:21:00.000Z"`
 * (ISO), secrets redacted. Context goes in child loggers' bindings or in the line, never both.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: '[redacted]' },
      base: { app: 'copilot-threads' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * The logger of an entry point, writing to `fd` (the bot: stdout; chat and CLI: stderr, their
 * stdout is the conversation or the output). LOG_FORMAT picks the form; unset, a person at a
 * terminal gets readable level-coloured lines and anything else (a file, a pipe, a log shipper)
 * gets JSON lines. Pretty lines are written synchronously, like pino's own destination, so the
 * last line before an exit is never lost.
 */
export function createProcessLogger(level: LogLevel, fd: 1 | 2, format: LogFormat | undefined): Logger {
  const stream = fd === 1 ? process.stdout : process.stderr;
  const chosen = format ?? (stream.isTTY ? 'pretty' : 'json');
  if (chosen === 'json') return createLogger(level, fd === 1 ? undefined : pino.destination(2));
  const colour = stream.isTTY === true && !process.env.NO_COLOR;
  return createLogger(
    level,
    pretty({ destination: fd, sync: true, colorize: colour, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app', singleLine: true }),
  );
}
