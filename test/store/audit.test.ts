/**
 * The audit trail on each store (SQLite, Redis, PostgreSQL): records come back oldest first, from
 * a time on, by one person, the newest N when there are more; two instances on one store append
 * to one trail; only what is past the retention is removed.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import type { AuditRecord } from '../../src/store/audit.js';
import { EVERY_BACKEND, useStores } from '../../testkit/store-backends.js';

const stores = useStores();

const DAY = 86_400_000;
const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();
const record = (daysAgo: number, actor: string, kind = 'forget', extra: Partial<AuditRecord> = {}): AuditRecord => ({ at: at(daysAgo), kind, actor, ...extra });

describe.each(EVERY_BACKEND)('the audit trail on %s', (_kind, urlFor) => {
  it('keeps what two instances append, oldest first; filters by time and person; the newest N; prunes only what is old', async () => {
    const url = await urlFor();
    if (!url) return;
    const [a, b] = (await stores.open(url, 2)) as [Store, Store];
    expect(await a.audit.list()).toEqual([]);
    // Appended in time order, as a live trail is (Redis orders by arrival).
    await a.audit.append(record(400, 'slack:U1', 'forget', { session: 'slack-T1-C1-1.1', detail: { via: 'thread' } }));
    await b.audit.append(record(10, 'discord:42', 'access.refused', { detail: { because: 'rate limit' } }));
    const asked = record(2, 'slack:U1', 'tool.request', { session: 'slack-T1-C1-1.1', detail: { tool: 'bash', decision: 'asked', detail: 'ls -la' } });
    await a.audit.append(asked);
    await b.audit.append(record(1, 'cli:root', 'admin', { detail: { command: 'prune', sessions: 3 } }));

    const all = await b.audit.list();
    expect(all.map((r) => [r.actor, r.kind])).toEqual([
      ['slack:U1', 'forget'],
      ['discord:42', 'access.refused'],
      ['slack:U1', 'tool.request'],
      ['cli:root', 'admin'],
    ]);
    // Whole records come back as they went in.
    expect(all[2]).toEqual(asked);
    expect((await a.audit.list({ since: new Date(Date.now() - 7 * DAY) })).map((r) => r.kind)).toEqual(['tool.request', 'admin']);
    expect((await a.audit.list({ actor: 'slack:U1' })).map((r) => r.kind)).toEqual(['forget', 'tool.request']);
    expect((await a.audit.list({ actor: 'slack:U1', since: new Date(Date.now() - 30 * DAY) })).map((r) => r.kind)).toEqual(['tool.request']);
    expect((await a.audit.list({ limit: 2 })).map((r) => r.kind)).toEqual(['tool.request', 'admin']);

    await a.audit.prune(new Date(Date.now() - 365 * DAY));
    expect((await b.audit.list()).map((r) => r.kind)).toEqual(['access.refused', 'tool.request', 'admin']);
    await b.audit.prune(new Date(Date.now() - 365 * DAY));
    expect(await b.audit.list()).toHaveLength(3);
  });
});
