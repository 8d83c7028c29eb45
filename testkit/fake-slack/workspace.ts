/** Who the bot is (`auth.test`), people's names (`users.info`), and the Socket Mode URL (`apps.connections.open`). */
import { BOT, type Methods, type SlackState } from './state.js';

export function workspaceMethods(state: SlackState): Methods {
  return {
    'auth.test': () => {
      if (state.token && state.revoked.has(state.token)) return { ok: false, error: 'token_revoked' };
      const installed = state.token ? state.bots.get(state.token) : undefined;
      if (installed) {
        const team = installed.orgWide ? undefined : installed.team;
        return { ok: true, user_id: installed.botUserId, bot_id: `B${installed.botUserId}`, team_id: team, enterprise_id: installed.enterprise, user: 'copilot', ...(team ? { url: `https://${team.toLowerCase()}.slack.com/` } : {}) };
      }
      return { ok: true, user_id: BOT.userId, bot_id: BOT.botId, team_id: BOT.team, team: 'Test', user: 'copilot', url: 'https://test.slack.com/' };
    },
    // An org-wide install's workspaces.
    'auth.teams.list': () => {
      const installed = state.token ? state.bots.get(state.token) : undefined;
      return { ok: true, teams: installed?.orgWide ? [{ id: installed.team, name: `Team ${installed.team}` }] : [] };
    },
    // The install's last step: a code from Slack's consent screen for the bot's token there.
    'oauth.v2.access': (args) => {
      const install = state.installs.get(String(args.code));
      if (!install || args.client_id === undefined) return { ok: false, error: 'invalid_code' };
      state.installs.delete(String(args.code));
      state.bots.set(install.token, install);
      return {
        ok: true,
        app_id: 'A0APP',
        authed_user: { id: 'UINSTALLER' },
        scope: 'app_mentions:read,chat:write',
        token_type: 'bot',
        access_token: install.token,
        bot_user_id: install.botUserId,
        team: install.orgWide ? null : { id: install.team, name: `Team ${install.team}` },
        enterprise: install.enterprise ? { id: install.enterprise, name: `Org ${install.enterprise}` } : null,
        is_enterprise_install: install.orgWide === true,
      };
    },
    'users.info': (args) => {
      const id = String(args.user);
      const name = state.names.get(id) ?? `name-${id}`;
      return { ok: true, user: { id, name: id.toLowerCase(), real_name: name, tz: state.zones.get(id) ?? 'America/Los_Angeles', deleted: state.deactivated.has(id), profile: { display_name: name } } };
    },
    'apps.connections.open': () => ({ ok: true, url: `${state.base.replace('http', 'ws')}/link` }),
  };
}
