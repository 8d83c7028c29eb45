import { describe, expect, it } from 'vitest';
import { absoluteTime, PLAIN_NAMES, relativeTime, threadLine } from '../../../src/core/listing.js';
import { openingOf, type ThreadRecord } from '../../../src/store/registry.js';
import { slackNames } from '../../../adapters/slack/blocks.js';
import { DISCORD_NAMES } from '../../../adapters/discord/thread.js';
import { permalink } from '../../../adapters/slack/thread.js';

const now = new Date('2026-12-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const H = 3_600_000;
const D = 24 * H;

describe('relative times', () => {
  it('reads like a person says it', () => {
    expect(relativeTime(ago(10_000), now)).toBe('just now');
    expect(relativeTime(ago(5 * 60_000), now)).toBe('5 minutes ago');
    expect(relativeTime(ago(H), now)).toBe('1 hour ago');
    expect(relativeTime(ago(26 * H), now)).toBe('yesterday');
    expect(relativeTime(ago(3 * D), now)).toBe('3 days ago');
    expect(relativeTime(ago(15 * D), now)).toBe('2 weeks ago');
    expect(relativeTime(ago(400 * D), now)).toBe('last year');
    // A clock a little ahead is not "in 3 seconds".
    expect(relativeTime(new Date(now.getTime() + 3000), now)).toBe('just now');
    expect(relativeTime('garbage', now)).toBe('at an unknown time');
    expect(absoluteTime('2026-11-28T14:02:33.123Z')).toBe('2026-11-28 14:02 UTC');
  });
});

describe('thread lines', () => {
  const slack: ThreadRecord = {
    sessionId: 'slack-T1-C1-1700000050_000100' as never,
    platform: 'slack',
    workspace: 'T1',
    channel: 'C1',
    thread: '1700000050.000100',
    startedBy: 'U1',
    createdAt: ago(4 * D),
    lastActiveAt: ago(3 * D),
    turns: 4,
    opening: openingOf('How do I deploy the *staging* stack <!channel> without downtime when the database migration is long and slow?'),
  };

  it('keeps the opening words, cut at a word', () => {
    expect(slack.opening).toBe('How do I deploy the *staging* stack <!channel> without downtime when the…');
    expect(openingOf('  short\n\nprompt ')).toBe('short prompt');
  });

  it('names places and people as each platform renders them, never pinging, with a link', () => {
    expect(threadLine(slack, now, slackNames('https://acme.slack.com/'))).toBe(
      '<#C1> · “How do I deploy the *staging* stack &lt;!channel&gt; without downtime when the…” · started by <@U1> · 4 turns · 3 days ago · <https://acme.slack.com/archives/C1/p1700000050000100|open thread>',
    );
    const discord: ThreadRecord = { ...slack, platform: 'discord', workspace: '100', channel: '300', thread: '300', parent: '200', startedBy: '400', opening: 'a *b* c', turns: 1 };
    expect(threadLine(discord, now, DISCORD_NAMES)).toBe('<#300> in <#200> · “a \\*b\\* c” · started by <@400> · 1 turn · 3 days ago · [open thread](<https://discord.com/channels/100/300>)');
    const local: ThreadRecord = { ...slack, platform: 'local', workspace: 'ana', channel: 'demo', thread: 'demo', startedBy: 'ana', opening: undefined };
    expect(threadLine(local, now, PLAIN_NAMES)).toBe('thread “demo” · started by ana · 4 turns · 3 days ago');
    expect(threadLine({ ...slack, direct: true, channel: 'D1' }, now, slackNames(undefined))).toMatch(/^a direct message · /);
  });

  it('makes Slack permalinks only from a workspace address it trusts', () => {
    expect(permalink('https://acme.slack.com/', 'C1', '1700000050.000100')).toBe('https://acme.slack.com/archives/C1/p1700000050000100');
    expect(permalink(undefined, 'C1', '1.2')).toBeUndefined();
    expect(permalink('https://acme.slack.com/evil/path', 'C1', '1.2')).toBeUndefined();
    expect(permalink('https://acme.slack.com/', 'C1', 'not-a-ts')).toBeUndefined();
  });
});
