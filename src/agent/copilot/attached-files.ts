/**
 * The files people attached to a message, as the SDK takes them: pictures inline, text written
 * into the thread's folder and attached (whole when small, by path for the thread's tools).
 */
import path from 'node:path';
import type { MessageOptions } from '@github/copilot-sdk';
import type { SessionId } from '../../domain.js';
import type { Logger } from '../../infra/log.js';
import type { TurnAttachment } from '../agent.js';
import { ThreadFiles, type FolderOwner } from '../thread-files.js';

export type SdkAttachment = NonNullable<MessageOptions['attachments']>[number];

/** Text files up to this size are given to the model whole; larger ones by their path in the thread's folder. */
const INLINE_TEXT_BYTES = 200_000;

/** Where in a thread's folder the files people attached are written. */
const ATTACHED_DIR = 'attached';

/** A file name that is one plain name in the folder, whatever the person's file was called. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^A-Za-z0-9._ -]/g, '_').replace(/^[.\s]+/, '').slice(0, 100).trim();
  return clean || 'file.txt';
}

/** The names, each once and none of `taken`: a repeated one gets a number (`log-2.txt`), so no two files share a path. */
export function distinctNames(names: readonly string[], taken: readonly string[] = []): string[] {
  const used = new Set<string>(taken);
  return names.map((name) => {
    const ext = path.extname(name);
    const stem = name.slice(0, name.length - ext.length);
    let candidate = name;
    for (let n = 2; used.has(candidate); n++) candidate = `${stem}-${n}${ext}`;
    used.add(candidate);
    return candidate;
  });
}

/**
 * Attachments as the SDK takes them: pictures inline, text written into the thread's folder
 * (through `ThreadFiles`, which never follows a link a tool may have planted there) and attached
 * by path, so its tools can work on it too. A file never replaces one attached earlier in the
 * thread (a tool may be working on it): a name already there gets a number (`log-2.txt`). A file
 * that cannot be written is left out of the turn (logged), not the turn.
 */
export async function placeAttachments(
attachments: readonly TurnAttachment[],
where: { folder: string; owner: FolderOwner | undefined; sessionId: SessionId; logger: Logger },
): Promise<SdkAttachment[]> {
if (attachments.length === 0) return [];
const { folder } = where;
const dir = path.join(folder, ATTACHED_DIR);
const files = new ThreadFiles(folder, where.owner);
  const texts = attachments.some((a) => a.kind === 'text');
  // One turn of a thread at a time (and one instance, the lease): no other writer picks names here.
  const taken = texts ? await files.readdir(dir).catch(() => []) : [];
  const names = distinctNames(attachments.map((a) => safeFileName(a.name)), taken);
  // All at once; the write makes the folders it needs. The bytes are written as downloaded, and
  // turned into a string only when they go to the model whole.
  const placed = await Promise.allSettled(
    attachments.map(async (a, i): Promise<SdkAttachment> => {
      if (a.kind === 'image') return { type: 'blob', data: a.data.toString('base64'), mimeType: a.mimeType, displayName: a.name };
      const where = path.join(dir, names[i]!);
      await files.writeFile(where, a.data, 0o644);
      // Small text goes in whole (the model reads it without a tool); larger files by path, for the thread's tools.
      if (a.data.length > INLINE_TEXT_BYTES) return { type: 'file', path: where, displayName: a.name };
      const text = a.data.toString('utf8');
      const lines = text.split('\n');
      return { type: 'selection', filePath: where, displayName: a.name, text, selection: { start: { line: 0, character: 0 }, end: { line: lines.length - 1, character: lines.at(-1)!.length } } };
    }),
  );
  return placed.flatMap((r, i) => {
    if (r.status === 'fulfilled') return [r.value];
    where.logger.warn({ sessionId: where.sessionId, file: names[i], err: String(r.reason) }, 'an attached file could not be written to the thread’s folder; the turn goes on without it');
    return [];
  });
}
