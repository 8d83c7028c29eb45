/** The audit recorder: one log line and one stored record per event; secrets masked, long text cut; a store that fails never fails the caller. */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Audit, startAuditPruner, toRecord } from '../../../src/core/audit.js';
import type { AuditRecord } from '../../../src/store/audit.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

const NOW = new Date('2026-12-07T10:00:00Z');

describe('audit records', () => {
  it('mask secrets and cut long text in what they keep, and drop empty details', () => {
    const r = toRecord(
      { kind: 'tool.request', actor: 'slack:U1', session: 's1', detail: { tool: 'bash', detail: `curl -H "Authorization: Bearer abc" https://x?token=s3cr3t ${'y'.repeat(3000)}`, reason: undefined } },
      NOW,
    );
    expect(r.at).toBe('2026-12-07T10:00:00.000Z');
    expect(r.detail?.tool).toBe('bash');
    expect(String(r.detail?.detail)).not.toContain('s3cr3t');
    expect(String(r.detail?.detail).length).toBeLessThanOrEqual(2000);
    expect(String(r.detail?.detail).endsWith('…')).toBe(true);
    expect(r.detail).not.toHaveProperty('reason');
    const kept = toRecord({ kind: 'tool.request', actor: 'slack:U1', detail: { detail: 'curl -u bob:hunter2 "https://maps.example/api?key=AIzaSyA1234567890abcdefghijklmnopqrstuv&q=1" && mysql -psecretpw db && npm publish --//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789' } }, NOW);
    for (const secret of ['hunter2', 'AIzaSyA1234567890', 'secretpw', 'npm_abcdefghijklmnopqrstuvwxyz']) expect(String(kept.detail?.detail)).not.toContain(secret);
    expect(String(kept.detail?.detail)).toContain('curl -u bob:[hidden]');
    expect(toRecord({ kind: 'forget', actor: 'system' }, NOW)).toEqual({ at: '2026-12-07T10:00:00.000Z', kind: 'forget', actor: 'system' });
  });

  it('are logged at once with audit: true, stored, and a store that fails is logged, not thrown', async () => {
    const { logger, lines } = capture();
    const stored: AuditRecord[] = [];
    let fail = false;
    const audit = new Audit({ append: async (r) => (fail ? Promise.reject(new Error('store down')) : void stored.push(r)) }, logger, () => NOW);
    audit.record({ kind: 'forget', actor: 'slack:U1', session: 's1', detail: { via: 'thread' } });
    fail = true;
    audit.record({ kind: 'access.refused', actor: 'discord:42', detail: { because: 'rate limit' } });
    await audit.flush();
    expect(stored).toEqual([{ at: NOW.toISOString(), kind: 'forget', actor: 'slack:U1', session: 's1', detail: { via: 'thread' } }]);
    const audited = lines.filter((l) => l.audit === true && l.level === 30);
    expect(audited.map((l) => [l.msg, l.kind, l.actor])).toEqual([
      ['audit: forget', 'forget', 'slack:U1'],
      ['audit: access.refused', 'access.refused', 'discord:42'],
    ]);
    expect(audited[0]).toMatchObject({ sessionId: 's1', via: 'thread' });
    expect(lines.find((l) => l.level === 50)).toMatchObject({ msg: expect.stringContaining('could not be stored'), kind: 'access.refused' });
  });

  it('past AUDIT_RETENTION_DAYS are pruned once per round across instances; 0 keeps them forever', async () => {
    const { logger } = capture();
    const cutoffs: Date[] = [];
    const claimed = new Set<string>();
    const deps = { log: { prune: async (before: Date) => (cutoffs.push(before), 2) }, claimRound: async (k: string) => !claimed.has(k) && !!claimed.add(k), logger };
    const stopA = startAuditPruner(deps, { days: 365, everyMs: 3_600_000, now: () => NOW });
    const stopB = startAuditPruner(deps, { days: 365, everyMs: 3_600_000, now: () => NOW });
    await Promise.all([stopA(), stopB()]);
    expect(cutoffs).toEqual([new Date(NOW.getTime() - 365 * 86_400_000)]);
    const stopNever = startAuditPruner(deps, { days: 0, everyMs: 3_600_000, now: () => NOW });
    await stopNever();
    expect(cutoffs).toHaveLength(1);
  });
});
