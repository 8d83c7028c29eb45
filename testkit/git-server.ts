/**
 * Git repositories served over smart HTTP on 127.0.0.1 for the tests (`git http-backend` behind a
 * small HTTP server), recording each request's Authorization header. `makeRepo` creates a bare
 * repository with commits, `commit` adds one.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface GitServer {
  port: number;
  /** Where the bare repositories are: `<root>/<owner>/<name>.git`. */
  root: string;
  /** Authorization headers of the requests, in order (undefined: none sent). */
  authorizations: Array<string | undefined>;
  /** Creates `<owner>/<name>.git` with one commit of `files`; returns the commit. */
  makeRepo(name: string, files: Record<string, string>): string;
  /** Adds a commit of `files` to the repository's default branch; returns it. */
  commit(name: string, files: Record<string, string>): string;
  close(): Promise<void>;
}

const GIT_ENV = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.invalid', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: os.tmpdir() };

export async function startGitServer(): Promise<GitServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-git-'));
  const authorizations: GitServer['authorizations'] = [];
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    const url = new URL(req.url ?? '/', 'http://git.invalid');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...GIT_ENV,
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      started = true;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const i = line.indexOf(':');
        const [k, v] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
        if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => {
      if (!started) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' }).trim();
  const commit = (name: string, files: Record<string, string>) => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-git-work-'));
    try {
      git(work, 'clone', '-q', path.join(root, `${name}.git`), '.');
      for (const [file, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
        fs.writeFileSync(path.join(work, file), text);
      }
      git(work, 'add', '-A');
      git(work, 'commit', '-q', '-m', `change ${Object.keys(files).join(', ')}`);
      git(work, 'push', '-q', 'origin', 'HEAD:main');
      return git(work, 'rev-parse', 'HEAD');
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  };
  return {
    port,
    root,
    authorizations,
    makeRepo(name, files) {
      const bare = path.join(root, `${name}.git`);
      fs.mkdirSync(bare, { recursive: true });
      git(bare, 'init', '-q', '--bare', '-b', 'main');
      return commit(name, files);
    },
    commit,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(root, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
