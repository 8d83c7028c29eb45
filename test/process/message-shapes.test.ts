/**
 * The message shapes people send (test/fixtures/, each with its source), replayed against the
 * built bot with both adapters on: each is answered with what the model must receive, or ignored
 * as a person would expect. And the feature whole, as a user meets it: a mention in a Slack
 * thread with history and files, and in a Discord thread.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, startStack, type Proc, type Stack } from '../../testkit/bot-process.js';
import { DM, G1, T1, T2, TEXT } from '../../testkit/discord-harness.js';
import { IDS, nextId } from '../../testkit/fake-discord.js';
import { BOT } from '../../testkit/fake-slack.js';
import { slackTs } from '../../testkit/slack-ts.js';
import { threadTexts } from '../../testkit/slack-view.js';

interface Shape {
  file: string;
  source: string;
  expect: 'answer' | 'ignore';
  /** What the model's last user message must match (answers only). */
  prompt?: string;
  /** Messages already in the channel (its history), not delivered as events. */
  before?: Array<Record<string, unknown>>;
  event: Record<string, unknown>;
}

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');

function shapes(platform: 'slack' | 'discord'): Shape[] {
  const dir = path.join(FIXTURES, platform);
  const all = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, ...(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Omit<Shape, 'file'>) }));
  // Answers first: an ignored shape then lands in threads and DMs the bot already answers.
  return [...all.filter((s) => s.expect === 'answer'), ...all.filter((s) => s.expect === 'ignore')];
}

/** The fixture with its placeholders filled in; `$FILES/<name>` becomes a file on the fake's host. */
function filled<T>(value: T, vars: Record<string, string>, file: (name: string) => string): T {
  const text = JSON.stringify(value)
    .replace(/\$FILES\/([\w.-]+)/g, (_m, name: string) => file(name))
    .replace(/\$[A-Z][A-Z0-9]*/g, (m) => vars[m] ?? m);
  return JSON.parse(text) as T;
}

/** A 1×1 PNG. */
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

let stack: Stack;
let bot: Proc;

beforeAll(async () => {
  stack = await startStack();
  bot = await stack.startBot();
  await stack.discord.connected();
}, 120_000);

afterAll(async () => {
  bot.signalGroup('SIGTERM');
  const exit = await exitOf(bot);
  await stack.close();
  expect(exit.code).toBe(0);
});

const lastPrompt = () => stack.model.requests.at(-1)?.userTexts.at(-1) ?? '';
const askedSoFar = () => stack.model.requests.length;

/** Waits until the model has been asked `count` times in all. */
const asked = (count: number) => expect.poll(askedSoFar, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(count);

/** The bot's answers (not placeholders) in a Slack thread. */
const slackAnswers = (channel: string, thread: string) => threadTexts(stack.slack, channel, thread).filter((t) => t.startsWith('you said'));
/** The bot's answers posted to a Discord channel. */
const discordAnswers = (channel: string) =>
  stack.discord
    .callsTo('POST', new RegExp(`^/channels/${channel}/messages$`))
    .map((c) => String((c.body as { content?: string }).content ?? ''))
    .filter((t) => t.startsWith('you said'));

describe('captured Slack message shapes, replayed against the built bot', () => {
  const thread = slackTs();
  for (const shape of shapes('slack')) {
    it(`${shape.expect}s ${shape.file} (${shape.source})`, async () => {
      const ts = slackTs();
      const vars = { $TS: ts, $THREAD: thread, $BOT: BOT.userId };
      const file = (name: string) => String(stack.slack.file(name, `contents of ${name}`, 'text/plain').url_private_download);
      for (const m of shape.before ?? []) stack.slack.said(filled(m, vars, file));
      const event = filled(shape.event, vars, file);
      const channel = String(event.channel);
      const where = String(event.thread_ts ?? ts);
      const before = askedSoFar();
      expect((await stack.slackEvent(event)).status).toBe(200);
      if (shape.expect === 'answer') {
        await asked(before + 1);
        expect(lastPrompt()).toMatch(new RegExp(shape.prompt!));
        await expect.poll(() => slackAnswers(channel, where).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
        return;
      }
      // Ignored: a message sent right after it (a DM) is the next thing the model hears.
      const sentinel = `after ${shape.file}`;
      const next = slackTs();
      await stack.slackEvent({ type: 'message', user: 'UHUMAN', text: sentinel, ts: next, channel: 'D111', channel_type: 'im' });
      await asked(before + 1);
      expect(askedSoFar()).toBe(before + 1);
      expect(lastPrompt()).toContain(sentinel);
      await expect.poll(() => slackAnswers('D111', next).length, { timeout: 30_000 }).toBe(1);
      // Nothing in its own thread answers it either.
      if (typeof event.text === 'string') expect(slackAnswers(channel, where).filter((t) => t.includes(event.text as string))).toEqual([]);
    }, 60_000);
  }
});

describe('captured Discord message shapes, replayed against the built bot', () => {
  for (const shape of shapes('discord')) {
    it(`${shape.expect}s ${shape.file} (${shape.source})`, async () => {
      const vars = { $ID: nextId(), $REF: nextId(), $NOW: new Date().toISOString(), $T1: T1, $G1: G1, $TEXT: TEXT, $DM: DM, $BOT: IDS.bot, $HUMAN: IDS.human, $OTHER: IDS.other };
      const file = (name: string) => String(stack.discord.file(name, `contents of ${name}`, 'text/plain; charset=utf-8').url);
      for (const m of shape.before ?? []) stack.discord.said(filled(m, vars, file) as { id: string; channel_id: string });
      const event = filled(shape.event, vars, file);
      const channel = String(event.channel_id);
      const before = askedSoFar();
      const answersBefore = discordAnswers(channel).length;
      stack.discord.dispatch('MESSAGE_CREATE', event);
      if (shape.expect === 'answer') {
        await asked(before + 1);
        expect(lastPrompt()).toMatch(new RegExp(shape.prompt!));
        await expect.poll(() => discordAnswers(channel).length, { timeout: 30_000 }).toBe(answersBefore + 1);
        return;
      }
      const sentinel = `after ${shape.file}`;
      stack.discordSay(sentinel, { channel: DM, guild: null, mention: false });
      await asked(before + 1);
      expect(askedSoFar()).toBe(before + 1);
      expect(lastPrompt()).toContain(sentinel);
      await expect.poll(() => discordAnswers(DM).some((t) => t.includes(sentinel)), { timeout: 30_000 }).toBe(true);
      expect(discordAnswers(channel).length).toBe(answersBefore + (channel === DM ? 1 : 0));
    }, 60_000);
  }
});

describe('the thread is the context, in the built bot', () => {
  it('Slack: a mention in a thread with history and files gets the thread, the file and the picture', async () => {
    stack.slack.people({ UALICE: 'Alice', UBOB: 'Bob' });
    const root = slackTs();
    const log = stack.slack.file('deploy.log', 'ERROR migration 0042 timed out\n', 'text/plain');
    stack.slack.said({ type: 'message', user: 'UALICE', text: 'deploy 42 is stuck <!here>', ts: root, channel: 'C222' });
    stack.slack.said({ type: 'message', subtype: 'file_share', user: 'UBOB', text: 'here is the log', ts: slackTs(), thread_ts: root, channel: 'C222', files: [log] });
    stack.slack.said({ type: 'message', user: 'UALICE', text: 'thanks <@UBOB>', ts: slackTs(), thread_ts: root, channel: 'C222' });
    const png = stack.slack.file('graph.png', PNG_1PX, 'image/png');
    const before = askedSoFar();
    const ts = slackTs();
    await stack.slackEvent({ type: 'app_mention', user: 'UBOB', text: `<@${BOT.userId}> what is going on?`, ts, thread_ts: root, channel: 'C222', files: [png] });
    await asked(before + 1);
    const request = stack.model.requests.at(-1)!;
    const prompt = request.userTexts.at(-1)!;
    expect(prompt).toContain('Earlier messages of this chat thread, before you were asked (3 messages):');
    expect(prompt).toMatch(/\] Alice: deploy 42 is stuck @here\n.*\] Bob: here is the log \[files: deploy\.log\]\n.*\] Alice: thanks @Bob\n/);
    expect(prompt).toMatch(/what is going on\?/);
    const sent = JSON.stringify(request.messages);
    expect(sent).toContain('ERROR migration 0042 timed out');
    expect(sent).toMatch(/"type":"image_url"[^}]*data:image\/png;base64,/);
    expect(stack.slack.fileDownloads.every((d) => d.authorization === 'Bearer xoxb-stack-token')).toBe(true);
    await expect.poll(() => slackAnswers('C222', root).length, { timeout: 30_000 }).toBe(1);
  }, 60_000);

  it('Discord: a mention in a thread gets what people said there, and a later turn only what is new', async () => {
    const thread = T2;
    const human = { id: IDS.other, username: 'alice', global_name: 'Alice', discriminator: '0', avatar: null };
    const said = (content: string) =>
      stack.discord.said({ id: nextId(), channel_id: thread, guild_id: G1, author: human, content, timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: [], pinned: false, type: 0, flags: 0 });
    said('the queue is backing up');
    said('consumer lag is 40k');
    const before = askedSoFar();
    stack.discordSay('what should we check first?', { channel: thread });
    await asked(before + 1);
    expect(lastPrompt()).toMatch(/before you were asked \(2 messages\):\n.*Alice: the queue is backing up\n.*Alice: consumer lag is 40k\n[\s\S]*what should we check first\?$/);
    said('restarted the consumers');
    stack.discordSay('and now?', { channel: thread });
    await asked(before + 2);
    expect(lastPrompt()).toMatch(/since your last answer[^\n]*\n.*Alice: restarted the consumers\n[\s\S]*and now\?$/i);
    expect(lastPrompt()).not.toContain('consumer lag');
  }, 60_000);
});
