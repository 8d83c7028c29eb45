/** What a `repo` target names and whether REPOS_ALLOWED lets it in: pure functions on text. */
import { describe, expect, it } from 'vitest';
import { repoAllowed, repoInstructions, repoTarget, type RepoSettings, type RepoTarget } from '../../../src/core/repos.js';

const settings: RepoSettings = { allowed: ['acme/*'], baseUrl: 'https://github.com', plainHttpHosts: new Set(['git.internal']) };
const target = (t: string, s = settings) => repoTarget(t, s) as RepoTarget;

describe('repository targets', () => {
  it('owner/name is on REPOS_URL; a URL or host/path is as given, cleaned', () => {
    expect(target('acme/widgets')).toEqual({ url: 'https://github.com/acme/widgets.git', name: 'acme/widgets', host: 'github.com', folder: 'widgets', onBase: true });
    // A port is part of the place: github.com:8443 is not REPOS_URL (no token goes there, acme/* does not name it).
    expect(target('github.com:8443/acme/widgets')).toMatchObject({ url: 'https://github.com:8443/acme/widgets.git', name: 'github.com:8443/acme/widgets', onBase: false });
    expect(target('github.com:443/acme/widgets')).toMatchObject({ url: 'https://github.com/acme/widgets.git', onBase: true });
    // REPOS_URL with a path: owner/name is under it; the host's other paths are not REPOS_URL's.
    const gitlab = { ...settings, baseUrl: 'https://code.example.com/gitlab' };
    expect(target('acme/widgets', gitlab)).toMatchObject({ url: 'https://code.example.com/gitlab/acme/widgets.git', name: 'acme/widgets', onBase: true });
    expect(target('https://code.example.com/other/acme/widgets', gitlab)).toMatchObject({ onBase: false, name: 'code.example.com/other/acme/widgets' });
    expect(target('https://github.com/acme/widgets.git/')).toMatchObject({ url: 'https://github.com/acme/widgets.git', name: 'acme/widgets' });
    expect(target('gitlab.example.com/team/sub/proj')).toEqual({ url: 'https://gitlab.example.com/team/sub/proj.git', name: 'gitlab.example.com/team/sub/proj', host: 'gitlab.example.com', folder: 'proj', onBase: false });
    expect(target('acme/widgets', { ...settings, baseUrl: 'https://ghe.example.com' })).toMatchObject({ url: 'https://ghe.example.com/acme/widgets.git', host: 'ghe.example.com' });
    expect(target('http://git.internal:8080/a/b')).toMatchObject({ url: 'http://git.internal:8080/a/b.git', name: 'git.internal:8080/a/b' });
  });

  it('refuses what is not an https repository, or would smuggle credentials or paths', () => {
    const problem = (t: string) => (repoTarget(t, settings) as { problem: string }).problem;
    expect(problem('file:///etc/passwd')).toMatch(/Only https:\/\/ repositories/);
    expect(problem('ssh://git@github.com/acme/w')).toMatch(/Only https:\/\//);
    for (const t of ['ext::sh -c id', 'git@github.com:acme/w.git', 'file:etc/passwd']) expect(problem(t), t).toMatch(/Only https:\/\//);
    expect(problem('http://github.com/acme/w')).toMatch(/only hosts the operator placed/);
    expect(problem('https://user:pw@github.com/acme/w')).toMatch(/must not hold a user or password/);
    expect(problem('https://github.com/acme/../../etc')).toMatch(/does not look like a repository/);
    expect(problem('https://github.com/acme')).toMatch(/does not look like a repository/);
    expect(problem('https://github.com/acme/w?x=1')).toMatch(/no query/);
    expect(problem('acme')).toMatch(/neither/);
    expect(problem('https://github.com/acme/.hidden')).toMatch(/no name to give its folder/);
  });

  it('REPOS_ALLOWED: owner/* on REPOS_URL, host/owner/*, exact names, *; nothing when empty', () => {
    const allowed = (t: string, patterns: string[]) => repoAllowed(target(t), { ...settings, allowed: patterns });
    expect(allowed('acme/widgets', ['acme/*'])).toBe(true);
    expect(allowed('acme/widgets', ['ACME/Widgets'])).toBe(true);
    expect(allowed('evil/widgets', ['acme/*'])).toBe(false);
    // Another host (or port) with the same owner is not REPOS_URL's.
    expect(allowed('https://evil.example/acme/widgets', ['acme/*'])).toBe(false);
    expect(allowed('github.com:8443/acme/widgets', ['acme/*'])).toBe(false);
    expect(allowed('github.com:8443/acme/widgets', ['github.com:8443/acme/*'])).toBe(true);
    expect(allowed('https://evil.example/acme/widgets', ['evil.example/acme/*'])).toBe(true);
    // * stands for one part only.
    expect(allowed('gitlab.example.com/team/sub/proj', ['gitlab.example.com/team/*'])).toBe(false);
    expect(allowed('gitlab.example.com/team/sub/proj', ['gitlab.example.com/team/*/*'])).toBe(true);
    expect(allowed('anything.example/x/y', ['*'])).toBe(true);
    expect(allowed('acme/widgets', [])).toBe(false);
    // Regex characters in a pattern are text.
    expect(allowed('acme/widgets', ['acme/widget.'])).toBe(false);
  });

  it('file:///…: a repository on the bot\'s host, only by a file:/// pattern of REPOS_ALLOWED (* is not one)', () => {
    const local = { ...settings, allowed: ['file:///srv/git/*', '*'] };
    expect(repoTarget('file:///srv/git/widgets.git', local)).toEqual({ url: 'file:///srv/git/widgets.git', name: 'file:///srv/git/widgets.git', host: '', folder: 'widgets', onBase: false, local: '/srv/git/widgets.git' });
    expect(repoAllowed(target('file:///srv/git/widgets.git', local), local)).toBe(true);
    expect(repoAllowed(target('file:///etc/x.git', local), local)).toBe(false);
    expect(repoAllowed(target('file:///srv/git/widgets.git', local), { ...local, allowed: ['*', 'file:///srv/other/*'] })).toBe(false);
    // Not offered at all without such a pattern; no host, no tricks.
    expect((repoTarget('file:///srv/git/widgets.git', settings) as { problem: string }).problem).toMatch(/only where REPOS_ALLOWED names its folder/);
    for (const t of ['file://host/srv/git/w.git', 'file:///srv/git/../../etc', 'file:///srv/git/.hidden']) expect(repoTarget(t, local), t).toHaveProperty('problem');
    // And a file:/// pattern lets no https repository in.
    expect(repoAllowed(target('acme/widgets'), { ...settings, allowed: ['file:///srv/git/*'] })).toBe(false);
  });

  it('tells sessions where the code is', () => {
    expect(repoInstructions({ url: 'u', name: 'acme/w', ref: 'main', commit: 'abcdef0123456789', folder: 'w', by: 'ana', at: '' })).toBe('This thread works on the repository acme/w (ref main, commit abcdef012345), checked out in the folder w/ of your working directory. When asked about the code, read it there with your tools; do not guess.');
  });
});
