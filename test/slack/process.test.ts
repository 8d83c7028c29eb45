/** `npm start` with Slack configured: the real process, the fake Slack API, signed requests. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threadMessages } from '../../testkit/slack-view.js';
import { duplicateKeys, logLines } from '../../testkit/logs.js';
import { signed, startFakeSlack, type FakeSlack } from '../../testkit/fake-slack.js';
import { freePort, processFixture, runEntry, startEntry, type ProcessFixture } from '../../testkit/process.js';

let fx: ProcessFixture;
let slack: FakeSlack;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  slack = await startFakeSlack();
  fx = await processFixture({ SLACK_BOT_TOKEN: 'xoxb-secret-token-value', SLACK_SIGNING_SECRET: 'proc-secret', SLACK_API_URL: slack.apiUrl });
  env = fx.env;
});

afterAll(async () => {
  await slack.close();
  await fx.close();
});

describe('the bot process with Slack', () => {
  it('stops with one clear line when the bot token is rejected', async () => {
    slack.fail('auth.test', { error: 'invalid_auth' });
    const out = await runEntry(['src/bin/bot.ts'], { ...env, PORT: String(await freePort()) });
    expect(out.code).toBe(1);
    expect(out.stderr.trim()).toMatch(/^copilot-threads: Slack auth\.test failed: .*invalid_auth.* \(check SLACK_BOT_TOKEN and SLACK_API_URL\)$/);
    expect(out.stderr + out.stdout).not.toContain('xoxb-secret-token-value');
  });

  it('requires the signing secret or an app token', async () => {
    const out = await runEntry(['src/bin/bot.ts'], { ...env, SLACK_SIGNING_SECRET: '' });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('SLACK_SIGNING_SECRET: is required for Slack');
  });

  it('serves /slack/events and /healthz on PORT and answers a mention in its thread (streamed natively, the default)', async () => {
    const port = await freePort();
    const bot = startEntry(['src/bin/bot.ts'], { ...env, PORT: String(port) });
    try {
      await expect
        .poll(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status, { timeout: 30_000, interval: 200 })
        .toBe(200);
      const body = JSON.stringify({
        type: 'event_callback',
        team_id: 'T111',
        event_id: 'EvProc',
        event: { type: 'app_mention', user: 'UHUMAN', text: '<@UBOT> from the process', ts: '1700000500.000100', channel: 'C222' },
      });
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', headers: signed(body, 'application/json', 'proc-secret'), body });
      expect(res.status).toBe(200);
      await expect.poll(() => threadMessages(slack, 'C222', '1700000500.000100'), { timeout: 30_000 }).toEqual([
        expect.objectContaining({ text: 'you said: from the process', stream: 'stopped' }),
      ]);
      expect(slack.callsTo('chat.startStream')[0]?.args).toMatchObject({ channel: 'C222', thread_ts: '1700000500.000100', recipient_team_id: 'T111', recipient_user_id: 'UHUMAN' });
    } finally {
      bot.child.kill('SIGTERM');
      expect(await bot.exited).toBe(0);
    }
    expect(bot.output()).not.toContain('xoxb-secret-token-value');
    // Logs an operator can read and ship: level names, ISO times, no key twice, a duration per answer.
    const lines = logLines(bot.output());
    expect(lines.length).toBeGreaterThan(3);
    for (const { raw, line } of lines) {
      expect(duplicateKeys(raw)).toEqual([]);
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(line.level);
      expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const answered = lines.find(({ line }) => line.msg === 'turn answered')?.line;
    expect(answered).toMatchObject({ level: 'info', sessionId: 'slack-T111-C222-1700000500_000100', ms: expect.any(Number) });
  });
});
