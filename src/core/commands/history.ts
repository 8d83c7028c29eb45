/**
 * `history [page]`: what a thread's session holds, newest page by default, with the thread's
 * feedback and tool approvals, and the whole transcript for a download. Rendered once per session
 * and kept until its next turn (TranscriptCache).
 */
import type { Agent } from '../../agent/agent.js';
import type { SessionId } from '../../domain.js';
import type { ThreadRecord, ThreadRegistry } from '../../store/registry.js';
import type { ApprovalDesk } from '../approvals/desk.js';
import { formatEntry, paginate, withApprovals } from '../history.js';
import type { Reply } from '../reply.js';
import type { TranscriptCache } from '../transcripts.js';

export interface HistoryDeps {
  transcripts: TranscriptCache;
  agent: Pick<Agent, 'history'>;
  approvals: Pick<ApprovalDesk, 'log'> | undefined;
  registry: Pick<ThreadRegistry, 'get'>;
  pageSize: number;
  /** The model and agent the thread runs with, for the header (empty: nothing to say). */
  setting?: (record: ThreadRecord | undefined) => string;
}

export async function historyPage(id: SessionId, page: number, deps: HistoryDeps): Promise<Reply> {
  let transcript = deps.transcripts.get(id);
  if (!transcript) {
    const events = await deps.agent.history(id);
    if (!events) return { kind: 'notice', text: 'This thread has no Copilot session yet.' };
    transcript = deps.transcripts.render(id, withApprovals(events, (await deps.approvals?.log(id)) ?? []));
  }
  const view = paginate(transcript.entries, page, deps.pageSize);
  const record = await deps.registry.get(id);
  const feedback = record?.feedback;
  const rated = feedback ? ` · feedback 👍 ${feedback.up} 👎 ${feedback.down}` : '';
  const setting = deps.setting?.(record);
  const header = `**History of this thread** (page ${view.page} of ${view.pages}, ${view.total} entries${rated}${setting ? ` · ${setting}` : ''})`;
  const more = view.pages > 1 ? `\n_Other pages: \`history <1-${view.pages}>\`._` : '';
  return {
    kind: 'history',
    sessionId: id,
    page: view,
    text: [header, ...view.entries.map((e) => formatEntry(e))].join('\n') + more,
    transcript: transcript.markdown,
  };
}
