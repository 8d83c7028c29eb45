/**
 * A thread's repository, cloned or refreshed by git: the script git runs (in the thread's sandbox
 * when there is one, see sandbox/scripts.ts REPO), and what its ending means. Shallow (the last
 * commit only), no submodules, no hooks, no protocol but http(s), no credential helper, no
 * prompt: the credentials are one Authorization header for the repository's host, given to git
 * in its environment.
 */
import { RepoError, type RepoWork } from './agent.js';

/** `$1` clone|pull, `$2` URL, `$3` folder, `$4` ref (empty: the default branch), `$5` 1 to discard local changes. */
export const GIT_SCRIPT = `set -eu
op=$1 url=$2 dir=$3 ref=$4 discard=$5
n=0
cfg() { export "GIT_CONFIG_KEY_$n=$1" "GIT_CONFIG_VALUE_$n=$2"; n=$((n + 1)); export GIT_CONFIG_COUNT=$n; }
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0 GIT_LFS_SKIP_SMUDGE=1 GIT_ASKPASS=/bin/false SSH_ASKPASS=/bin/false
cfg protocol.allow never
cfg protocol.https.allow always
cfg protocol.http.allow always
cfg core.hooksPath /dev/null
cfg credential.helper ''
cfg init.defaultBranch main
cfg advice.detachedHead false
cfg fetch.recurseSubmodules false
if [ -n "\${CT_REPO_AUTH:-}" ]; then cfg http.extraHeader "Authorization: $CT_REPO_AUTH"; fi
unset CT_REPO_AUTH
case $op in
  clone)
    rm -rf -- "./$dir"
    git init -q "./$dir"
    cd -- "./$dir"
    git remote add origin "$url"
    git fetch -q --depth 1 --no-tags origin "\${ref:-HEAD}"
    git checkout -q --detach FETCH_HEAD ;;
  pull)
    cd -- "./$dir"
    if [ "$discard" != 1 ] && [ -n "$(git status --porcelain)" ]; then
      echo "copilot-threads: $(git status --porcelain | wc -l) files changed here" >&2
      exit 65
    fi
    git fetch -q --depth 1 --no-tags origin "\${ref:-HEAD}"
    git reset -q --hard FETCH_HEAD
    git clean -q -fdx ;;
esac
git rev-parse HEAD
`;

/** The script's arguments for `work`. */
export function gitArgs(work: RepoWork): string[] {
  return [work.op, work.url, work.folder, work.ref ?? '', work.discard ? '1' : '0'];
}

/** The commit git ended on, or the RepoError its ending means (`secret`: masked in what git said). */
export function gitOutcome(run: { code: number | null; stdout: string; stderr: string }, work: RepoWork, limits: { seconds: number }, secret?: string): { commit: string } {
  const commit = /([0-9a-f]{40}|[0-9a-f]{64})\s*$/.exec(run.stdout)?.[1];
  if (run.code === 0 && commit) return { commit };
  let said = run.stderr.trim().split('\n').filter((l) => l.trim()).at(-1) ?? `git ended with ${run.code ?? 'a signal'}`;
  if (secret) said = said.split(secret).join('***');
  said = said.replace(/^(fatal|error): /, '').slice(0, 300);
  if (run.code === 65) return fail(`The repository has local changes (${said.replace(/^copilot-threads: /, '')}). \`repo pull --discard\` throws them away and refreshes it.`, 'local-changes');
  if (run.code === 75 || /folder reached its limit|may hold \d+ MB/.test(run.stderr)) return fail(`The repository does not fit in this thread's folder (${/this thread's folder holds[^\n]*/.exec(run.stderr)?.[0] ?? 'TOOLS_MAX_DISK_MB'}).`, 'too-big');
  if (run.code === 124 || run.code === null) return fail(`Getting the repository took longer than ${limits.seconds} s (TOOLS_MAX_SECONDS) and was stopped.`, 'timeout');
  return fail(`git could not ${work.op === 'clone' ? 'clone' : 'refresh'} ${work.url}: ${said}`, 'git');
}

function fail(message: string, why: RepoError['why']): never {
  throw new RepoError(message, why);
}
