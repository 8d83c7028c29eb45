/**
 * `copilot-threads sessions …`: the operator's view of every session, from the registry and
 * from the session state (folders on disk, or PostgreSQL in shared mode), with the same delete path the bot uses.
 */
import type { App } from '../app.js';
import { describeSessionId, type SessionId } from '../core/thread.js';
import { renderTranscript, transcriptMarkdown, withApprovals } from '../core/history.js';
import { retentionMs, sweep, type Expired } from '../core/retention.js';
import { absoluteTime, relativeTime } from '../core/listing.js';
import type { ThreadRecord } from '../store/registry.js';
import { parseDuration, table } from './table.js';
import { styleFor } from '../infra/terminal-style.js';
import { resolveTarget, type Lookup } from './target.js';
import { cliActor, type Out } from './out.js';


/** `3 days ago (2026-11-28 14:02 UTC)`: the one way the CLI tells a time. */
function when(d: Date | string | undefined, now: Date): string {
  return d === undefined ? '-' : `${relativeTime(d, now)} (${absoluteTime(d)})`;
}

/** The session an operator named, by id or as the thread people know. */
function lookup(app: App): Lookup {
  return {
    records: () => app.store.registry.list(),
    sessionIds: async () => (await app.agent.list()).map((s) => s.id),
    known: async (id) => (await app.store.registry.get(id)) !== undefined || (await app.agent.exists(id)),
  };
}

function whereOf(r: ThreadRecord | undefined, origin: ReturnType<typeof describeSessionId>): string {
  if (r) {
    const place = r.platform === 'local' ? `thread ${r.thread}` : r.direct ? `DM ${r.channel}` : r.channel === r.thread ? `${r.parent ? `${r.parent} › ` : ''}${r.thread}` : `${r.channel} › ${r.thread}`;
    return `${r.workspace} ${place}`;
  }
  if (!origin) return '?';
  return origin.channel === origin.thread ? `${origin.workspace} ${origin.thread}` : `${origin.workspace} ${origin.channel} › ${origin.thread}`;
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
  const style = io.style ?? styleFor(false);
  const now = io.now?.() ?? new Date();
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
      where: whereOf(r, origin),
      opening: r?.opening,
      link: r?.link,
      startedBy: r?.startedBy ?? '-',
      turns: r?.turns ?? 0,
      lastActive: r?.lastActiveAt ?? s?.modifiedAt?.toISOString(),
      feedback: r?.feedback ? { up: r.feedback.up, down: r.feedback.down } : undefined,
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
  const state = (r: (typeof rows)[number]) => (r.onDisk ? (r.registered ? style.green('ok') : style.yellow('no record')) : style.red('no session'));
  // The link (a Slack permalink, a Discord thread URL) opens the thread: last, as terminals make it clickable.
  const links = rows.some((r) => r.link);
  io.out(
    table(
      ['SESSION', 'PLATFORM', 'WHERE', 'OPENING', 'STARTED BY', 'TURNS', 'LAST ACTIVE', 'STATE', ...(links ? ['LINK'] : [])],
      rows.map((r) => [
        r.id,
        r.platform,
        r.where,
        clipped(r.opening ?? '-', 40),
        r.startedBy,
        String(r.turns),
        r.lastActive ? relativeTime(r.lastActive, now) : '-',
        state(r),
        ...(links ? [r.link ?? '-'] : []),
      ]),
      style,
    ),
  );
  io.out(style.dim(`\n${rows.length} session${rows.length === 1 ? '' : 's'}, newest first`));
  return 0;
}

function clipped(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export async function showSession(app: App, io: Out, target: string, options: { all: boolean } = { all: false }): Promise<number> {
  const style = io.style ?? styleFor(false);
  const now = io.now?.() ?? new Date();
  const id = await resolveTarget(target, lookup(app));
  const record = await app.store.registry.get(id);
  const events = await app.agent.history(id);
  const approvals = await app.store.approvals.log(id);
  if (!record && !events) {
    io.err(`no session ${id}`);
    return 1;
  }
  // Reading a conversation is an administrator's act on someone else's thread: recorded.
  app.audit.record({ kind: 'admin', actor: cliActor(), session: id, detail: { command: options.all ? 'show --all' : 'show' } });
  if (record) {
    const rows: Array<[string, string]> = [
      ['session', id],
      ['platform', record.platform],
      ['where', whereOf(record, undefined)],
      ...(record.link ? [['link', record.link] as [string, string]] : []),
      ...(record.opening ? [['opening', record.opening] as [string, string]] : []),
      ['started by', record.startedBy],
      ['created', when(record.createdAt, now)],
      ['last active', when(record.lastActiveAt, now)],
      ['turns', String(record.turns)],
      ['feedback', record.feedback ? `👍 ${record.feedback.up} · 👎 ${record.feedback.down}` : 'none'],
      ['model', record.model ? `${record.model} (chosen in the thread)` : "its channel's (CHANNEL_CONFIG) or COPILOT_MODEL"],
      ['agent', record.agent ? `${record.agent} (chosen in the thread)` : "its channel's (CHANNEL_CONFIG), or none"],
      ['repository', record.repo ? `${record.repo.name} ${record.repo.ref ?? '(default branch)'} at ${record.repo.commit.slice(0, 12)}, in ${record.repo.folder}/ (bound by ${record.repo.by} ${record.repo.at})` : 'none'],
      ['tool approvals', approvalSummary(approvals.map((a) => a.decision?.outcome ?? 'pending'))],
    ];
    io.out(table(['FIELD', 'VALUE'], rows, style));
    io.out('');
  }
  if (!events) io.out('(the registry knows this thread, but its session state is gone)');
  else {
    io.out(transcriptMarkdown(`Copilot session ${id}`, renderTranscript(withApprovals(events, approvals), { audience: 'operator', all: options.all })));
    if (!options.all) io.out(style.dim('(the conversation only: --all shows every event the session holds)'));
  }
  return 0;
}

const KIND_MEANS: Record<Expired['source'], string> = {
  registry: 'a conversation and its registry record',
  record: 'a registry record whose conversation is already gone',
  orphan: 'a conversation on disk or in the database with no registry record',
};

/** The legend of the KIND column: only the kinds the table shows. */
function kindsIn(kinds: readonly Expired['source'][]): string {
  return [...new Set(kinds)].map((k) => `${k} = ${KIND_MEANS[k]}`).join('; ');
}

/** "3 (approved 2, denied 1)" */
function approvalSummary(outcomes: readonly string[]): string {
  if (outcomes.length === 0) return '0';
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
  return `${outcomes.length} (${[...counts].map(([o, n]) => `${o} ${n}`).join(', ')})`;
}

export async function forgetSession(app: App, io: Out, target: string, options: { yes: boolean }): Promise<number> {
  const id = await resolveTarget(target, lookup(app));
  const stop = await refused(io, `Delete session ${id} and its registry record for good?`, options.yes);
  if (stop !== undefined) return stop;
  const removed = await app.conversation.forgetSession(id, undefined, { actor: cliActor(), via: 'cli' });
  if (!removed.session && !removed.record) {
    io.err(`no session ${id}`);
    return 1;
  }
  io.out(`deleted ${id} (session state: ${removed.session ? 'removed' : 'none'}, registry record: ${removed.record ? 'removed' : 'none'})`);
  return 0;
}

export async function pruneSessions(app: App, io: Out, options: { olderThan: string | undefined; dryRun: boolean; yes: boolean }): Promise<number> {
  const olderThanMs = options.olderThan !== undefined ? parseDuration(options.olderThan) : retentionMs(app.config.retentionDays);
  // The threshold is said every time: an operator must see what "old" meant before anything goes.
  const threshold =
    options.olderThan !== undefined ? options.olderThan.trim() : `${app.config.retentionDays} day${app.config.retentionDays === 1 ? '' : 's'} (SESSION_RETENTION_DAYS)`;
  if (options.olderThan === undefined && olderThanMs <= 0) {
    io.err('nothing to prune: retention is 0 (keep forever); pass --older-than to prune anyway');
    return 2;
  }
  const deps = { agent: app.agent, registry: app.store.registry, forget: (id: SessionId, confirm: () => Promise<boolean>) => app.conversation.forgetSession(id, confirm, { actor: cliActor(), via: 'prune' }), logger: app.logger };
  const plural = (n: number) => `${n} session${n === 1 ? '' : 's'}`;
  // Always listed first: what a deletion would remove is shown before anything is removed.
  const expired = await sweep(deps, { olderThanMs, now: new Date(), dryRun: true });
  if (expired.length === 0) {
    io.out(`Nothing to prune: no session idle for longer than ${threshold}.`);
    return 0;
  }
  const now = io.now?.() ?? new Date();
  io.out(`Sessions idle for longer than ${threshold}:\n`);
  io.out(table(['SESSION', 'LAST ACTIVE', 'KIND'], expired.map((e) => [e.id, when(e.lastActive, now), e.source]), io.style));
  io.out((io.style ?? styleFor(false)).dim(`\nKIND: ${kindsIn(expired.map((e) => e.source))}`));
  if (options.dryRun) {
    io.out(`\nwould delete ${plural(expired.length)}`);
    return 0;
  }
  const stop = await refused(io, `\nDelete these ${plural(expired.length)} for good?`, options.yes);
  if (stop !== undefined) return stop;
  const listed = new Set(expired.map((e) => e.id));
  app.audit.record({ kind: 'admin', actor: cliActor(), detail: { command: 'prune', olderThan: threshold, sessions: expired.length } });
  const removed = await sweep(deps, { olderThanMs, now: new Date(), dryRun: false, only: listed });
  io.out(`\ndeleted ${plural(removed.length)}`);
  return removed.length === expired.length ? 0 : 1;
}
