/**
 * `copilot-threads audit [--since 7d] [--user platform:id] [--json]`: the audit trail, oldest
 * first, as a table for people or one JSON object per line for scripts and log shippers.
 */
import type { App } from '../app.js';
import type { AuditRecord } from '../core/audit.js';
import { absoluteTime } from '../core/listing.js';
import { visible } from '../core/exact-text.js';
import { parseDuration, table } from './table.js';
import type { Out } from './out.js';


export interface AuditOptions {
  since: string | undefined;
  user: string | undefined;
  json: boolean;
}

const DEFAULT_SINCE = '7d';

export async function showAudit(app: App, io: Out, options: AuditOptions): Promise<number> {
  const since = new Date((io.now?.() ?? new Date()).getTime() - parseDuration(options.since ?? DEFAULT_SINCE));
  const records = await app.store.audit.list({ since, ...(options.user ? { actor: options.user } : {}) });
  if (options.json) {
    for (const r of records) io.out(JSON.stringify(r));
    return 0;
  }
  const window = `since ${absoluteTime(since)}${options.user ? ` by ${options.user}` : ''}`;
  if (records.length === 0) {
    io.out(`No audit records ${window}.`);
    return 0;
  }
  io.out(table(['TIME', 'WHO', 'WHAT', 'SESSION', 'DETAIL'], records.map(row), io.style));
  io.out(`\n${records.length} record${records.length === 1 ? '' : 's'} ${window} (AUDIT_RETENTION_DAYS=${app.config.auditRetentionDays})`);
  return 0;
}

function row(r: AuditRecord): string[] {
  const detail = Object.entries(r.detail ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'string' ? oneLine(v) : String(v)}`)
    .join(' ');
  return [absoluteTime(r.at), visible(r.actor), r.kind, r.session ?? '-', detail];
}

/**
 * A command on one line of the table (its JSON form keeps it whole), every control character made
 * visible: what a model wrote must not move the operator's cursor, recolour or hide rows.
 */
function oneLine(text: string): string {
  const flat = visible(text.replace(/\s*\n\s*/g, ' ⏎ '));
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}
