/**
 * The app removed from a workspace (`app_uninstalled`), or its tokens revoked (`tokens_revoked`,
 * bot tokens among them): that workspace's (or org's) install and token are deleted at once,
 * unless the token kept works (a late event after a reinstall). Which install it was comes from
 * Bolt's lookup for the event (team, enterprise, org-wide or not), not from the body. Its threads'
 * sessions go with retention (SESSION_RETENTION_DAYS after their last turn; `copilot-threads
 * prune` sooner), as every idle thread's do: nothing new can reach them any more.
 */
import type { App, Context } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { SlackContext } from '../../context.js';
import type { SlackInstallations } from '../../installations.js';
import { describe } from '../../replier.js';

/** What Slack answers for a token that no longer works. */
const GONE = new Set(['invalid_auth', 'token_revoked', 'account_inactive', 'not_authed', 'token_expired']);

export function uninstalls(app: App, ctx: SlackContext, installations: SlackInstallations, clientFor: (token: string) => WebClient): void {
  const forget = async (why: string, context: Context) => {
    const query = { teamId: context.teamId, enterpriseId: context.enterpriseId, isEnterpriseInstall: context.isEnterpriseInstall === true };
    const where = { team: query.teamId, enterprise: query.enterpriseId, orgWide: query.isEnterpriseInstall, why };
    try {
      const kept = await installations.find(query);
      const token = kept?.bot?.token;
      if (!token) return;
      const works = await clientFor(token)
        .auth.test()
        .then(
          () => true,
          (err: unknown) => !GONE.has((err as { data?: { error?: string } }).data?.error ?? ''),
        );
      if (works) {
        ctx.logger.info(where, 'Slack: a removal event for an install whose token still works (a reinstall since?): kept');
        return;
      }
      await installations.deleteInstallation(query);
      for (const w of [query.teamId, query.enterpriseId]) if (w) ctx.teams.forget(w);
      ctx.logger.info(where, 'Slack: removed from a workspace; its token is deleted (its threads go with retention)');
    } catch (err) {
      ctx.logger.error({ err: describe(err), ...where }, "Slack: could not delete a removed workspace's token");
    }
  };
  app.event('app_uninstalled', async ({ context }) => forget('app_uninstalled', context));
  app.event('tokens_revoked', async ({ event, context }) => {
    // Only the bot's tokens matter: people's (user) tokens are not kept.
    if ((event.tokens.bot ?? []).length === 0) return;
    await forget('tokens_revoked', context);
  });
}
