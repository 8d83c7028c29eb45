import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

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
