/**
 * A thread's repository, cloned or refreshed by git: the script git runs (in the thread's sandbox
 * when there is one, see sandbox/scripts.ts REPO), and what its ending means. Always a fresh
 * shallow clone (the last commit only) put in the old one's place: a repository the thread's
 * tools could have changed (its .git/config can run commands, point elsewhere, allow file://) is
 * never fetched into, and nothing that reads one has the credentials in its environment. No
 * submodules, no hooks, no redirects, no protocol but http(s), no credential helper, no prompt:
 * the credentials are one Authorization header for the repository's host, given to git in its
 * environment for the fetch only.
 */
import { RepoError, type RepoWork } from './agent.js';

/** `$1` clone|pull, `$2` URL, `$3` folder, `$4` ref (empty: the default branch), `$5` 1 to discard local changes. */
export const GIT_SCRIPT = `set -eu
op=$1 url=$2 dir=$3 ref=$4 discard=$5
# The credentials are for the fresh clone's fetch only: nothing that reads a repository the
# thread's tools could have touched (its .git/config: core.fsmonitor, filters, insteadOf, proxies)
# ever runs with them in its environment.
auth=\${CT_REPO_AUTH:-}
unset CT_REPO_AUTH
top=$(pwd)
new=.copilot-threads-clone-$$
trap 'cd "$top" && rm -rf -- "./$new"; [ "\${GIT_CONFIG_GLOBAL:-/dev/null}" = /dev/null ] || rm -f -- "$GIT_CONFIG_GLOBAL"' EXIT
n=0
cfg() { export "GIT_CONFIG_KEY_$n=$1" "GIT_CONFIG_VALUE_$n=$2"; n=$((n + 1)); export GIT_CONFIG_COUNT=$n; }
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0 GIT_LFS_SKIP_SMUDGE=1 GIT_ASKPASS=/bin/false SSH_ASKPASS=/bin/false
cfg protocol.allow never
cfg protocol.https.allow always
cfg protocol.http.allow always
# A local repository the operator allowed (REPOS_ALLOWED file:///…): that one, by its URL.
# Its files are not the sandbox's user's: git is told they are fine to read, for that one only, in
# a global config of this run's own (git hands a local upload-pack no GIT_CONFIG_* settings).
case $url in file:///*)
  cfg protocol.file.allow always
  GIT_CONFIG_GLOBAL=$(mktemp)
  printf '[safe]\\n\\tdirectory = %s\\n' "\${url#file://}" > "$GIT_CONFIG_GLOBAL"
  export GIT_CONFIG_GLOBAL ;;
esac
cfg core.hooksPath /dev/null
cfg core.fsmonitor false
cfg credential.helper ''
cfg init.defaultBranch main
cfg advice.detachedHead false
cfg fetch.recurseSubmodules false
# A redirect could carry the credentials to another host; a server that trickles is given up.
cfg http.followRedirects false
cfg http.lowSpeedLimit 1000
cfg http.lowSpeedTime 60
# pull: the tools' changes are kept unless thrown away (counted without running anything of the folder's config).
if [ "$op" = pull ] && [ "$discard" != 1 ] && [ -d "./$dir/.git" ]; then
  changed=$(git -C "./$dir" status --porcelain 2>/dev/null | wc -l)
  if [ "$changed" -gt 0 ]; then
    echo "copilot-threads: $changed files changed here" >&2
    exit 65
  fi
fi
# Always a fresh clone beside it, then put in its place: an old .git is never trusted, never fetched into.
rm -rf -- "./$new"
git init -q "./$new"
cd -- "./$new"
git remote add origin "$url"
if [ -n "$auth" ]; then cfg http.extraHeader "Authorization: $auth"; fi
git fetch -q --depth 1 --no-tags origin "\${ref:-HEAD}"
git checkout -q --detach FETCH_HEAD
commit=$(git rev-parse HEAD)
cd "$top"
rm -rf -- "./$dir"
mv -- "./$new" "./$dir"
echo "$commit"
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
