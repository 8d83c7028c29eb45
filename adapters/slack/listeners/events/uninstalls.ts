/**
 * The app removed from a workspace (`app_uninstalled`), or its tokens revoked (`tokens_revoked`,
 * bot tokens among them): that workspace's install and token are deleted at once. Its threads'
 * sessions go with retention (SESSION_RETENTION_DAYS after their last turn; `copilot-threads
 * prune` sooner), as every idle thread's do: nothing new can reach them any more.
 */
import type { App } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import type { SlackInstallations } from '../../installations.js';
import { describe } from '../../replier.js';

export function uninstalls(app: App, ctx: SlackContext, installations: SlackInstallations): void {
  const forget = async (why: string, body: { team_id?: string; enterprise_id?: string; is_enterprise_install?: boolean }) => {
    const team = body.team_id;
    const enterprise = body.enterprise_id;
    const org = body.is_enterprise_install === true;
    try {
      await installations.deleteInstallation({ teamId: team, enterpriseId: enterprise, isEnterpriseInstall: org });
      for (const w of [team, enterprise]) if (w) ctx.teams.forget(w);
      ctx.logger.info({ team, enterprise, why }, 'Slack: removed from a workspace; its token is deleted (its threads go with retention)');
    } catch (err) {
      ctx.logger.error({ err: describe(err), team, enterprise, why }, 'Slack: could not delete an uninstalled workspace\'s token');
    }
  };
  app.event('app_uninstalled', async ({ body }) => forget('app_uninstalled', body as never));
  app.event('tokens_revoked', async ({ event, body }) => {
    // Only the bot's tokens matter: people's (user) tokens are not kept.
    if ((event.tokens.bot ?? []).length === 0) return;
    await forget('tokens_revoked', body);
  });
}
