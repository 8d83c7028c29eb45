import { describe, expect, it } from 'vitest';
import { decidePermission, isInside, mcpToolOf, toolOfRequest, type PermissionPolicy } from '../../../src/agent/permissions.js';

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
    expect(decidePermission({ kind: 'mcp', serverName: 'github', toolName: 'github-search' }, policy(['mcp:github'])).kind).toBe('approve-once');
    // A server is enabled by its mcp: name only (a built-in tool of the same name enables nothing of it).
    expect(decidePermission({ kind: 'mcp', serverName: 'github', toolName: 'github-search' }, policy(['github', 'mcp:other'])).kind).toBe('reject');
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

describe('tools that need approval (COPILOT_TOOLS_APPROVAL)', () => {
  const p = (tools: string[], approval: string[]): PermissionPolicy => ({ allowedTools: new Set(tools), approvalTools: new Set(approval), workspace: '/srv/bot/workspace' });

  it('asks for an allowed tool on the approval list, with what it would do', () => {
    const answer = decidePermission({ kind: 'shell', fullCommandText: 'ls -la', intention: 'list files' }, p(['bash'], ['bash']), 'bash');
    expect(answer).toMatchObject({ kind: 'ask', ask: { tool: 'bash', detail: 'ls -la', intention: 'list files' } });
    expect(decidePermission({ kind: 'url', url: 'https://example.com' }, p(['web_fetch'], ['web_fetch']))).toMatchObject({ kind: 'ask', ask: { tool: 'web_fetch', detail: 'https://example.com' } });
    expect(decidePermission({ kind: 'mcp', serverName: 'github', toolName: 'github-x', args: { q: 1 } }, p(['mcp:github'], ['mcp:*']))).toMatchObject({ kind: 'ask', ask: { tool: 'mcp:github/x', detail: '{"q":1}' } });
  });

  it('MCP tools ask as COPILOT_TOOLS_APPROVAL\'s patterns say: mcp:*, mcp:SERVER, mcp:SERVER/*, mcp:SERVER/TOOL', () => {
    const ask = (patterns: string[], server = 'weather', tool = 'weather-forecast') => decidePermission({ kind: 'mcp', serverName: server, toolName: tool, args: {} }, p(['mcp:weather', 'mcp:docs'], patterns)).kind;
    for (const patterns of [['mcp:*'], ['mcp:weather'], ['mcp:weather/*'], ['mcp:weather/forecast']]) expect(ask(patterns)).toBe('ask');
    for (const patterns of [[], ['mcp:docs'], ['mcp:docs/*'], ['mcp:weather/look'], ['bash']]) expect(ask(patterns)).toBe('approve-once');
    // The runtime's name is `<server>-<tool>`: a tool whose own name has a dash is still itself.
    expect(ask(['mcp:weather/five-day'], 'weather', 'weather-five-day')).toBe('ask');
    // A server the session does not have is refused, whatever the patterns.
    expect(ask([], 'other', 'other-x')).toBe('reject');
    // A name not of the form <server>-<tool>: asked whenever anything of its server is asked for (never let through on a pattern it slipped past).
    expect(ask(['mcp:weather/forecast'], 'weather', 'forecast')).toBe('ask');
    expect(ask(['mcp:docs/x'], 'weather', 'forecast')).toBe('approve-once');
    // A tool MCP_CONFIG does not offer of its server is refused.
    const only = { ...p(['mcp:weather'], []), mcpTools: new Map([['weather', ['forecast']]]) };
    expect(decidePermission({ kind: 'mcp', serverName: 'weather', toolName: 'weather-forecast' }, only).kind).toBe('approve-once');
    expect(decidePermission({ kind: 'mcp', serverName: 'weather', toolName: 'weather-delete' }, only).kind).toBe('reject');
    expect(mcpToolOf({ serverName: 'weather', toolName: 'weather-forecast' })).toBe('forecast');
    expect(toolOfRequest({ kind: 'mcp', serverName: 'weather', toolName: 'weather-forecast' }, undefined)).toBe('mcp:weather/forecast');
  });

  it('never asks for what the policy denies anyway, nor for tools off the list', () => {
    expect(decidePermission({ kind: 'shell' }, p([], ['bash'])).kind).toBe('reject');
    expect(decidePermission({ kind: 'write', fileName: '/etc/passwd' }, p(['edit'], ['edit'])).kind).toBe('reject');
    expect(decidePermission({ kind: 'read', path: '/srv/bot/workspace/a' }, p(['view', 'bash'], ['bash'])).kind).toBe('approve-once');
    expect(decidePermission({ kind: 'shell' }, p(['bash'], [])).kind).toBe('approve-once');
  });

  it('uses the tool the runtime named; without it, any enabled tool of the kind on the list asks', () => {
    expect(decidePermission({ kind: 'write', fileName: 'a.txt' }, p(['edit', 'create'], ['create']), 'edit').kind).toBe('approve-once');
    expect(decidePermission({ kind: 'write', fileName: 'a.txt' }, p(['edit', 'create'], ['create']), 'create')).toMatchObject({ kind: 'ask', ask: { tool: 'create' } });
    expect(decidePermission({ kind: 'write', fileName: 'a.txt' }, p(['edit', 'create'], ['create']))).toMatchObject({ kind: 'ask', ask: { tool: 'create' } });
  });

  it('digests the arguments: the same request, the same digest; another command, another', () => {
    const a = decidePermission({ kind: 'shell', fullCommandText: 'ls', toolCallId: 'c1' }, p(['bash'], ['bash']));
    const b = decidePermission({ kind: 'shell', fullCommandText: 'ls', toolCallId: 'c2' }, p(['bash'], ['bash']));
    const c = decidePermission({ kind: 'shell', fullCommandText: 'rm -rf /' }, p(['bash'], ['bash']));
    const digest = (x: ReturnType<typeof decidePermission>) => (x.kind === 'ask' ? x.ask.digest : '');
    expect(digest(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(digest(a)).toBe(digest(b));
    expect(digest(a)).not.toBe(digest(c));
  });
});

describe('file tools are judged by where a path really is (realLocation)', () => {
  it('refuses a path inside the folder that is a link leading out, and allows links that stay in', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { realLocation } = await import('../../../src/agent/permissions.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-perm-'));
    try {
      const folder = path.join(dir, 'thread');
      fs.mkdirSync(path.join(folder, 'real'), { recursive: true });
      fs.symlinkSync('/', path.join(folder, 'hostroot'));
      fs.symlinkSync('..', path.join(folder, 'up'));
      fs.symlinkSync('/etc/not-there-yet', path.join(folder, 'dangling'));
      fs.symlinkSync('real', path.join(folder, 'alias'));
      const p: PermissionPolicy = { allowedTools: new Set(['grep', 'create']), workspace: folder, real: realLocation };
      for (const outside of ['hostroot/etc', 'up', 'up/other-thread/x', 'dangling', 'hostroot/tmp/new.txt']) {
        expect(decidePermission({ kind: 'read', path: path.join(folder, outside) }, p).kind, outside).toBe('reject');
        expect(decidePermission({ kind: 'write', fileName: path.join(folder, outside) }, p).kind, outside).toBe('reject');
      }
      for (const inside of ['real', 'alias/new.txt', 'new/dir/file.txt', '.']) {
        expect(decidePermission({ kind: 'read', path: path.join(folder, inside) }, p).kind, inside).toBe('approve-once');
      }
      expect(realLocation(path.join(folder, 'alias/x/y'))).toBe(path.join(fs.realpathSync(folder), 'real/x/y'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
