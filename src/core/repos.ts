/**
 * Which repository a thread may be bound to (`repo URL|owner/name [ref]`), as pure functions on
 * text: what a target names (a clone URL, a name people know it by, a folder), whether
 * REPOS_ALLOWED lets it in, and what the thread's sessions are told of it.
 */
import type { RepoBinding } from '../domain.js';

export interface RepoSettings {
  /** REPOS_ALLOWED: `owner/*`, `host/owner/name`, `*`; empty: no repository may be bound. */
  allowed: readonly string[];
  /** REPOS_URL: where `owner/name` is (https://github.com, or a GitHub Enterprise). */
  baseUrl: string;
  /** Hosts an operator placed (TOOLS_PINNED_HOSTS): the only ones `http://` may name. */
  plainHttpHosts: ReadonlySet<string>;
}

export interface RepoTarget {
  /** The clone URL (no credentials in it). */
  url: string;
  /** `owner/name` on REPOS_URL's host, else `host/path`. */
  name: string;
  host: string;
  /** Its folder in the thread's folder: the repository's own name. */
  folder: string;
  /** On REPOS_URL (its scheme, host, port and path): the only place REPO_TOKEN or a person's token is sent. */
  onBase: boolean;
  /** A repository on the bot's host (`file:///…`, only where REPOS_ALLOWED names such paths): its folder. */
  local?: string;
}

const SEGMENT = /^[A-Za-z0-9_.~-]+$/;

/** What `target` names, or why it cannot be bound. */
export function repoTarget(target: string, settings: RepoSettings): RepoTarget | { problem: string } {
  // Before a URL parser folds them away: a path that climbs (`/../`, encoded or not) is no repository's.
  if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test(target)) return { problem: `\`${target}\` does not look like a repository.` };
  const base = new URL(settings.baseUrl);
  let url: URL;
  if (/^[A-Za-z0-9-]+\/[A-Za-z0-9_.-]+$/.test(target)) url = new URL(`${base.origin}${base.pathname.replace(/\/$/, '')}/${target}`);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    try {
      url = new URL(target);
    } catch {
      return { problem: `\`${target}\` is not a URL.` };
    }
  } else if (/^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?\/[^\s]+$/.test(target)) url = new URL(`https://${target}`);
  // ext::…, file:…, git@host:… and the like.
  else if (/^[^/]*:/.test(target)) return { problem: 'Only https:// repositories can be bound.' };
  else return { problem: `\`${target}\` is neither \`owner/name\` nor a repository's https:// URL.` };
  if (url.protocol === 'file:') return localTarget(target, url, settings);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { problem: `Only https:// repositories can be bound (not ${url.protocol.slice(0, -1)}).` };
  const host = url.hostname.toLowerCase();
  if (url.protocol === 'http:' && !settings.plainHttpHosts.has(host)) return { problem: `\`http://\` sends everything in the clear: only hosts the operator placed (TOOLS_PINNED_HOSTS) may use it. Use https://.` };
  if (url.username || url.password) return { problem: 'A repository URL must not hold a user or password: the bot brings the credentials.' };
  if (url.search || url.hash) return { problem: 'A repository URL has no query or fragment.' };
  const segments = url.pathname.replace(/\/+$/, '').split('/').slice(1);
  if (segments.length < 2 || segments.length > 6 || segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) return { problem: `\`${target}\` does not look like a repository (host/owner/name).` };
  const path = segments.join('/').replace(/\.git$/, '');
  const folder = segments.at(-1)!.replace(/\.git$/, '');
  if (!folder || folder.startsWith('.')) return { problem: `\`${target}\` has no name to give its folder.` };
  // On REPOS_URL (same scheme, host and port, under its path): named owner/name, and its credentials may go there.
  const basePath = base.pathname.replace(/\/+$/, '');
  const onBase = url.origin === base.origin && `/${path}`.startsWith(`${basePath}/`);
  return { url: `${url.protocol}//${url.host}/${path}.git`, name: onBase ? path.slice(basePath.length ? basePath.length : 0).replace(/^\//, '') : `${url.host.toLowerCase()}/${path}`, host, folder, onBase };
}

/**
 * `file:///srv/git/acme/widgets.git`: a repository on the bot's host, which only an operator can
 * offer (a `file:///…` pattern in REPOS_ALLOWED; `*` is not one): bound read-only for the clone.
 */
function localTarget(target: string, url: URL, settings: RepoSettings): RepoTarget | { problem: string } {
  if (!settings.allowed.some((p) => p.toLowerCase().startsWith('file://'))) return { problem: 'Only https:// repositories can be bound (a repository on the bot\'s host only where REPOS_ALLOWED names its folder, file:///…).' };
  if (url.host || url.search || url.hash) return { problem: `\`${target}\` is not a local repository's URL (file:///path/to/repo.git).` };
  const segments = url.pathname.replace(/\/+$/, '').split('/').slice(1);
  if (segments.length < 1 || segments.length > 12 || segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) return { problem: `\`${target}\` does not look like a repository's folder.` };
  const local = `/${segments.join('/')}`;
  const folder = segments.at(-1)!.replace(/\.git$/, '');
  if (!folder || folder.startsWith('.')) return { problem: `\`${target}\` has no name to give its folder.` };
  return { url: `file://${local}`, name: `file://${local}`, host: '', folder, onBase: false, local };
}

/**
 * Whether REPOS_ALLOWED lets `target` in. A pattern is `host/owner/name` or (without a host)
 * `owner/name` on REPOS_URL's host; `*` stands for one part (`acme/*`), `*` alone for any.
 */
export function repoAllowed(target: RepoTarget, settings: RepoSettings): boolean {
  // Host-less patterns name REPOS_URL's repositories only (not the same owner on another host or port).
  const full = target.onBase ? `@base/${target.name}` : target.name;
  return settings.allowed.some((raw) => {
    const pattern = raw.trim().toLowerCase();
    // A local repository only by a pattern of its own kind (file:///…), never by * or a host's.
    if (target.local !== undefined || pattern.startsWith('file://')) {
      if (target.local === undefined || !pattern.startsWith('file://')) return false;
      return new RegExp(`^file://${pattern.slice('file://'.length).split('/').map((p) => p.split('*').map(escape).join('[^/]+')).join('/')}$`).test(target.name.toLowerCase());
    }
    if (pattern === '*') return true;
    const parts = pattern.split('/');
    const withHost = /[.:]/.test(parts[0]!) ? pattern : `@base/${pattern}`;
    const re = new RegExp(`^${withHost.split('/').map((p) => p.split('*').map(escape).join('[^/]+')).join('/')}$`);
    return re.test(full.toLowerCase());
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What the thread's sessions are told: where the code is, so they read it there. */
export function repoInstructions(repo: RepoBinding): string {
  return `This thread works on the repository ${repo.name} (${repo.ref ? `ref ${repo.ref}` : 'its default branch'}, commit ${repo.commit.slice(0, 12)}), checked out in the folder ${repo.folder}/ of your working directory. When asked about the code, read it there with your tools; do not guess.`;
}

/** One line for the history header and the thread's notices. */
export function repoLine(repo: RepoBinding): string {
  return `📦 Repository: **${repo.name}** ${repo.ref ? `\`${repo.ref}\`` : '(default branch)'} at \`${repo.commit.slice(0, 7)}\`, in \`${repo.folder}/\` (bound by ${repo.by})`;
}
