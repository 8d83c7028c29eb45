/** Files people attach on Slack reach the model; the bot token goes only to Slack's file host. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { THINKING } from '../../adapters/slack/replier.js';
import fs from 'node:fs';
import path from 'node:path';
import { mention, message, nextTs, startSlackHarness, type SlackHarness } from '../../testkit/slack-harness.js';
import { threadTexts } from '../../testkit/slack-view.js';

/** A 1×1 PNG. */
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

let s: SlackHarness | undefined;
let other: http.Server | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
  other?.closeAllConnections();
  await new Promise((r) => (other ? other.close(r) : r(undefined)));
  other = undefined;
});

async function answers(s: SlackHarness, thread: string, count: number, channel = 'C222'): Promise<string[]> {
  await expect
    .poll(() => threadTexts(s.slack, channel, thread).filter((t) => t !== THINKING && !t.endsWith(' …') && t.startsWith('you said')).length, { timeout: 30_000, interval: 20 })
    .toBeGreaterThanOrEqual(count);
  return threadTexts(s.slack, channel, thread);
}

/** Everything the model was sent for its last request, as JSON (text parts, image parts). */
const lastRequest = (s: SlackHarness) => JSON.stringify(s.h.model.requests.at(-1)!.messages);

describe('Slack: files in', () => {
  it('gives the model a text file (in the thread’s folder) and a picture (as an image)', async () => {
    s = await startSlackHarness();
    const log = s.slack.file('app.log', 'ERROR disk full on /var\nERROR retry 3 failed\n', 'text/plain');
    const png = s.slack.file('screen.png', PNG_1PX, 'image/png');
    const ts = nextTs();
    await s.event({ ...mention('what broke?', { ts }), files: [log, png] });
    await answers(s, ts, 1);
    const sent = lastRequest(s);
    expect(sent).toContain('ERROR disk full on /var');
    expect(sent).toMatch(/"type":"image_url"[^}]*data:image\/png;base64,/);
    expect(s.slack.fileDownloads.every((d) => d.authorization === 'Bearer xoxb-test')).toBe(true);
    // The text file is in the thread's folder (its tools may work on it); history names both; forget deletes them.
    const folder = path.join(s.h.config.copilotHome, 'workspace', `slack-T111-C222-${ts.replace('.', '_')}`);
    expect(fs.readFileSync(path.join(folder, 'attached', 'app.log'), 'utf8')).toContain('retry 3 failed');
    // Someone attaches another app.log later: the first stays as it was (a tool may be working on it).
    const again = s.slack.file('app.log', 'INFO all good now\n', 'text/plain');
    await s.event({ ...mention('and now?', { thread_ts: ts, user: 'UOTHER' }), files: [again] });
    await answers(s, ts, 2);
    expect(lastRequest(s)).toContain('INFO all good now');
    expect(fs.readFileSync(path.join(folder, 'attached', 'app.log'), 'utf8')).toContain('retry 3 failed');
    expect(fs.readFileSync(path.join(folder, 'attached', 'app-2.log'), 'utf8')).toBe('INFO all good now\n');
    await s.event(mention('history', { thread_ts: ts }));
    await expect.poll(() => s!.slack.callsTo('chat.postEphemeral').length, { timeout: 30_000 }).toBe(1);
    expect(JSON.stringify(s.slack.callsTo('chat.postEphemeral')[0]!.args.blocks)).toContain('📎 app.log, screen.png');
    await s.h.app.conversation.forgetSession(s.h.app.conversation['idOf']({ platform: 'slack', workspace: 'T111', channel: 'C222', thread: ts, user: 'UHUMAN' })!);
    expect(fs.existsSync(folder)).toBe(false);
  });

  it('names what it could not read (too big, unsupported, too many) and still answers', async () => {
    s = await startSlackHarness({ env: { FILES_MAX_MB: '1', FILES_PER_MESSAGE: '3' } });
    const huge = s.slack.file('dump.txt', 'x', 'text/plain', 50 * 1024 * 1024);
    // Says it is small, is not: the cap holds while the bytes arrive.
    const liar = s.slack.file('liar.txt', Buffer.alloc(2 * 1024 * 1024, 97), 'text/plain', 100);
    const pdf = s.slack.file('report.pdf', '%PDF-1.4', 'application/pdf');
    const fourth = s.slack.file('notes.md', '# notes', 'text/markdown');
    const ts = nextTs();
    await s.event({ ...mention('look', { ts }), files: [huge, liar, pdf, fourth] });
    const texts = await answers(s, ts, 1);
    const note = texts.find((t) => t.startsWith("I couldn't read"));
    expect(note).toBe(
      [
        "I couldn't read these files:",
        '• dump.txt: it is over 1 MB (FILES_MAX_MB)',
        '• liar.txt: it is over 1 MB (FILES_MAX_MB)',
        "• report.pdf: PDF isn't supported yet (pictures and text files are)",
        '• notes.md: only 3 files are read per message (FILES_PER_MESSAGE)',
      ].join('\n'),
    );
    expect(texts.some((t) => t.startsWith('you said: look'))).toBe(true);
    expect(s.slack.fileDownloads.map((d) => d.path.split('/').pop())).toEqual(['liar.txt']);
  });

  it('never sends the bot token to a host that is not Slack’s file host', async () => {
    const seen: Array<string | undefined> = [];
    other = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.end('secret-free');
    });
    await new Promise<void>((r) => other!.listen(0, '127.0.0.1', r));
    s = await startSlackHarness();
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}/files/F9/evil.txt`;
    const ts = nextTs();
    await s.event({ ...mention('read this', { ts }), files: [{ id: 'F9', name: 'evil.txt', mimetype: 'text/plain', size: 10, url_private: url, url_private_download: url }] });
    const texts = await answers(s, ts, 1);
    expect(texts).toContain("I couldn't read evil.txt: it could not be downloaded.");
    expect(seen).toEqual([]);
  });

  it('reads the files of the thread’s earlier messages with its context', async () => {
    s = await startSlackHarness();
    const root = nextTs();
    s.slack.said({ ...message('the crash log', { ts: root, user: 'UALICE' }), subtype: 'file_share', files: [s.slack.file('crash.txt', 'panic: nil map write', 'text/plain')] });
    await s.event(mention('what does the log say?', { thread_ts: root }));
    await answers(s, root, 1);
    const sent = lastRequest(s);
    expect(sent).toContain('panic: nil map write');
    expect(sent).toContain('the crash log [files: crash.txt]');
  });
});

