import { describe, expect, it } from 'vitest';
import { accessRules, decideAccess } from '../../../src/core/access.js';
import type { ThreadRef } from '../../../src/domain.js';

const slack = (user: string, channel = 'C1', extra: Partial<ThreadRef> = {}): ThreadRef => ({ platform: 'slack', workspace: 'T1', channel, thread: '1.1', user, ...extra });
const rules = (o: { users?: string[]; channels?: string[]; discordRoles?: string[] }, admins: string[] = []) =>
  accessRules({ users: o.users ?? [], channels: o.channels ?? [], discordRoles: o.discordRoles ?? [] }, admins);

describe('decideAccess', () => {
  it("a channel profile's allowedUsers narrow who is answered there; admins and the console still pass", () => {
    const profile = { allowedUsers: ['slack:U1'] };
    expect(decideAccess(rules({}), slack('U1'), profile)).toEqual({ allowed: true });
    expect(decideAccess(rules({}), slack('U2'), profile)).toEqual({ allowed: false, because: 'profile' });
    expect(decideAccess(rules({}, ['slack:U2']), slack('U2'), profile)).toEqual({ allowed: true });
    expect(decideAccess(rules({}), { platform: 'local', workspace: 'x', channel: 'y', thread: 'y', user: 'root' }, profile)).toEqual({ allowed: true });
    expect(decideAccess(rules({}), slack('U2'), {})).toEqual({ allowed: true });
  });

  it('lets everyone in when no list is set', () => {
    expect(decideAccess(rules({}), slack('U9'))).toEqual({ allowed: true });
  });

  it('needs both the channel and the person when both lists are set; admins and the console pass', () => {
    const r = rules({ users: ['slack:U1'], channels: ['slack:C1'] }, ['slack:UADMIN']);
    expect(decideAccess(r, slack('U1'))).toEqual({ allowed: true });
    expect(decideAccess(r, slack('U1', 'C2'))).toEqual({ allowed: false, because: 'channel' });
    expect(decideAccess(r, slack('U2'))).toEqual({ allowed: false, because: 'person' });
    expect(decideAccess(r, slack('UADMIN', 'C9'))).toEqual({ allowed: true });
    expect(decideAccess(r, { platform: 'local', workspace: 'x', channel: 'y', thread: 'y', user: 'root' })).toEqual({ allowed: true });
  });

  it('refuses direct messages under a channel list unless they are listed', () => {
    const r = rules({ channels: ['slack:C1', 'slack:D7'] });
    expect(decideAccess(r, slack('U1', 'D8', { direct: true })).allowed).toBe(false);
    expect(decideAccess(r, slack('U1', 'D7', { direct: true })).allowed).toBe(true);
  });

  it('counts roles on Discord only, and a thread by its parent channel', () => {
    const r = rules({ discordRoles: ['R1'], channels: ['discord:P1'] });
    const discord = (roles: string[], parent = 'P1'): ThreadRef => ({ platform: 'discord', workspace: 'G', channel: 'T', thread: 'T', user: 'U', parent, roles });
    expect(decideAccess(r, discord(['R1'])).allowed).toBe(true);
    expect(decideAccess(r, discord(['R2']))).toEqual({ allowed: false, because: 'person' });
    expect(decideAccess(r, discord(['R1'], 'P2'))).toEqual({ allowed: false, because: 'channel' });
    expect(decideAccess(rules({ discordRoles: ['R1'] }), slack('U1', 'C1', { roles: ['R1'] })).allowed).toBe(false);
  });
});
