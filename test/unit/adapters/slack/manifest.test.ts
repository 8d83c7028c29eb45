/** The manifest a workspace installs must ask for exactly what the code listens to and calls. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SLACK_EVENTS_PATH, SLACK_REDIRECT_PATH } from '../../../../adapters/slack/index.js';
import { THREAD_HISTORY_CALLBACK } from '../../../../adapters/slack/listeners/shortcuts/thread_history.js';

const manifest = JSON.parse(fs.readFileSync('adapters/slack/manifest.json', 'utf8'));

describe('Slack app manifest', () => {
  it('declares the slash command, the shortcut and interactivity on the events URL', () => {
    expect(manifest.features.slash_commands[0]).toMatchObject({ command: '/copilot', url: `https://YOUR-HOST${SLACK_EVENTS_PATH}` });
    expect(manifest.features.shortcuts[0]).toMatchObject({ type: 'message', callback_id: THREAD_HISTORY_CALLBACK });
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: `https://YOUR-HOST${SLACK_EVENTS_PATH}` });
  });

  it('subscribes to mentions and to the messages follow-ups and DMs arrive as, and to being removed from a workspace', () => {
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(
      expect.arrayContaining(['app_mention', 'message.channels', 'message.groups', 'message.im', 'app_uninstalled', 'tokens_revoked']),
    );
  });

  it('has the install redirect the multi-workspace install returns to', () => {
    expect(manifest.oauth_config.redirect_urls).toEqual([`https://YOUR-HOST${SLACK_REDIRECT_PATH}`]);
  });

  it('has the scopes for every Web API method the bot calls', () => {
    expect(manifest.oauth_config.scopes.bot).toEqual(
      // conversations.info / conversations.members: who may see a private channel's threads in `sessions`.
      expect.arrayContaining(['app_mentions:read', 'chat:write', 'commands', 'files:read', 'files:write', 'im:write', 'users:read', 'channels:history', 'im:history', 'channels:read', 'groups:read', 'mpim:read']),
    );
  });
});

describe('Slack app manifests: HTTP and Socket Mode', () => {
  const socket = JSON.parse(fs.readFileSync('adapters/slack/manifest.socket.json', 'utf8'));

  it("declare Slack's agent messaging (agent_view), its scope and its events", () => {
    for (const m of [manifest, socket]) {
      expect(m.features.agent_view.agent_description).toBeTruthy();
      expect(m.features.agent_view.agent_description.length).toBeLessThanOrEqual(300);
      // The surface it replaces is not declared: an app has one or the other.
      expect(m.features.assistant_view).toBeUndefined();
      expect(m.features.app_home).toMatchObject({ messages_tab_enabled: true, messages_tab_read_only_enabled: false });
      expect(m.oauth_config.scopes.bot).toContain('assistant:write');
      expect(m.settings.event_subscriptions.bot_events).toEqual(expect.arrayContaining(['app_home_opened', 'message.im']));
    }
  });

  it('differ only in how Slack reaches the bot: Socket Mode needs no public URL', () => {
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(socket)).not.toContain('YOUR-HOST');
    const withoutUrls = (m: typeof manifest) => {
      const c = structuredClone(m);
      delete c.features.slash_commands[0].url;
      delete c.settings.event_subscriptions.request_url;
      // Installs in several workspaces (Slack's return from its consent screen) need HTTP mode.
      delete c.oauth_config.redirect_urls;
      c.settings.interactivity = { is_enabled: true };
      c.settings.socket_mode_enabled = true;
      return c;
    };
    expect(socket).toEqual(withoutUrls(manifest));
  });
});
