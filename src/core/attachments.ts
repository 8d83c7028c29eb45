/**
 * Files people attach to a message → what the model can take: pictures (png, jpeg, gif, webp)
 * as images, text-like files (text, JSON, YAML, CSV, logs, source code) as files in the
 * thread's folder; anything else, anything too big and anything past the count is named in a
 * short note, and the turn still runs. The platform downloads (`PlatformThread.download`, with
 * the size cap enforced while the bytes arrive); this module decides what is read.
 */
import path from 'node:path';
import type { TurnAttachment } from '../agent/agent.js';

/** A file on a message, as the platform describes it (nothing downloaded yet). */
export interface InboundFile {
  /** What the platform downloads it by (its URL). */
  id: string;
  name: string;
  /** As the platform declares it; the name's extension decides where it says nothing useful. */
  mimeType?: string;
  /** Declared size in bytes (not trusted: the download is capped as it streams). */
  size?: number;
}

export interface FileLimits {
  /** FILES_MAX_MB, in bytes. */
  maxBytes: number;
  /** FILES_PER_MESSAGE. */
  perMessage: number;
}

export const DEFAULT_FILE_LIMITS: FileLimits = { maxBytes: 10 * 1024 * 1024, perMessage: 10 };

/** A download stopped because the file was bigger than allowed (`PlatformThread.download` throws it). */
export class FileTooLargeError extends Error {
  override name = 'FileTooLargeError';
}

export const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

const IMAGE_EXTENSIONS: Readonly<Record<string, string>> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };

const TEXT_TYPES = new Set([
  'application/json', 'application/x-ndjson', 'application/xml', 'application/yaml', 'application/x-yaml', 'application/toml', 'application/javascript',
  'application/typescript', 'application/x-sh', 'application/x-shellscript', 'application/sql', 'application/graphql', 'application/csv', 'application/x-httpd-php',
]);

const TEXT_EXTENSIONS = new Set(
  (
    'txt text md markdown rst log out err csv tsv json jsonl ndjson yaml yml toml ini cfg conf env properties xml html htm css scss less svg ' +
    'js mjs cjs jsx ts tsx mts cts py rb go rs java kt kts scala c h cc cpp cxx hpp hh cs fs swift m mm php pl pm r lua sh bash zsh fish ps1 bat ' +
    'sql graphql gql proto tf hcl dockerfile makefile cmake gradle vue svelte dart ex exs erl hrl clj elm hs ml nim zig diff patch'
  )
    .split(' ')
    .map((e) => `.${e}`),
);

const TEXT_NAMES = new Set(['dockerfile', 'makefile', 'readme', 'license', 'gemfile', 'procfile', 'jenkinsfile', '.gitignore', '.env.example']);

/** What the model can take of a file: a picture, text, or nothing (with the reason, in plain words). */
export type FileKind = { kind: 'image'; mimeType: string } | { kind: 'text' } | { kind: 'unsupported'; why: string };

export function kindOf(file: Pick<InboundFile, 'name' | 'mimeType'>): FileKind {
  const type = (file.mimeType ?? '').split(';')[0]!.trim().toLowerCase();
  const ext = path.extname(file.name).toLowerCase();
  if (IMAGE_TYPES.has(type)) return { kind: 'image', mimeType: type };
  if (!type || type === 'application/octet-stream' || type === 'binary/octet-stream') {
    if (IMAGE_EXTENSIONS[ext]) return { kind: 'image', mimeType: IMAGE_EXTENSIONS[ext] };
  }
  if (type.startsWith('text/') || TEXT_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml')) return { kind: 'text' };
  if (TEXT_EXTENSIONS.has(ext) || TEXT_NAMES.has(file.name.toLowerCase())) return { kind: 'text' };
  return { kind: 'unsupported', why: `${describeType(type, ext)} isn't supported yet (pictures and text files are)` };
}

function describeType(type: string, ext: string): string {
  if (type === 'application/pdf' || ext === '.pdf') return 'PDF';
  if (type.startsWith('image/')) return `${ext.slice(1).toUpperCase() || type.slice(6).toUpperCase()} pictures`;
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  if (ext) return `a ${ext.slice(1)} file`;
  return 'this kind of file';
}

/** A picture's type by its first bytes (png, jpeg, gif, webp); undefined for anything else. */
export function pictureType(data: Buffer): string | undefined {
  const starts = (bytes: number[] | string, at = 0) => data.subarray(at, at + bytes.length).equals(Buffer.from(bytes as never));
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts('GIF87a') || starts('GIF89a')) return 'image/gif';
  if (starts('RIFF') && starts('WEBP', 8)) return 'image/webp';
  return undefined;
}

/** What came of a message's files: attachments for the turn, and notes on the ones that were not read. */
export interface GatheredFiles {
  attachments: TurnAttachment[];
  /** One line per file that was not read ("report.pdf: PDF isn't supported yet"). */
  skipped: string[];
}

/**
 * Downloads what can be read (all at once), within the limits. A file that fails to download is
 * skipped with a note like the others; nothing here fails the turn.
 */
export async function gatherFiles(files: readonly InboundFile[], download: (file: InboundFile, maxBytes: number) => Promise<Buffer>, limits: FileLimits): Promise<GatheredFiles> {
  const mb = Math.round(limits.maxBytes / (1024 * 1024));
  const tooBig = (file: InboundFile) => `${file.name}: it is over ${mb} MB (FILES_MAX_MB)`;
  // One outcome per file, in the message's order.
  const outcomes = await Promise.all(
    files.map(async (file, i): Promise<TurnAttachment | string> => {
      if (i >= limits.perMessage) return `${file.name}: only ${limits.perMessage} files are read per message (FILES_PER_MESSAGE)`;
      const kind = kindOf(file);
      if (kind.kind === 'unsupported') return `${file.name}: ${kind.why}`;
      if (file.size !== undefined && file.size > limits.maxBytes) return tooBig(file);
      let data: Buffer;
      try {
        data = await download(file, limits.maxBytes);
      } catch (err) {
        return err instanceof FileTooLargeError ? tooBig(file) : `${file.name}: it could not be downloaded`;
      }
      if (kind.kind === 'image') {
        // The bytes say what it is: a mislabelled picture goes with its real type, a non-picture not at all.
        const mimeType = pictureType(data);
        return mimeType ? { kind: 'image', name: file.name, mimeType, data } : `${file.name}: it does not look like a picture`;
      }
      if (data.includes(0)) return `${file.name}: it does not look like text`;
      return { kind: 'text', name: file.name, data };
    }),
  );
  return {
    attachments: outcomes.filter((o): o is TurnAttachment => typeof o !== 'string'),
    skipped: outcomes.filter((o): o is string => typeof o === 'string'),
  };
}

/** The note to the person, and the line the model reads, about files that were not read. */
export function skippedNote(skipped: readonly string[]): string {
  return skipped.length === 1 ? `I couldn't read ${skipped[0]}.` : `I couldn't read these files:\n${skipped.map((s) => `• ${s}`).join('\n')}`;
}
