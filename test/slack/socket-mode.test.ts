/** Socket Mode (SLACK_APP_TOKEN): Bolt connects out to the fake Slack and receives the same events. */
import { threadMessages } from '../../testkit/slack-view.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSlackAdapter, SlackStartError, type SlackAdapter } from '../../adapters/slack/index.js';
import { silentLogger } from '../../src/infra/log.js';
import { startFakeSlack, type FakeSlack } from '../../testkit/fake-slack.js';
import { startHarness, type Harness } from '../../testkit/harness.js';

let slack: FakeSlack | undefined;
let h: Harness | undefined;
let adapter: SlackAdapter | undefined;
afterEach(async () => {
  await adapter?.stop();
  await h?.close();
  await slack?.close();
  adapter = h = slack = undefined;
});

describe('Slack Socket Mode', () => {
  it('answers a mention and a slash command received over the socket', async () => {
    slack = await startFakeSlack();
    h = await startHarness({ env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_APP_TOKEN: 'xapp-test', SLACK_API_URL: slack.apiUrl } });
    adapter = await createSlackAdapter({ config: h.config.slack!, conversation: h.app.conversation, registry: h.app.store.registry, dedupe: h.app.store.dedupe, journal: h.app.store.journal, logger: silentLogger });
    expect(adapter.route).toBeUndefined();
    await adapter.start();
    await slack.socketConnected();

    await slack.socketSend('events_api', {
      type: 'event_callback',
      team_id: 'T111',
      event_id: 'EvSock',
      event: { type: 'app_mention', user: 'UHUMAN', text: '<@UBOT> over the socket', ts: '1700000600.000100', channel: 'C222' },
    });
    await expect.poll(() => threadMessages(slack!, 'C222', '1700000600.000100').map((m) => `${m.stream}:${m.text}`), { timeout: 30_000 }).toEqual(['stopped:you said: over the socket']);

    await slack.socketSend('slash_commands', {
      command: '/copilot', text: 'help', team_id: 'T111', channel_id: 'C222', user_id: 'UHUMAN',
      response_url: slack.responseUrl('sock'), trigger_id: 't', api_app_id: 'A111',
    });
    await expect.poll(() => slack!.responses.filter((r) => r.id === 'sock').length, { timeout: 30_000 }).toBe(1);
    expect(String(slack.responses.find((r) => r.id === 'sock')?.body.text)).toContain('/copilot history');
  });

  it('stops start-up with one line naming SLACK_APP_TOKEN when Slack refuses the app token', async () => {
    slack = await startFakeSlack();
    slack.fail('apps.connections.open', { error: 'invalid_auth' }, 10);
    h = await startHarness({ env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_APP_TOKEN: 'xapp-bad', SLACK_API_URL: slack.apiUrl } });
    const candidate = await createSlackAdapter({ config: h.config.slack!, conversation: h.app.conversation, registry: h.app.store.registry, dedupe: h.app.store.dedupe, journal: h.app.store.journal, logger: silentLogger });
    const failure = await candidate.start().then(() => undefined, (err: unknown) => err);
    expect(failure).toBeInstanceOf(SlackStartError);
    expect((failure as Error).message).toMatch(/^Slack Socket Mode did not connect: .*invalid_auth.* \(check SLACK_APP_TOKEN and SLACK_API_URL\)$/);
  });
});
