import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeSessionId, legacySessionIdFor, MAX_SESSION_ID_LENGTH, parseSessionId, sessionIdFor, ThreadIdError, type ThreadRef } from '../../../src/core/thread.js';

const VALID = /^[A-Za-z0-9_-]+$/;
const part = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }),
  fc.stringMatching(/^[A-Z0-9]{9,11}$/),
  fc.stringMatching(/^\d{10}\.\d{6}$/),
  fc.constantFrom('.', '..', '../..', 'a/b', 'C-1', 'x_y', '_', '-', ' ', 'ü', '🎉', '\u0000'),
);
const ref = fc.record({
  platform: fc.constantFrom('slack', 'discord', 'local'),
  workspace: part,
  channel: part,
  thread: part,
  user: fc.constant('U1'),
});

function idOrError(r: ThreadRef): string | ThreadIdError {
  try {
    return sessionIdFor(r);
  } catch (err) {
    if (err instanceof ThreadIdError) return err;
    throw err;
  }
}

describe('sessionIdFor', () => {
  it('gives the documented ids for Slack, Discord, DMs and the console', () => {
    expect(sessionIdFor({ platform: 'slack', workspace: 'T111', channel: 'C222', thread: '1700000050.000100' })).toBe(
      'slack-T111-C222-1700000050_000100',
    );
    expect(sessionIdFor({ platform: 'discord', workspace: '1001', channel: '2002', thread: '2002' })).toBe('discord-1001-2002');
    expect(sessionIdFor({ platform: 'discord', workspace: 'dm', channel: '3003', thread: '3003' })).toBe('discord-dm-3003');
    expect(sessionIdFor({ platform: 'local', workspace: 'ana', channel: 'ideas', thread: 'ideas' })).toBe('local-ana-ideas');
  });

  it('spells common names readably, escaping only what needs it', () => {
    const local = (thread: string, workspace = 'ana') => sessionIdFor({ platform: 'local', workspace, channel: thread, thread });
    expect(local('readme-demo')).toBe('local-ana-__readme__demo');
    expect(local('my notes')).toBe('local-ana-__my_20notes');
    expect(local('v1.2')).toBe('local-ana-v1_2');
    expect(local('snake_case')).toBe('local-ana-__snake_5fcase');
    expect(local('x', 'first.last-name')).toBe('local-__first_2elast__name-x');
    // Outside printable ASCII: hex, as before.
    expect(local('café')).toBe('local-ana-_636166c3a9');
    expect(describeSessionId('local-ana-__readme__demo')).toEqual({ platform: 'local', workspace: 'ana', channel: 'readme-demo', thread: 'readme-demo' });
    // What older versions made for such names still reads back, and is what legacySessionIdFor names.
    expect(describeSessionId('local-ana-_726561646d652d64656d6f')?.thread).toBe('readme-demo');
    expect(legacySessionIdFor({ platform: 'local', workspace: 'ana', channel: 'readme-demo', thread: 'readme-demo' })).toBe('local-ana-_726561646d652d64656d6f');
    expect(legacySessionIdFor({ platform: 'slack', workspace: 'T1', channel: 'C1', thread: '1.2' })).toBeUndefined();
  });

  it('is deterministic: the same thread always maps to the same id', () => {
    fc.assert(
      fc.property(ref, (r) => {
        expect(idOrError({ ...r })).toEqual(idOrError({ ...r, user: 'someone-else' }));
      }),
    );
  });

  it('never maps two different threads to one id', () => {
    fc.assert(
      fc.property(ref, ref, (a, b) => {
        const same = a.platform === b.platform && a.workspace === b.workspace && a.channel === b.channel && a.thread === b.thread;
        const ia = idOrError(a);
        const ib = idOrError(b);
        if (typeof ia === 'string' && typeof ib === 'string' && ia === ib) expect(same).toBe(true);
      }),
      { numRuns: 2000 },
    );
    // Separators and the dot encoding cannot be confused.
    const ids = [
      { workspace: 'a', channel: 'b-c', thread: 'd' },
      { workspace: 'a-b', channel: 'c', thread: 'd' },
      { workspace: 'a', channel: 'b', thread: 'c.d' },
      { workspace: 'a', channel: 'b', thread: 'c_d' },
      { workspace: 'a', channel: 'b', thread: '_63' },
      { workspace: 'a', channel: 'b', thread: 'c' },
    ].map((r) => sessionIdFor({ platform: 'slack', ...r }));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('turns hostile input into a valid id that stays inside COPILOT_HOME, or a clear error', () => {
    const home = '/srv/copilot';
    fc.assert(
      fc.property(ref, (r) => {
        const id = idOrError(r);
        if (id instanceof ThreadIdError) {
          expect(id.message).toMatch(/too long|invalid platform/);
          return;
        }
        expect(id).toMatch(VALID);
        expect(id.length).toBeLessThanOrEqual(MAX_SESSION_ID_LENGTH);
        const folder = path.resolve(home, 'session-state', id);
        expect(path.dirname(folder)).toBe(path.join(home, 'session-state'));
      }),
      { numRuns: 2000 },
    );
    expect(sessionIdFor({ platform: 'local', workspace: '..', channel: '../..', thread: '/etc/passwd' })).toMatch(VALID);
    expect(() => sessionIdFor({ platform: 'slack', workspace: 'T1', channel: 'C1', thread: 'x'.repeat(10_000) })).toThrow(/too long/);
    expect(() => sessionIdFor({ platform: '../x', workspace: 'T1', channel: 'C1', thread: '1' })).toThrow(ThreadIdError);
  });

  it('can be read back to show where a session came from', () => {
    fc.assert(
      fc.property(ref, (r) => {
        const id = idOrError(r);
        if (id instanceof ThreadIdError) return;
        expect(describeSessionId(id)).toEqual({ platform: r.platform, workspace: r.workspace, channel: r.channel, thread: r.thread });
      }),
      { numRuns: 1000 },
    );
    expect(describeSessionId('not an id')).toBeUndefined();
  });
});

describe('parseSessionId', () => {
  it('accepts ids and rejects anything that could escape a folder', () => {
    expect(parseSessionId('slack-T1-C1-1_2')).toBe('slack-T1-C1-1_2');
    for (const bad of ['../x', 'a/b', 'a.b', '', 'é', 'x'.repeat(201)]) expect(() => parseSessionId(bad)).toThrow(ThreadIdError);
  });
});
