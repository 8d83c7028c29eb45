/**
 * `copilot-threads sessions …`: the operator's view of every session, from the registry and
 * from the session state (folders on disk, or PostgreSQL in shared mode), with the same delete path the bot uses.
 */
import type { App } from '../app.js';
import { describeSessionId, parseSessionId, type SessionId } from '../core/thread.js';
import { renderTranscript, transcriptMarkdown, withApprovals } from '../core/history.js';
import { retentionMs, sweep } from '../core/retention.js';
import { parseDuration, shortDate, table } from './table.js';

export interface Out {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Asks a person; absent when nobody can answer (no terminal). */
  confirm?: (question: string) => Promise<boolean>;
}

/**
 * Destructive verbs go ahead with --yes, or when the person at the terminal says so. Otherwise
 * resolves with the exit code to stop with: 1 when told no, 2 when nobody could be asked.
 */
async function refused(io: Out, question: string, yes: boolean): Promise<number | undefined> {
  if (yes) return undefined;
  if (!io.confirm) {
    io.err('refusing to delete without a confirmation: run this on a terminal, or pass --yes');
    return 2;
  }
  if (await io.confirm(question)) return undefined;
  io.out('Nothing deleted.');
  return 1;
}

export async function listSessions(app: App, io: Out, options: { json: boolean }): Promise<number> {
  const [records, onDisk] = await Promise.all([app.store.registry.list(), app.agent.list()]);
  const disk = new Map(onDisk.map((s) => [s.id as string, s]));
  const ids = [...new Set([...records.map((r) => r.sessionId as string), ...disk.keys()])];
  const byId = new Map(records.map((r) => [r.sessionId as string, r]));
  const rows = ids.map((id) => {
    const r = byId.get(id);
    const s = disk.get(id);
    const origin = describeSessionId(id);
    return {
      id,
      platform: r?.platform ?? origin?.platform ?? '?',
      where: r ? `${r.workspace}/${r.channel === r.thread ? r.thread : `${r.channel}/${r.thread}`}` : origin ? `${origin.workspace}/${origin.thread}` : '?',
      startedBy: r?.startedBy ?? '-',
      turns: r?.turns ?? 0,
      lastActive: r?.lastActiveAt ?? s?.modifiedAt?.toISOString(),
      onDisk: s !== undefined,
      registered: r !== undefined,
    };
  });
  rows.sort((a, b) => (b.lastActive ?? '').localeCompare(a.lastActive ?? ''));
  if (options.json) {
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    io.out('No sessions.');
    return 0;
  }
  io.out(
    table(
      ['SESSION', 'PLATFORM', 'WHERE', 'STARTED BY', 'TURNS', 'LAST ACTIVE (UTC)', 'STATE'],
      rows.map((r) => [r.id, r.platform, r.where, r.startedBy, String(r.turns), shortDate(r.lastActive), r.onDisk ? (r.registered ? 'ok' : 'no record') : 'no session']),
    ),
  );
  io.out(`\n${rows.length} session${rows.length === 1 ? '' : 's'}`);
  return 0;
}

export async function showSession(app: App, io: Out, rawId: string): Promise<number> {
  const id = parseSessionId(rawId);
  const record = await app.store.registry.get(id);
  const events = await app.agent.history(id);
  const approvals = await app.store.approvals.log(id);
  if (!record && !events) {
    io.err(`no session ${id}`);
    return 1;
  }
  if (record) {
    io.out(
      table(
        ['FIELD', 'VALUE'],
        [
          ['session', id],
          ['platform', record.platform],
          ['workspace', record.workspace],
          ['channel', record.channel],
          ['thread', record.thread],
          ['started by', record.startedBy],
          ['created', shortDate(record.createdAt)],
          ['last active', shortDate(record.lastActiveAt)],
          ['turns', String(record.turns)],
          ['tool approvals', approvalSummary(approvals.map((a) => a.decision?.outcome ?? 'pending'))],
        ],
      ),
    );
    io.out('');
  }
  if (!events) io.out('(the registry knows this thread, but its session state is gone)');
  else io.out(transcriptMarkdown(`Copilot session ${id}`, renderTranscript(withApprovals(events, approvals), 'operator')));
  return 0;
}

/** "3 (approved 2, denied 1)" */
function approvalSummary(outcomes: readonly string[]): string {
  if (outcomes.length === 0) return '0';
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
  return `${outcomes.length} (${[...counts].map(([o, n]) => `${o} ${n}`).join(', ')})`;
}

export async function forgetSession(app: App, io: Out, rawId: string, options: { yes: boolean }): Promise<number> {
  const id = parseSessionId(rawId);
  const stop = await refused(io, `Delete session ${id} and its registry record for good?`, options.yes);
  if (stop !== undefined) return stop;
  const removed = await app.conversation.forgetSession(id);
  if (!removed.session && !removed.record) {
    io.err(`no session ${id}`);
    return 1;
  }
  io.out(`deleted ${id} (session state: ${removed.session ? 'removed' : 'none'}, registry record: ${removed.record ? 'removed' : 'none'})`);
  return 0;
}

export async function pruneSessions(app: App, io: Out, options: { olderThan: string | undefined; dryRun: boolean; yes: boolean }): Promise<number> {
  const olderThanMs = options.olderThan !== undefined ? parseDuration(options.olderThan) : retentionMs(app.config.retentionDays);
  if (options.olderThan === undefined && olderThanMs <= 0) {
    io.err('nothing to prune: retention is 0 (keep forever); pass --older-than to prune anyway');
    return 2;
  }
  const deps = { agent: app.agent, registry: app.store.registry, forget: (id: SessionId, confirm: () => Promise<boolean>) => app.conversation.forgetSession(id, confirm), logger: app.logger };
  const plural = (n: number) => `${n} session${n === 1 ? '' : 's'}`;
  // Always listed first: what a deletion would remove is shown before anything is removed.
  const expired = await sweep(deps, { olderThanMs, now: new Date(), dryRun: true });
  if (expired.length === 0) {
    io.out('Nothing to prune.');
    return 0;
  }
  io.out(table(['SESSION', 'LAST ACTIVE (UTC)', 'KIND'], expired.map((e) => [e.id, shortDate(e.lastActive), e.source])));
  if (options.dryRun) {
    io.out(`\nwould delete ${plural(expired.length)}`);
    return 0;
  }
  const stop = await refused(io, `\nDelete these ${plural(expired.length)} for good?`, options.yes);
  if (stop !== undefined) return stop;
  const listed = new Set(expired.map((e) => e.id));
  const removed = await sweep(deps, { olderThanMs, now: new Date(), dryRun: false, only: listed });
  io.out(`\ndeleted ${plural(removed.length)}`);
  return removed.length === expired.length ? 0 : 1;
}
