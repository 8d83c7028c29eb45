/**
 * `repo`: the thread's repository. Anyone in the thread sees which one it is; its starter or an
 * admin binds one (cloned shallow into the thread's folder, in its sandbox, as the person with
 * per-user accounts, else with REPO_TOKEN on REPOS_URL's host), refreshes it (`repo pull`) or
 * lets it go (`repo remove`). Kept beside the thread's record, so every instance and restart
 * knows it, and each session of the thread is told where the code is.
 */
import type { RepoBinding } from '../../domain.js';
import { RepoError, type Agent, type RepoWork } from '../../agent/agent.js';
import type { ThreadRegistry } from '../../store/registry.js';
import type { Reply } from '../reply.js';
import { repoAllowed, repoLine, repoTarget, type RepoSettings } from '../repos.js';
import type { SessionId, ThreadRef } from '../thread.js';
import type { RepoAction } from './parse.js';

export interface RepoDeps {
  registry: Pick<ThreadRegistry, 'get' | 'choose'>;
  agent: Pick<Agent, 'repo'>;
  settings: RepoSettings;
  /**
   * The token to clone a repository on REPOS_URL with as this person: their own (per-user), or
   * REPO_TOKEN; a Reply when the person must connect first. Never asked for another place's.
   */
  tokenFor(thread: ThreadRef): Promise<string | undefined | Reply>;
  isAdmin(thread: ThreadRef): boolean;
  /** Behind the thread's running turn (a clone under a turn's feet would change its files mid-answer). */
  inLine<T>(fn: () => Promise<T>): Promise<T>;
  now(): Date;
}

export async function repoCommand(thread: ThreadRef, id: SessionId, action: RepoAction, deps: RepoDeps): Promise<Reply> {
  const record = await deps.registry.get(id);
  if (action.kind === 'show') {
    if (record?.repo) return notice(`${repoLine(record.repo)}.\n\`repo pull\` refreshes it; \`repo URL|owner/name [ref]\` binds another; \`repo remove\` lets it go.`);
    return notice(deps.settings.allowed.length ? 'This thread has no repository. `repo URL|owner/name [ref]` binds one (its starter or an admin).' : 'Repositories are off on this bot (REPOS_ALLOWED is empty).');
  }
  // The thread is its starter's: binding before its first turn would make the binder its starter.
  if (record === undefined) return notice('This thread has no Copilot session yet: ask your first question, then `repo …` binds a repository to it.');
  if (record.startedBy !== thread.user && !deps.isAdmin(thread)) return notice("Only the person who started this thread, or an admin, can change its repository.");
  if (action.kind === 'remove') {
    if (!record.repo) return notice('This thread has no repository.');
    await deps.inLine(() => deps.registry.choose(id, { repo: null }));
    return notice(`This thread is no longer bound to **${record.repo.name}** (its folder \`${record.repo.folder}/\` stays until the thread is forgotten).`);
  }
  if (action.kind === 'pull' && !record.repo) return notice('This thread has no repository to refresh: `repo URL|owner/name [ref]` binds one.');
  // A refresh goes where the binding went (read again through the same rules: REPOS_ALLOWED may have changed).
  const target = repoTarget(action.kind === 'bind' ? action.target : record.repo!.url, deps.settings);
  if ('problem' in target) return notice(target.problem);
  if (!repoAllowed(target, deps.settings)) {
    return notice(deps.settings.allowed.length ? `**${target.name}** is not among the repositories this bot may bind (REPOS_ALLOWED: ${deps.settings.allowed.join(', ')}).` : 'Repositories are off on this bot (REPOS_ALLOWED is empty).');
  }
  const token = target.onBase ? await deps.tokenFor(thread) : undefined;
  if (token !== undefined && typeof token !== 'string') return token;
  const ref = action.kind === 'bind' ? action.ref : record.repo!.ref;
  const work: RepoWork = {
    op: action.kind === 'bind' ? 'clone' : 'pull',
    url: target.url,
    host: target.host,
    folder: target.folder,
    ...(target.local ? { local: target.local } : {}),
    ...(ref ? { ref } : {}),
    ...(token ? { authorization: `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}` } : {}),
    ...(action.kind === 'pull' ? { discard: action.discard } : {}),
  };
  try {
    return await deps.inLine(async () => {
      const { commit } = await deps.agent.repo(id, work);
      const binding: RepoBinding = { url: target.url, name: target.name, ...(ref ? { ref } : {}), commit, folder: target.folder, by: thread.user, at: deps.now().toISOString() };
      await deps.registry.choose(id, { repo: binding });
      if (action.kind === 'pull') {
        const before = record.repo!.commit;
        return notice(before === commit ? `**${target.name}** is up to date (\`${commit.slice(0, 7)}\`).` : `Refreshed **${target.name}**: \`${before.slice(0, 7)}\` → \`${commit.slice(0, 7)}\`. My next answer here reads it.`);
      }
      return notice(`${repoLine(binding)}.\nAsk me about it: I read the code there${record.repo && record.repo.folder !== binding.folder ? ` (the last one stays in \`${record.repo.folder}/\`)` : ''}.`);
    });
  } catch (err) {
    if (err instanceof RepoError) return notice(`⚠️ ${err.message}`);
    throw err;
  }
}

function notice(text: string): Reply {
  return { kind: 'notice', text };
}
