/** history / forget / sessions / help: in threads, as /copilot, from buttons and the message shortcut. */
import fs from 'node:fs';
import { startGitServer } from '../../testkit/git-server.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, encodeTarget } from '../../adapters/slack/blocks.js';
import { THINKING } from '../../adapters/slack/replier.js';
import { THREAD_HISTORY_CALLBACK } from '../../adapters/slack/listeners/shortcuts/thread_history.js';
import { mention, nextTs, startSlackHarness, type SlackHarness } from '../../testkit/slack-harness.js';
import { blockAction, threadTexts } from '../../testkit/slack-view.js';

let s: SlackHarness | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const sid = (ts: string, channel = 'C222') => `slack-T111-${channel}-${ts.replace('.', '_')}`;
const finished = (s: SlackHarness, thread: string) => threadTexts(s.slack, 'C222', thread).filter((t) => t !== THINKING);

async function threadWithTurns(s: SlackHarness, ...prompts: string[]): Promise<string> {
  const ts = nextTs();
  for (const [i, p] of prompts.entries()) {
    await s.event(mention(p, i === 0 ? { ts } : { thread_ts: ts }));
    await expect.poll(() => finished(s, ts).length, { timeout: 30_000 }).toBe(i + 1);
  }
  return ts;
}

async function response(s: SlackHarness, id: string, index = 0): Promise<Record<string, unknown>> {
  await expect.poll(() => s.slack.responses.filter((r) => r.id === id).length, { timeout: 30_000 }).toBeGreaterThan(index);
  return s.slack.responses.filter((r) => r.id === id)[index]!.body;
}

const click = (actionId: string, value: string, o: { user?: string; channel?: string; responseId?: string } = {}) =>
  blockAction(s!.slack, actionId, value, { ...o, responseId: o.responseId ?? 'btn', ephemeral: true, blockId: 'b1' });

const allText = (blocks: unknown) => JSON.stringify(blocks);
const buttonValue = (blocks: unknown, actionId: string): string => {
  const found = (blocks as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>)
    .flatMap((b) => b.elements ?? [])
    .find((e) => e.action_id?.startsWith(actionId));
  if (!found?.value) throw new Error(`no ${actionId} button in ${allText(blocks)}`);
  return found.value;
};

describe('forged buttons', () => {
  it('refuses a button payload that names no channel, or another channel than its value, and shows nothing', async () => {
    s = await startSlackHarness();
    const ts = await threadWithTurns(s, 'the secret plan');
    const forged = click(ACTION.history, encodeTarget({ c: 'C222', t: ts, p: 0 }), { responseId: 'forged' });
    delete forged.channel;
    delete forged.container;
    await s.interact(forged);
    expect(String((await response(s, 'forged')).text)).toMatch(/no longer valid/);
    await s.interact(click(ACTION.history, encodeTarget({ c: 'C222', t: ts, p: 0 }), { channel: 'C999', responseId: 'elsewhere' }));
    expect(String((await response(s, 'elsewhere')).text)).toMatch(/no longer valid/);
    expect(JSON.stringify(s.slack.responses)).not.toContain('the secret plan');
  });
});

describe('in a thread', () => {
  it('`@copilot history` shows the history to the asker only', async () => {
    s = await startSlackHarness();
    const ts = await threadWithTurns(s, 'first question');
    await s.event(mention('history', { thread_ts: ts }));
    await expect.poll(() => s!.slack.callsTo('chat.postEphemeral').length, { timeout: 30_000 }).toBe(1);
    const call = s.slack.callsTo('chat.postEphemeral')[0]!.args;
    expect(call).toMatchObject({ channel: 'C222', thread_ts: ts, user: 'UHUMAN' });
    expect(allText(call.blocks)).toContain('first question');
    expect(allText(call.blocks)).toContain(ACTION.transcript);
    expect(finished(s, ts)).toHaveLength(1);
    expect(s.h.model.requests).toHaveLength(1);
  });

  it('`@copilot forget` asks to confirm, then deletes the session and tells the thread', async () => {
    s = await startSlackHarness();
    const ts = await threadWithTurns(s, 'remember this');
    await s.event(mention('forget', { thread_ts: ts }));
    await expect.poll(() => s!.slack.callsTo('chat.postEphemeral').length, { timeout: 30_000 }).toBe(1);
    const blocks = s.slack.callsTo('chat.postEphemeral')[0]!.args.blocks;
    expect(allText(blocks)).toContain('"confirm"');
    expect(fs.existsSync(s.h.sessionDir(sid(ts)))).toBe(true);

    // Someone else presses the button: refused.
    await s.interact(click(ACTION.forget, buttonValue(blocks, ACTION.forget), { user: 'UOTHER', responseId: 'other' }));
    expect(String((await response(s, 'other')).text)).toMatch(/Only the person who started/);
    expect(fs.existsSync(s.h.sessionDir(sid(ts)))).toBe(true);

    await s.interact(click(ACTION.forget, buttonValue(blocks, ACTION.forget)));
    expect(await response(s, 'btn')).toMatchObject({ replace_original: true, text: expect.stringMatching(/Forgotten/) });
    expect(fs.existsSync(s.h.sessionDir(sid(ts)))).toBe(false);
    expect(await s.h.app.store.registry.get(sid(ts) as never)).toBeUndefined();
    await expect.poll(() => finished(s!, ts).at(-1), { timeout: 10_000 }).toMatch(/<@UHUMAN> made me forget this thread/);

    await s.event(mention('who are you?', { thread_ts: ts }));
    await expect.poll(() => finished(s!, ts).at(-1), { timeout: 30_000 }).toBe('you said: who are you?');
  });

  it('`@copilot help` answers in the thread without calling the model', async () => {
    s = await startSlackHarness();
    const ts = nextTs();
    await s.event(mention('help', { ts }));
    await expect.poll(() => finished(s!, ts)[0], { timeout: 30_000 }).toContain('`history [page]`');
    expect(s.h.model.requests).toHaveLength(0);
  });
});

describe('/copilot', () => {
  it('acks at once and lists this channel’s threads with sessions, newest first, with buttons', async () => {
    s = await startSlackHarness();
    const older = await threadWithTurns(s, 'older thread');
    const newer = await threadWithTurns(s, 'newer thread');
    await s.event(mention('elsewhere', { ts: nextTs(), channel: 'C999' }));
    const res = await s.command('history');
    expect(res.status).toBe(200);
    const body = await response(s, 'cmd');
    expect(body.response_type).toBe('ephemeral');
    const text = allText(body.blocks);
    expect(text.indexOf(newer)).toBeGreaterThan(-1);
    expect(text.indexOf(newer)).toBeLessThan(text.indexOf(older));
    expect(text).not.toContain('C999');

    // Pressing "History" on the older thread shows its history in place.
    const value = JSON.stringify({ c: 'C222', t: older, p: 0 });
    expect(text).toContain(JSON.stringify(value).slice(1, -1));
    await s.interact(click(ACTION.history, value));
    const page = await response(s, 'btn');
    expect(page.replace_original).toBe(true);
    expect(allText(page.blocks)).toContain('older thread');
  });

  it('acts on a thread given by its permalink, only from that thread’s channel', async () => {
    s = await startSlackHarness();
    const ts = await threadWithTurns(s, 'linked thread');
    const link = `https://test.slack.com/archives/C222/p${ts.replace('.', '')}`;
    await s.command(`history ${link}`, { responseId: 'h' });
    expect(allText((await response(s, 'h')).blocks)).toContain('linked thread');
    await s.command(`history ${link}`, { channel: 'C999', responseId: 'x' });
    expect(String((await response(s, 'x')).text)).toMatch(/Run this in <#C222>/);
    await s.command('history https://example.com/nope', { responseId: 'bad' });
    expect(String((await response(s, 'bad')).text)).toMatch(/not a Slack thread link/);
    await s.command(`forget ${link}`, { responseId: 'f' });
    expect(allText((await response(s, 'f')).blocks)).toContain(ACTION.forget);
  });

  it('model and agent: `@copilot model NAME` in the thread, or /copilot model with the thread\'s link', async () => {
    s = await startSlackHarness({ env: { COPILOT_MODELS: 'model-b,model-c' } });
    const ts = await threadWithTurns(s, 'first');
    expect(s.h.model.requests.at(-1)!.model).toBe('test-model');
    // Said in the thread: the switch is everyone's there.
    await s.event(mention('model model-b', { thread_ts: ts }));
    await expect.poll(() => finished(s!, ts).length, { timeout: 30_000 }).toBe(2);
    expect(finished(s, ts)[1]).toMatch(/This thread now uses \*model-b\*/);
    await s.event(mention('second', { thread_ts: ts }));
    await expect.poll(() => finished(s!, ts).length, { timeout: 30_000 }).toBe(3);
    expect(s.h.model.requests.at(-1)!.model).toBe('model-b');

    const link = `https://test.slack.com/archives/C222/p${ts.replace('.', '')}`;
    await s.command(`model ${link} model-c`, { responseId: 'm' });
    expect(String((await response(s, 'm')).text)).toMatch(/This thread now uses \*model-c\*/);
    await s.command(`model ${link}`, { responseId: 'show' });
    expect(String((await response(s, 'show')).text)).toMatch(/This thread uses \*model-c\* \(chosen in this thread\)/);
    await s.command('model', { responseId: 'nolink' });
    expect(String((await response(s, 'nolink')).text)).toMatch(/Slack does not tell me which thread a slash command comes from/);
    await s.command(`agent ${link} nobody`, { responseId: 'a' });
    expect(String((await response(s, 'a')).text)).toMatch(/There is no agent `nobody` here\. No custom agents are on offer here/);
    await s.command(`model ${link} model-b`, { channel: 'C999', responseId: 'elsewhere' });
    expect(String((await response(s, 'elsewhere')).text)).toMatch(/Run this in <#C222>/);
  });

  it('repo: `@copilot repo owner/name` in the thread, or /copilot repo with the thread\'s link', async () => {
    const git = await startGitServer();
    try {
      const commit = git.makeRepo('acme/widgets', { 'README.md': 'Widgets\n' });
      s = await startSlackHarness({ env: { COPILOT_TOOLS: 'bash', REPOS_ALLOWED: 'acme/*', REPOS_URL: `http://git.test:${git.port}`, TOOLS_ALLOWED_HOSTS: 'git.test', TOOLS_PINNED_HOSTS: `git.test=127.0.0.1:${git.port}` } });
      const ts = await threadWithTurns(s, 'first');
      await s.event(mention('repo acme/widgets', { thread_ts: ts }));
      await expect.poll(() => finished(s!, ts).length, { timeout: 30_000 }).toBe(2);
      expect(finished(s, ts)[1]).toMatch(new RegExp(`Repository: \\*acme/widgets\\* \\(default branch\\) at \`${commit.slice(0, 7)}\``));
      const link = `https://test.slack.com/archives/C222/p${ts.replace('.', '')}`;
      // Slack wraps a link in <…>: the same repository, given as a URL.
      await s.command(`repo ${link} <http://git.test:${git.port}/acme/widgets.git> main`, { responseId: 'r' });
      expect(String((await response(s, 'r')).text)).toMatch(/Repository: \*acme\/widgets\* `main`/);
      await s.command(`repo ${link}`, { responseId: 'show' });
      expect(String((await response(s, 'show')).text)).toMatch(/acme\/widgets\* `main`[\s\S]*`repo pull` refreshes it/);
      await s.command('repo', { responseId: 'nolink' });
      expect(String((await response(s, 'nolink')).text)).toMatch(/Slack does not tell me which thread a slash command comes from/);
      await s.command(`repo ${link} acme/widgets`, { channel: 'C999', responseId: 'elsewhere' });
      expect(String((await response(s, 'elsewhere')).text)).toMatch(/Run this in <#C222>/);
    } finally {
      await git.close();
    }
  });

  it('pages long histories with buttons and sends the transcript as a private file', async () => {
    s = await startSlackHarness();
    const ts = await threadWithTurns(s, ...Array.from({ length: 8 }, (_, i) => `question ${i}`));
    await s.command(`history https://test.slack.com/archives/C222/p${ts.replace('.', '')}`, { responseId: 'h' });
    const newest = await response(s, 'h');
    expect(allText(newest.blocks)).toContain('question 7');
    await s.interact(click(`${ACTION.history}:older`, buttonValue(newest.blocks, `${ACTION.history}:older`), { responseId: 'older' }));
    const older = await response(s, 'older');
    const [, page, pages] = /page (\d+) of (\d+)/.exec(allText(newest.blocks)) ?? [];
    expect(Number(page)).toBe(Number(pages));
    expect(allText(older.blocks)).toContain(`page ${Number(pages) - 1} of ${pages}`);

    await s.interact(click(ACTION.transcript, buttonValue(newest.blocks, ACTION.transcript), { responseId: 't' }));
    expect(String((await response(s, 't')).text)).toMatch(/sent you the transcript/);
    expect(s.slack.callsTo('conversations.open')[0]?.args.users).toBe('UHUMAN');
    expect(s.slack.callsTo('files.completeUploadExternal')[0]?.args).toMatchObject({ channel_id: 'DUHUMAN' });
    expect(s.slack.uploads[0]?.body).toContain('question 0');
    expect(s.slack.uploads[0]?.body).toContain('question 7');
  });

  it('lists sessions, shows help, and explains usage for anything else', async () => {
    s = await startSlackHarness();
    const ts = await threadWithTurns(s, 'one *bold* <!here> question');
    await s.command('sessions', { responseId: 's' });
    const listing = allText((await response(s, 's')).blocks);
    expect(listing).toMatch(/Threads with a Copilot session\* \(1, newest first\)/);
    // Where and who as Slack renders them (names, not ids), the opening words literally, a permalink, a relative time.
    expect(listing).toContain(`• <#C222> · “one *bold* &lt;!here&gt; question” · started by <@UHUMAN> · 1 turn · just now · <https://test.slack.com/archives/C222/p${ts.replace('.', '')}|open thread>`);
    await s.command('', { responseId: 'help' });
    expect(String((await response(s, 'help')).text)).toContain('/copilot history');
    await s.command('explode', { responseId: 'u' });
    expect(String((await response(s, 'u')).text)).toMatch(/^Usage/);
    // Your own usage, privately: the turn above counts for its author.
    await s.command('usage', { responseId: 'me' });
    await expect.poll(async () => String((await response(s!, 'me')).text)).toMatch(/Your Copilot usage\*[\s\S]*Today: \d+ turns?/);
  });

  it('refuses a button pressed for a thread of another channel', async () => {
    s = await startSlackHarness();
    const ts = await threadWithTurns(s, 'private stuff');
    await s.interact(click(ACTION.history, JSON.stringify({ c: 'C222', t: ts, p: 0 }), { channel: 'C999' }));
    expect(String((await response(s, 'btn')).text)).toMatch(/no longer valid/);
  });
});

describe('/copilot sessions lists only what the asker could see', () => {
  it('private channels and group DMs to their members (and admins), public channels to everyone', async () => {
    s = await startSlackHarness({ env: { ADMIN_USERS: 'slack:UADMIN' } });
    // UMEMBER is on the second page of the private channel's members.
    s.slack.privateChannel('CPRIV', ['UHUMAN', 'UX1', 'UX2', 'UMEMBER']);
    s.slack.privateChannel('GMULTI', ['UHUMAN', 'UX3'], 'mpim');
    for (const channel of ['C222', 'CPRIV', 'GMULTI']) await s.event(mention(`hello from ${channel}`, { ts: nextTs(), channel }));
    await expect.poll(async () => (await s!.h.app.store.registry.list()).length).toBe(3);
    const listed = async (user: string) => {
      const id = `sessions-${user}`;
      await s!.command('sessions', { user, channel: 'C222', responseId: id });
      const text = allText((await response(s!, id)).blocks);
      return ['C222', 'CPRIV', 'GMULTI'].filter((c) => text.includes(`<#${c}>`));
    };
    expect(await listed('UOUTSIDER')).toEqual(['C222']);
    expect(await listed('UMEMBER')).toEqual(['C222', 'CPRIV']);
    expect(await listed('UHUMAN')).toEqual(['C222', 'CPRIV', 'GMULTI']);
    expect(await listed('UADMIN')).toEqual(['C222', 'CPRIV', 'GMULTI']);
  });
});

describe('a response_url that never answers', () => {
  it('is given up after PLATFORM_TIMEOUT_SECONDS, so the adapter can still stop', async () => {
    s = await startSlackHarness({ env: { PLATFORM_TIMEOUT_SECONDS: '1' } });
    s.slack.fail('respond', { hang: true }, 10);
    expect((await s.command('help')).status).toBe(200);
    // The help, then the failure notice: both posted, neither answered.
    await expect.poll(() => s!.slack.responses.length).toBe(2);
    expect(String(s.slack.responses[1]!.body.text)).toMatch(/That did not work \(ref `[0-9a-f]{8}`\)/);
    await s.adapter.stop();
  });
});

describe('message shortcut', () => {
  it('“Copilot: thread history” shows the history of the message’s thread', async () => {
    s = await startSlackHarness();
    const ts = await threadWithTurns(s, 'shortcut thread');
    await s.interact({
      type: 'message_action',
      callback_id: THREAD_HISTORY_CALLBACK,
      trigger_id: 'trig',
      message_ts: '1800000000.000009',
      response_url: s.slack.responseUrl('sc'),
      message: { type: 'message', user: 'UHUMAN', ts: '1800000000.000009', thread_ts: ts, text: 'a reply' },
      user: { id: 'UHUMAN', name: 'human' },
      channel: { id: 'C222', name: 'general' },
      team: { id: 'T111', domain: 'test' },
      token: 'x',
      action_ts: '1.1',
    });
    expect(allText((await response(s, 'sc')).blocks)).toContain('shortcut thread');
  });
});
