import { describe, expect, it } from 'vitest';
import { decidePermission, isInside, type PermissionPolicy } from '../../src/agent/permissions.js';

const policy = (tools: string[]): PermissionPolicy => ({ allowedTools: new Set(tools), workspace: '/srv/bot/workspace' });

describe('decidePermission', () => {
  it('denies everything when no tool is enabled', () => {
    for (const kind of ['shell', 'read', 'write', 'url', 'mcp', 'memory', 'custom-tool', 'something-new']) {
      expect(decidePermission({ kind, path: '/srv/bot/workspace/a' }, policy([])).kind).toBe('reject');
    }
    expect(decidePermission({ kind: 'custom-tool', toolName: 'deploy' }, policy([]))).toEqual({
      kind: 'reject',
      feedback: expect.stringContaining('Tool "deploy" is not enabled'),
    });
  });

  it('approves only what an enabled tool is for', () => {
    const p = policy(['view', 'web_fetch']);
    expect(decidePermission({ kind: 'read', path: '/srv/bot/workspace/notes.md' }, p).kind).toBe('approve-once');
    expect(decidePermission({ kind: 'url' }, p).kind).toBe('approve-once');
    expect(decidePermission({ kind: 'shell' }, p).kind).toBe('reject');
    expect(decidePermission({ kind: 'write', fileName: '/srv/bot/workspace/x' }, p).kind).toBe('reject');
    expect(decidePermission({ kind: 'shell' }, policy(['bash'])).kind).toBe('approve-once');
    expect(decidePermission({ kind: 'mcp', serverName: 'github', toolName: 'search' }, policy(['github'])).kind).toBe('approve-once');
    expect(decidePermission({ kind: 'custom-tool', toolName: 'deploy' }, p).kind).toBe('reject');
  });

  it('keeps file tools inside the workspace folder', () => {
    const p = policy(['view', 'edit']);
    for (const outside of ['/etc/passwd', '/srv/bot/workspace/../.env', '/srv/bot/workspace-evil/x', '../x']) {
      expect(decidePermission({ kind: 'read', path: outside }, p).kind).toBe('reject');
      expect(decidePermission({ kind: 'write', fileName: outside }, p).kind).toBe('reject');
    }
    expect(decidePermission({ kind: 'read' }, p).kind).toBe('reject');
    expect(decidePermission({ kind: 'write', fileName: 'sub/new.txt' }, p).kind).toBe('approve-once');
    expect(isInside('/a/b', '/a/b')).toBe(true);
  });
});
