/** The manifest a workspace installs must ask for exactly what the code listens to and calls. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SLACK_EVENTS_PATH } from '../../adapters/slack/index.js';
import { THREAD_HISTORY_CALLBACK } from '../../adapters/slack/listeners/shortcuts/thread_history.js';

const manifest = JSON.parse(fs.readFileSync('adapters/slack/manifest.json', 'utf8'));

describe('Slack app manifest', () => {
  it('declares the slash command, the shortcut and interactivity on the events URL', () => {
    expect(manifest.features.slash_commands[0]).toMatchObject({ command: '/copilot', url: `https://YOUR-HOST${SLACK_EVENTS_PATH}` });
    expect(manifest.features.shortcuts[0]).toMatchObject({ type: 'message', callback_id: THREAD_HISTORY_CALLBACK });
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: `https://YOUR-HOST${SLACK_EVENTS_PATH}` });
  });

  it('subscribes to mentions and to the messages follow-ups and DMs arrive as', () => {
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(
      expect.arrayContaining(['app_mention', 'message.channels', 'message.groups', 'message.im']),
    );
  });

  it('has the scopes for every Web API method the bot calls', () => {
    expect(manifest.oauth_config.scopes.bot).toEqual(
      // conversations.info / conversations.members: who may see a private channel's threads in `sessions`.
      expect.arrayContaining(['app_mentions:read', 'chat:write', 'commands', 'files:write', 'im:write', 'channels:history', 'im:history', 'channels:read', 'groups:read', 'mpim:read']),
    );
  });
});
