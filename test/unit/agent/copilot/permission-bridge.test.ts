/** The permission bridge tells the turn of every request and what the policy answered (the audit trail's `tool.request`). */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { PermissionRecord, ToolVerdict } from '../../../../src/agent/agent.js';
import { answerPermission } from '../../../../src/agent/copilot/permission-bridge.js';
import type { RunningTurn } from '../../../../src/agent/copilot/turn.js';

const log = pino({ level: 'silent' });
const policy = { allowedTools: new Set(['bash', 'view']), approvalTools: new Set(['bash']), workspace: '/work/thread' };

function turn(verdict: ToolVerdict | undefined, told: PermissionRecord[], toolBudget?: RunningTurn['toolBudget']): RunningTurn {
  return {
    fail: () => undefined,
    approve: verdict ? async () => verdict : undefined,
    onPermission: (r) => told.push(r),
    toolBudget,
    signal: new AbortController().signal,
    pause: () => undefined,
    resume: () => undefined,
    toolNames: new Map(),
  };
}

describe('the permission bridge', () => {
  it('tells the turn what each request would do and what the policy said: allowed, denied with why, asked', async () => {
    const told: PermissionRecord[] = [];
    expect(await answerPermission({ kind: 'read', path: '/work/thread/notes.md' }, 's', turn(undefined, told), policy, log)).toEqual({ kind: 'approve-once' });
    expect((await answerPermission({ kind: 'read', path: '/etc/shadow' }, 's', turn(undefined, told), policy, log)).kind).toBe('reject');
    expect((await answerPermission({ kind: 'url', url: 'https://example.org' }, 's', turn(undefined, told), policy, log)).kind).toBe('reject');
    expect(await answerPermission({ kind: 'shell', fullCommandText: 'rm -rf build' }, 's', turn({ approved: true }, told), policy, log)).toEqual({ kind: 'approve-once' });
    expect((await answerPermission({ kind: 'shell', fullCommandText: 'ls' }, 's', turn(undefined, told), policy, log)).kind).toBe('reject');
    const digest = expect.stringMatching(/^[0-9a-f]{64}$/);
    expect(told).toEqual([
      { tool: 'read', detail: '/work/thread/notes.md', digest, decision: 'allowed' },
      { tool: 'read', detail: '/etc/shadow', digest, decision: 'denied', reason: "Only files in this thread's own folder may be read (/work/thread)." },
      { tool: 'url', detail: 'https://example.org', digest, decision: 'denied', reason: 'url access is not enabled on this bot.' },
      { tool: 'bash', detail: 'rm -rf build', digest, decision: 'asked' },
      { tool: 'bash', detail: 'ls', digest, decision: 'denied', reason: 'it needs approval and nobody could be asked' },
    ]);
    // No turn of ours runs (a request re-raised as a session resumes): even an allowed tool does not run.
    expect((await answerPermission({ kind: 'read', path: '/work/thread/notes.md' }, 's', undefined, policy, log)).kind).toBe('reject');
  });

  it('runs an allowed or approved tool only while its author’s daily budget lasts; a budget that cannot be asked denies', async () => {
    const asked: string[] = [];
    let left = 1;
    const budget = async (tool: string) => (asked.push(tool), left-- > 0 ? undefined : 'your 1 tool run for today is used up (USER_DAILY_TOOL_RUNS)');
    expect(await answerPermission({ kind: 'read', path: '/work/thread/a' }, 's', turn(undefined, [], budget), policy, log)).toEqual({ kind: 'approve-once' });
    const refused = await answerPermission({ kind: 'shell', fullCommandText: 'ls' }, 's', turn({ approved: true }, [], budget), policy, log);
    expect(refused).toEqual({ kind: 'reject', feedback: expect.stringMatching(/^Not run: your 1 tool run for today is used up \(USER_DAILY_TOOL_RUNS\)\. Do not retry/) });
    expect(asked).toEqual(['read', 'bash']);
    // Denied by the policy or by a person: the budget is not asked (nothing runs, nothing is counted).
    expect((await answerPermission({ kind: 'url', url: 'https://x' }, 's', turn(undefined, [], budget), policy, log)).kind).toBe('reject');
    expect((await answerPermission({ kind: 'shell', fullCommandText: 'ls' }, 's', turn({ approved: false, reason: 'no' }, [], budget), policy, log)).kind).toBe('reject');
    expect(asked).toHaveLength(2);
    const broken = async () => Promise.reject(new Error('store down'));
    expect((await answerPermission({ kind: 'read', path: '/work/thread/a' }, 's', turn(undefined, [], broken), policy, log)).kind).toBe('reject');
  });

  it('answers as the policy says even when the listener throws', async () => {
    const throwing = { ...turn(undefined, []), onPermission: () => { throw new Error('listener broke'); } };
    expect(await answerPermission({ kind: 'read', path: '/work/thread/a' }, 's', throwing, policy, log)).toEqual({ kind: 'approve-once' });
  });
});
