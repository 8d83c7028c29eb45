/** Who the bot is (`auth.test`), people's names (`users.info`), and the Socket Mode URL (`apps.connections.open`). */
import { BOT, type Methods, type SlackState } from './state.js';

export function workspaceMethods(state: SlackState): Methods {
  return {
    'auth.test': () => ({ ok: true, user_id: BOT.userId, bot_id: BOT.botId, team_id: BOT.team, team: 'Test', user: 'copilot', url: 'https://test.slack.com/' }),
    'users.info': (args) => {
      const id = String(args.user);
      const name = state.names.get(id) ?? `name-${id}`;
      return { ok: true, user: { id, name: id.toLowerCase(), real_name: name, profile: { display_name: name } } };
    },
    'apps.connections.open': () => ({ ok: true, url: `${state.base.replace('http', 'ws')}/link` }),
  };
}
