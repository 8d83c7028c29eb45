/**
 * Loads `.env` (or DOTENV_CONFIG_PATH) into process.env, silently: CLI output must stay clean.
 * What it found is kept, so an entry point can say when there was no file at all, and warn about
 * keys in it that are not settings (a misspelt key is otherwise silently ignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';

export interface EnvFile {
  path: string;
  found: boolean;
  /** The keys the file sets, in its order. */
  keys: string[];
}

function load(): EnvFile {
  const file = path.resolve(process.env.DOTENV_CONFIG_PATH ?? '.env');
  const found = fs.existsSync(file);
  const result = dotenv.config({ path: file, quiet: true });
  return { path: file, found, keys: found ? Object.keys(result.parsed ?? {}) : [] };
}

export const envFile: EnvFile = load();

/**
 * Appended to a configuration error about a setting that is not set at all, when there is no
 * `.env` either: the likeliest fix for a newcomer. (A value that is set but wrong needs no hint.)
 */
export function missingEnvFileHint(key: string, file: EnvFile = envFile, env: NodeJS.ProcessEnv = process.env): string {
  if (file.found || env[key] !== undefined) return '';
  const example = path.join(path.dirname(file.path), '.env.example');
  return fs.existsSync(example)
    ? ` (there is no ${path.basename(file.path)} here: cp .env.example .env and fill it in)`
    : ` (there is no .env file here (${file.path}): set the variables in the environment or create it)`;
}

/** The one line every entry point prints for a configuration error (with the `.env` hint when it helps). */
export function configProblem(err: { key: string; message: string }): string {
  return `invalid configuration: ${err.message}${missingEnvFileHint(err.key)}`;
}

/** Warns (once per start) about each key in the file that is not a setting but looks like one. */
export function warnAboutEnvFile(logger: { warn: (msg: string) => void }, warnings: (keys: readonly string[]) => string[], file: EnvFile = envFile): void {
  for (const w of warnings(file.keys)) logger.warn(`${path.basename(file.path)}: ${w}`);
}
