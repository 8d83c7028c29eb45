/** `npm run discord:register` and `npm start` with Discord (and Slack beside it), as real processes. */
import { threadMessages } from '../../testkit/slack-view.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDS, startFakeDiscord, type FakeDiscord } from '../../testkit/fake-discord.js';
import { startFakeSlack, signed, type FakeSlack } from '../../testkit/fake-slack.js';
import { freePort, processFixture, runEntry, startEntry, type ProcessFixture } from '../../testkit/process.js';
import { G1, GUILDS, T1 } from '../../testkit/discord-harness.js';

let fx: ProcessFixture;
let discord: FakeDiscord;
let slack: FakeSlack;

beforeAll(async () => {
  discord = await startFakeDiscord(GUILDS);
  slack = await startFakeSlack();
  fx = await processFixture({ DISCORD_TOKEN: 'fake-discord-token', DISCORD_API_URL: discord.apiUrl });
});

afterAll(async () => {
  await discord.close();
  await slack.close();
  await fx.close();
});

const register = (env: NodeJS.ProcessEnv) => runEntry(['src/bin/discord-register.ts'], env);

describe('npm run discord:register', () => {
  it('registers /copilot to a guild, or globally', async () => {
    const guild = await register({ ...fx.env, DISCORD_GUILD_ID: G1 });
    expect(guild.code).toBe(0);
    expect(guild.stdout).toContain(`registered /copilot in guild ${G1}`);
    const put = discord.callsTo('PUT', new RegExp(`^/applications/${IDS.app}/guilds/${G1}/commands$`))[0]!;
    const [command] = put.body as Array<{ name: string; options: Array<{ name: string }> }>;
    expect(command!.name).toBe('copilot');
    expect(command!.options.map((o) => o.name)).toEqual(['history', 'forget', 'sessions', 'usage', 'login', 'logout', 'whoami', 'model', 'agent', 'repo', 'schedule', 'schedules', 'unschedule', 'help']);

    const global = await register(fx.env);
    expect(global.stdout).toContain('globally');
    expect(discord.callsTo('PUT', new RegExp(`^/applications/${IDS.app}/commands$`))).toHaveLength(1);
  });

  it('fails with one line without a token', async () => {
    const out = await register({ ...fx.env, DISCORD_TOKEN: '' });
    expect(out.code).toBe(1);
    expect(out.stderr.trim()).toBe('copilot-threads discord:register: DISCORD_TOKEN is required');
  });
});

describe('npm start with Discord', () => {
  it('stops with one clear line when the token is rejected', async () => {
    const out = await runEntry(['src/bin/bot.ts'], { ...fx.env, DISCORD_TOKEN: 'bad-token', PORT: String(await freePort()) });
    expect(out.code).toBe(1);
    expect(out.stderr.trim()).toMatch(/^copilot-threads: Discord login failed: .* \(check DISCORD_TOKEN and DISCORD_API_URL\)$/);
  });

  it('runs Slack and Discord side by side in one process', async () => {
    const port = await freePort();
    const bot = startEntry(['src/bin/bot.ts'], {
      ...fx.env,
      PORT: String(port),
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'side-secret',
      SLACK_API_URL: slack.apiUrl,
    });
    try {
      await expect
        .poll(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status, { timeout: 30_000, interval: 200 })
        .toBe(200);
      await discord.connected();
      discord.dispatch('MESSAGE_CREATE', {
        id: '1000000000099999', channel_id: T1, guild_id: G1,
        author: { id: IDS.human, username: 'ana', discriminator: '0', global_name: null, avatar: null },
        content: `<@${IDS.bot}> from discord`, timestamp: new Date().toISOString(), edited_timestamp: null, tts: false,
        mention_everyone: false, mentions: [{ id: IDS.bot, username: 'copilot', discriminator: '0', bot: true }], mention_roles: [],
        attachments: [], embeds: [], pinned: false, type: 0, flags: 0,
      });
      const body = JSON.stringify({
        type: 'event_callback', team_id: 'T111', event_id: 'EvSide',
        event: { type: 'app_mention', user: 'UHUMAN', text: '<@UBOT> from slack', ts: '1700000700.000100', channel: 'C222' },
      });
      await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', headers: signed(body, 'application/json', 'side-secret'), body });
      await expect
        .poll(() => discord.callsTo('POST', new RegExp(`^/channels/${T1}/messages$`)).map((c) => (c.body as { content: string }).content), { timeout: 30_000 })
        .toContain('you said: from discord');
      await expect.poll(() => threadMessages(slack, 'C222', '1700000700.000100').map((m) => m.text), { timeout: 30_000 }).toEqual(['you said: from slack']);
      // The same event again (a Slack retry): not answered twice, and counted.
      await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', headers: { ...signed(body, 'application/json', 'side-secret'), 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' }, body });
      await expect.poll(async () => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()), { timeout: 30_000 }).toMatch(/copilot_threads_deliveries_deduplicated_total\{platform="slack"\} [1-9]/);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      await res.text();
      // A call is counted when the bot has the platform's answer, a moment after the fake saw it.
      await expect.poll(async () => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()), { timeout: 30_000 }).toMatch(/copilot_threads_platform_api_calls_total\{platform="discord",method="POST \/channels\/:id\/messages",status="200"\} [1-9]/);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const want of [
        /copilot_threads_turns_total\{platform="slack",outcome="answered"\} 1/,
        /copilot_threads_turns_total\{platform="discord",outcome="answered"\} 1/,
        /copilot_threads_turn_duration_seconds_count\{platform="slack"\} 1/,
        /copilot_threads_queue_wait_seconds_count\{platform="discord"\} 1/,
        /copilot_threads_platform_api_calls_total\{platform="slack",method="chat\.startStream",status="200"\} 1/,
        /copilot_threads_platform_api_calls_total\{platform="slack",method="auth\.test",status="200"\} 1/,
        /copilot_threads_platform_api_calls_total\{platform="discord",method="POST \/channels\/:id\/messages",status="200"\} [1-9]/,
        /copilot_threads_store_operation_seconds_count\{operation="write",result="ok"\} [1-9]/,
        /copilot_threads_live_sessions [1-9]/,
        /copilot_threads_runtime_rss_bytes [1-9]\d{6,}/,
        /copilot_threads_runtime_recycles 0/,
        /copilot_threads_queued_turns 0/,
        /copilot_threads_process_resident_memory_bytes [1-9]/,
      ]) expect(metrics).toMatch(want);
      expect(metrics).not.toMatch(/copilot_threads_platform_api_errors_total\{/);
      expect(threadMessages(slack, 'C222', '1700000700.000100')).toHaveLength(1);
    } finally {
      bot.child.kill('SIGTERM');
      expect(await bot.exited).toBe(0);
    }
  });
});
