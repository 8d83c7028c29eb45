/**
 * The Dockerfile cannot be built here (no daemon, and its base image is on the internet), so what
 * can go wrong with it is checked as text against the repository: its install is the one CI runs
 * for real (.ci/run's production install), it copies everything the build compiles, and it keeps
 * the promises docs/deploy.md makes (Node 24 slim, non-root, health check, one data volume).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

const dockerfile = fs.readFileSync('Dockerfile', 'utf8');
const stages = dockerfile.split(/^FROM /m).slice(1);
const runtime = stages.at(-1)!;

describe('Dockerfile', () => {
  it('builds with the production install CI runs, from every folder the build compiles', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const install = /^RUN (npm ci .*)$/m.exec(stages[0]!)?.[1];
    expect(install).toBe('npm ci --omit=dev --no-audit --no-fund');
    expect(fs.readFileSync('.ci/run', 'utf8')).toContain(`${install} > npm-ci.log`);
    const copied = [...stages[0]!.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    const { include, extends: base } = JSON.parse(fs.readFileSync('tsconfig.build.json', 'utf8')) as { include: string[]; extends: string };
    for (const needed of [...include, base.replace(/^\.\//, ''), 'tsconfig.build.json', 'package.json', 'package-lock.json']) expect(copied).toContain(needed);
  });

  it('runs Node 24 slim as a non-root user, with a health check on /healthz and one data volume', () => {
    for (const stage of stages) expect(stage).toMatch(/^node:24-[a-z]+-slim\b/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(runtime).toMatch(/^VOLUME \["\/app\/data"\]$/m);
    expect(runtime).toMatch(/^WORKDIR \/app$/m);
    // The defaults put COPILOT_HOME and the SQLite store under ./data: the volume holds both.
    const example = fs.readFileSync('.env.example', 'utf8');
    expect(example).toMatch(/COPILOT_HOME=\.\/data\/copilot|# .*\.\/data\/copilot/);
    // It runs what `npm start` runs, without npm in between (which would swallow SIGTERM).
    const start = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ');
    expect(/^CMD (\[.*\])$/m.exec(runtime)?.[1]).toBe(JSON.stringify(start).replaceAll(',', ', '));
    expect(fs.existsSync(start[1]!.replace(/^dist\//, '').replace(/\.js$/, '.ts'))).toBe(true);
  });

  it('never sends secrets or local state into the build', () => {
    const ignored = fs.readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['.env', 'data/', 'node_modules/', '.git/']) expect(ignored).toContain(entry);
  });

  it('is what the compose example in docs/deploy.md builds', () => {
    expect(fs.readFileSync('docs/deploy.md', 'utf8')).toMatch(/bot:\n\s+build: \./);
  });
});
