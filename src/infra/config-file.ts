/**
 * The operator's configuration files (CHANNEL_CONFIG, AGENTS_DIR's front matter, MCP_CONFIG):
 * read whole, parsed as YAML (JSON is YAML too) with line numbers, so every mistake is reported
 * as `SETTING: file, line N, key: problem`.
 */
import fs from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

/** A mistake in a configuration file: where it is, and what is wrong. */
export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
  constructor(
    /** The setting that names the file (CHANNEL_CONFIG, AGENTS_DIR, MCP_CONFIG). */
    readonly setting: string,
    readonly file: string,
    readonly line: number | undefined,
    readonly key: string | undefined,
    readonly problem: string,
  ) {
    super(`${setting}: ${file}${line !== undefined ? `, line ${line}` : ''}${key ? `, ${key}` : ''}: ${problem}`);
  }
}

/** A file being read: what names it, and how its mistakes are made (each setting has its error class). */
export interface ConfigFile {
  setting: string;
  file: string;
  error(line: number | undefined, key: string | undefined, problem: string): ConfigFileError;
}

/** Bigger files are a mistake (a log, a binary), not a configuration. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

export function readConfigText(f: ConfigFile, file = f.file): string {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw f.error(undefined, undefined, 'is not a file');
    if (stat.size > MAX_CONFIG_FILE_BYTES) throw f.error(undefined, undefined, `is ${stat.size} bytes; at most ${MAX_CONFIG_FILE_BYTES} are read`);
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    throw f.error(undefined, undefined, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** The document as plain data (aliases expanded within yaml's own limit: an alias bomb is refused, not expanded). */
export function plainData(f: ConfigFile, doc: Document): unknown {
  try {
    return doc.toJS() as unknown;
  } catch (err) {
    throw f.error(undefined, undefined, err instanceof Error ? err.message : String(err));
  }
}

/** YAML (JSON is YAML too): the document, or the first syntax error with its line. */
export function parseConfigYaml(f: ConfigFile, text: string, lineOffset = 0): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const line = error.linePos?.[0].line;
    const words = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    // The usual cause: text with ": " in it, which YAML reads as a key.
    const hint = /Nested mappings are not allowed in compact mappings|Implicit map keys need to be/.test(words) ? ' (put text that holds ": " in quotes)' : '';
    throw f.error(line === undefined ? undefined : line + lineOffset, undefined, `${words}${hint}`);
  }
  return { doc, lines };
}

/** The line of the key (or list item) at `keys`, or of the nearest part of the path that exists. */
export function lineOf(doc: Document, lines: LineCounter, keys: readonly PropertyKey[], lineOffset = 0): number | undefined {
  const at = (range: readonly number[] | null | undefined) => (range ? lines.linePos(range[0]!).line + lineOffset : undefined);
  for (let n = keys.length; n > 0; n--) {
    const parent = n === 1 ? doc.contents : doc.getIn(keys.slice(0, n - 1) as unknown[], true);
    const last = keys[n - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
      const line = at(isScalar(pair?.key) ? pair.key.range : undefined);
      if (line !== undefined) return line;
    } else if (isSeq(parent)) {
      const item = parent.items[Number(last)];
      const line = at(isScalar(item) || isMap(item) || isSeq(item) ? item.range : undefined);
      if (line !== undefined) return line;
    }
  }
  return at(isScalar(doc.contents) || isMap(doc.contents) || isSeq(doc.contents) ? doc.contents.range : undefined);
}

/** `channels.slack:C1.tools[2]` */
export function keyPath(keys: readonly PropertyKey[]): string {
  return keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('');
}
