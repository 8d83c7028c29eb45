import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INVITE_PERMISSIONS } from '../../../../adapters/discord/index.js';
import { sessionIdFor } from '../../../../src/core/thread.js';
import { dmThreadRef, guildThreadRef, stripMention, threadName } from '../../../../adapters/discord/thread.js';

describe('Discord threads and text', () => {
  it('maps threads and DMs to their documented session ids, guilds kept apart', () => {
    expect(sessionIdFor(guildThreadRef('111', '999', 'u'))).toBe('discord-111-999');
    expect(sessionIdFor(guildThreadRef('222', '999', 'u'))).toBe('discord-222-999');
    expect(sessionIdFor(dmThreadRef('555', 'u'))).toBe('discord-dm-555');
    expect(dmThreadRef('555', 'u').direct).toBe(true);
    expect(guildThreadRef('111', '999', 'u').direct).toBeUndefined();
  });

  it('strips the bot mention in both forms', () => {
    expect(stripMention('<@42> hi <@!42> there <@7>', '42')).toBe('hi there <@7>');
  });

  it('names a new thread after the prompt, within Discord’s 100 characters', () => {
    expect(threadName('  How do I sort?\nmore text')).toBe('How do I sort?');
    expect(threadName('<@42>')).toBe('Copilot');
    expect(threadName('x'.repeat(300))).toHaveLength(100);
  });
});

describe('Discord set-up docs', () => {
  it('the invite link in docs/discord.md asks for exactly the permissions the bot uses', () => {
    expect(fs.readFileSync('docs/discord.md', 'utf8')).toContain(`permissions=${INVITE_PERMISSIONS}`);
  });
});
