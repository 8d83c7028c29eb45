import { describe, expect, it } from 'vitest';
import { toMrkdwn } from '../../../../adapters/slack/mrkdwn.js';
import { isFromPerson, parsePermalink, slackThreadRef, stripMention, threadOf } from '../../../../adapters/slack/thread.js';

describe('Markdown → Slack mrkdwn', () => {
  it('converts emphasis, links, headings, lists and keeps code', () => {
    expect(toMrkdwn('**bold** and *it* and ~~gone~~')).toBe('*bold* and _it_ and ~gone~');
    expect(toMrkdwn('see [the docs](https://example.com/a?b=1)')).toBe('see <https://example.com/a?b=1|the docs>');
    expect(toMrkdwn('# Title\n- one\n  - two')).toBe('*Title*\n• one\n  • two');
    expect(toMrkdwn('```ts\nconst a = b && c < d;\n```')).toBe('```\nconst a = b &amp;&amp; c &lt; d;\n```');
    expect(toMrkdwn('use `a**b**c` here')).toBe('use `a**b**c` here');
  });

  it('can never ping the channel or a user', () => {
    const out = toMrkdwn('hey <!channel> <!here> <!everyone> <@U123> @channel @here @everyone `@here`\n```\n<!channel>\n```');
    expect(out).not.toMatch(/<!(channel|here|everyone)>/);
    expect(out).not.toContain('<@U123>');
    expect(out).not.toMatch(/@(channel|here|everyone)\b/);
  });
});

describe('Slack message rules', () => {
  it('answers in the message thread, or starts one under a top-level message', () => {
    expect(threadOf({ ts: '2.2', thread_ts: '1.1' })).toBe('1.1');
    expect(threadOf({ ts: '2.2' })).toBe('2.2');
  });

  it('marks DM threads as direct, so other people never see them listed', () => {
    expect(slackThreadRef('T1', 'D123', '1.1', 'U1').direct).toBe(true);
    expect(slackThreadRef('T1', 'C123', '1.1', 'U1').direct).toBeUndefined();
  });

  it('listens to people only', () => {
    const base = { type: 'message', user: 'U1', text: 'hi', ts: '1.1', channel: 'C1' };
    expect(isFromPerson(base, 'UBOT')).toBe(true);
    expect(isFromPerson({ ...base, subtype: 'message_changed' }, 'UBOT')).toBe(false);
    expect(isFromPerson({ ...base, subtype: 'channel_join' }, 'UBOT')).toBe(false);
    expect(isFromPerson({ ...base, bot_id: 'B1' }, 'UBOT')).toBe(false);
    expect(isFromPerson({ ...base, user: 'UBOT' }, 'UBOT')).toBe(false);
  });

  it('strips only the bot mention', () => {
    expect(stripMention('<@UBOT> explain <@U2>’s PR', 'UBOT')).toBe('explain <@U2>’s PR');
    expect(stripMention('<@UBOT|copilot>   history', 'UBOT')).toBe('history');
  });

  it('reads thread permalinks', () => {
    expect(parsePermalink('https://acme.slack.com/archives/C222/p1700000050000100')).toEqual({ channel: 'C222', thread: '1700000050.000100' });
    expect(parsePermalink('<https://acme.slack.com/archives/C222/p1700000099000200?thread_ts=1700000050.000100&cid=C222>')).toEqual({
      channel: 'C222',
      thread: '1700000050.000100',
    });
    expect(parsePermalink('not a link')).toBeUndefined();
    expect(parsePermalink('https://acme.slack.com/archives/../p1')).toBeUndefined();
  });
});
