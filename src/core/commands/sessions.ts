/**
 * `sessions`: the threads of this workspace (or channel) that have a session, newest first, as
 * the asker may see them: other people's direct messages are theirs (not even their ids are
 * listed), nor are threads of channels the asker is not in where the platform keeps those
 * private (its `VisibilityCheck`). Admins see everything.
 */
import type { ThreadRef } from '../../domain.js';
import type { ThreadRecord, ThreadRegistry } from '../../store/registry.js';
import { threadLine, type ThreadNames } from '../listing.js';
import type { Reply } from '../reply.js';

/** Which of these records `asker` may see (a platform's own rule for private channels). */
export type VisibilityCheck = (asker: ThreadRef, records: readonly ThreadRecord[]) => Promise<ReadonlySet<string>>;

/** A list longer than this is cut (with a count): it is read in a chat message. */
export const LISTED_SESSIONS = 25;

export interface SessionListDeps {
  registry: Pick<ThreadRegistry, 'list'>;
  visibility: VisibilityCheck | undefined;
  isAdmin: (thread: ThreadRef) => boolean;
  names: ThreadNames;
  now: Date;
}

export async function sessionList(thread: ThreadRef, channel: string | undefined, deps: SessionListDeps): Promise<Reply> {
  const admin = deps.isAdmin(thread);
  let records = (await deps.registry.list({ platform: thread.platform, workspace: thread.workspace })).filter(
    (r) => (!r.direct || r.startedBy === thread.user || admin) && (channel === undefined || (r.parent ?? r.channel) === channel),
  );
  if (deps.visibility && records.length > 0 && !admin) {
    const visible = await deps.visibility(thread, records);
    records = records.filter((r) => visible.has(r.sessionId));
  }
  const scope = channel === undefined ? 'workspace' : 'channel';
  if (records.length === 0) return { kind: 'sessions', records, text: `No thread in this ${scope} has a Copilot session.` };
  const lines = records.slice(0, LISTED_SESSIONS).map((r) => `• ${threadLine(r, deps.now, deps.names)}`);
  const more = records.length > LISTED_SESSIONS ? `\n…and ${records.length - LISTED_SESSIONS} older.` : '';
  const title = `**Threads with a Copilot session${channel === undefined ? '' : ' in this channel'}** (${records.length}, newest first)`;
  return { kind: 'sessions', records, text: [title, ...lines].join('\n') + more };
}
