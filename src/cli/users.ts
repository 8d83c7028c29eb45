/**
 * `copilot-threads users list [--json]` and `users revoke PLATFORM:ID`: the people who linked a
 * GitHub account (COPILOT_AUTH=per-user), and ending one's link (their token deleted here, and
 * revoked at GitHub where GITHUB_CLIENT_SECRET lets the bot). Needs only the store (and the key
 * for revoke, which reads the token to revoke it), never the Copilot runtime.
 */
import type { Config } from '../config.js';
import { Accounts } from '../core/identity/accounts.js';
import { Audit } from '../core/audit.js';
import { GitHubOAuth } from '../infra/github-oauth.js';
import type { Logger } from '../infra/log.js';
import { openStore } from '../store/store.js';
import { cliActor, type Out } from './out.js';
import { table } from './table.js';

export async function users(config: Config, logger: Logger, io: Out, verb: 'list' | 'revoke', person: string | undefined, options: { json: boolean }): Promise<number> {
  const store = await openStore(config.storeUrl, config.storeTimeoutMs, config.namespace, config.keyring);
  const audit = new Audit(store.audit, logger);
  const accounts = new Accounts({
    store: store.identities,
    // Without per-user settings there is no app to revoke at: the link is deleted here only.
    github: new GitHubOAuth({ url: config.identity?.githubUrl ?? 'https://github.com', clientId: config.identity?.clientId ?? '', ...(config.identity?.clientSecret ? { clientSecret: config.identity.clientSecret } : {}) }),
    audit,
    logger,
    claimOnce: (key, ttlMs) => store.dedupe.claim(key, ttlMs),
    refreshMarginMs: 0,
  });
  try {
    if (verb === 'list') {
      const linked = (await accounts.list()).sort((a, b) => a.person.localeCompare(b.person));
      if (options.json) {
        for (const a of linked) io.out(JSON.stringify({ person: a.person, login: a.login, host: a.host, linkedAt: a.linkedAt, ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}) }));
        return 0;
      }
      if (linked.length === 0) {
        io.out(config.identity ? 'Nobody has connected a GitHub account yet.' : 'Nobody has connected a GitHub account (COPILOT_AUTH is shared: people do not connect one).');
        return 0;
      }
      io.out(table(['PERSON', 'GITHUB', 'HOST', 'LINKED', 'TOKEN EXPIRES'], linked.map((a) => [a.person, `@${a.login}`, a.host, a.linkedAt.slice(0, 16).replace('T', ' '), a.expiresAt ? a.expiresAt.slice(0, 16).replace('T', ' ') : 'never']), io.style));
      return 0;
    }
    const gone = await accounts.revoke(person!, cliActor());
    if (!gone) {
      io.err(`${person} has no GitHub account connected`);
      return 1;
    }
    io.out(`Revoked: ${person} (@${gone.login}) is no longer connected; their next message asks them to connect again.`);
    return 0;
  } finally {
    await audit.flush();
    await store.close();
  }
}
