import { describe, expect, it } from 'vitest';
import { allowedByProfile, profileFor, sessionProfile, specificity } from '../../../src/core/profiles.js';
import type { ChannelProfiles } from '../../../src/domain.js';

const slackThread = { platform: 'slack' as const, workspace: 'T1', channel: 'C1' };
const discordThread = { platform: 'discord' as const, workspace: 'G1', channel: 'TH1', parent: 'CH1' };

const profiles: ChannelProfiles = {
  channels: [
    { selector: 'slack:C1', profile: { model: 'channel-model', tools: ['grep'] } },
    { selector: '*', profile: { model: 'everywhere', instructions: 'Be brief.' } },
    { selector: 'slack:*', profile: { agent: 'slack-agent' } },
    { selector: 'slack:T1', profile: { instructions: 'Workspace T1.' } },
    { selector: 'discord:CH1', profile: { agent: 'reviewer', allowedUsers: ['discord:U1'] } },
    { selector: 'discord:G1', profile: { model: 'guild-model' } },
  ],
  agents: [],
  skills: [],
};

describe('channel profiles', () => {
  it('ranks a selector by how specific it is, and matches a Discord thread by its parent', () => {
    expect(specificity('*', slackThread)).toBe(0);
    expect(specificity('slack:*', slackThread)).toBe(1);
    expect(specificity('slack:T1', slackThread)).toBe(2);
    expect(specificity('slack:C1', slackThread)).toBe(3);
    expect(specificity('discord:C1', slackThread)).toBeUndefined();
    expect(specificity('slack:C2', slackThread)).toBeUndefined();
    expect(specificity('discord:CH1', discordThread)).toBe(3);
    // By name: through the ids looked up for it; not looked up, it matches nothing.
    expect(specificity('slack:#general', slackThread, new Map([['slack:#general', ['C1']]]))).toBe(3);
    expect(specificity('slack:#general', slackThread, new Map([['slack:#general', ['C9']]]))).toBeUndefined();
    expect(specificity('slack:#general', slackThread)).toBeUndefined();
  });

  it('merges every matching entry field by field, the most specific last, whatever the file order', () => {
    // Instructions add up, the most specific last.
    expect(profileFor(profiles, slackThread)).toEqual({ model: 'channel-model', tools: ['grep'], instructions: 'Be brief.\n\nWorkspace T1.', agent: 'slack-agent' });
    expect(profileFor(profiles, { ...slackThread, channel: 'C2' })).toEqual({ model: 'everywhere', instructions: 'Be brief.\n\nWorkspace T1.', agent: 'slack-agent' });
    expect(profileFor(profiles, discordThread)).toEqual({ model: 'guild-model', instructions: 'Be brief.', agent: 'reviewer', allowedUsers: ['discord:U1'] });
    expect(profileFor(profiles, { platform: 'local', workspace: 'me', channel: 'x' })).toEqual({ model: 'everywhere', instructions: 'Be brief.' });
    expect(profileFor({ channels: [], agents: [], skills: [] }, slackThread)).toEqual({});
  });

  it("a thread's own choice wins while it is on offer", () => {
    const offer = { models: ['a', 'b'], agents: ['reviewer'] };
    expect(sessionProfile({ model: 'a', agent: 'x', tools: ['grep'], instructions: 'I.' }, { model: 'b', agent: 'reviewer' }, offer)).toEqual({ model: 'b', agent: 'reviewer', tools: ['grep'], instructions: 'I.' });
    // Taken off the offer since (a reload): the channel's again.
    expect(sessionProfile({ model: 'a' }, { model: 'gone', agent: 'gone' }, offer)).toEqual({ model: 'a' });
    expect(sessionProfile({}, {}, offer)).toEqual({});
    // A place's own list of agents: a choice outside it is not taken there.
    expect(sessionProfile({ agents: [], skills: ['s'] }, { agent: 'reviewer' }, offer)).toEqual({ agents: [], skills: ['s'] });
    // A workspace's list and a channel's agent that disagree: no agent, rather than one the place does not offer.
    expect(sessionProfile({ agents: ['other'], agent: 'reviewer' }, {}, { ...offer, agents: ['reviewer', 'other'] })).toEqual({ agents: ['other'] });
  });

  it('allowedUsers narrows who is answered', () => {
    expect(allowedByProfile({}, 'slack:U9')).toBe(true);
    expect(allowedByProfile({ allowedUsers: ['slack:U1'] }, 'slack:U1')).toBe(true);
    expect(allowedByProfile({ allowedUsers: ['slack:U1'] }, 'slack:U9')).toBe(false);
  });
});
