/** The admin CLI (`copilot-threads`), run as a process on each store: it reads the registry itself. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEntryPoints } from '../../testkit/entry-points.js';
import { runEntry } from '../../testkit/process.js';
import { keyring, parseKey } from '../../src/infra/keyring.js';
import { openStore } from '../../src/store/store.js';

const entry = useEntryPoints({ COPILOT_PROVIDER_API_KEY: 'sk-test-secret-value' });
const { chat, cli } = entry;

describe('admin CLI (copilot-threads sessions …)', () => {
  it('lists, shows, prunes and forgets sessions', async () => {
    await chat('for the cli\n', 'cli');
    const list = await cli('sessions', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/SESSION\s+PLATFORM\s+WHERE\s+OPENING\s+STARTED BY\s+TURNS\s+LAST ACTIVE\s+STATE/);
    expect(list.stdout).toMatch(/local-ana-cli\s+local\s+ana thread cli\s+for the cli\s+ana\s+1\s+(just now|\d+ minutes? ago)\s+ok/);
    expect(list.stdout).toContain('newest first');
    // `sessions` alone is the list; colour codes never reach a pipe.
    const bare = await cli('sessions');
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/local-ana-cli\s+local/);
    expect(bare.stdout).not.toContain('\x1b[');

    const json = JSON.parse((await cli('sessions', 'list', '--json')).stdout) as Array<{ id: string; onDisk: boolean }>;
    expect(json.find((r) => r.id === 'local-ana-cli')).toMatchObject({ onDisk: true });

    const show = await cli('sessions', 'show', 'local-ana-cli');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/started by\s+ana/);
    expect(show.stdout).toMatch(/last active\s+(just now|\d+ minutes? ago) \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
    expect(show.stdout).toContain('for the cli');
    // The conversation only, unless everything is asked for.
    expect(show.stdout).toMatch(/## user \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
    expect(show.stdout).not.toMatch(/system prompt|turn started/);
    const all = await cli('sessions', 'show', 'local-ana-cli', '--all');
    expect(all.stdout).toMatch(/system prompt \(\d+ chars\)/);
    expect(all.stdout).toContain('turn started');
    // The thread as its user knows it: the console thread's name.
    const byName = await cli('sessions', 'show', 'cli');
    expect(byName.code).toBe(0);
    expect(byName.stdout).toMatch(/session\s+local-ana-cli/);

    const dry = await cli('sessions', 'prune', '--older-than', '0s', '--dry-run');
    expect(dry.stdout).toContain('Sessions idle for longer than 0s:');
    expect(dry.stdout).toMatch(/local-ana-cli\s+(just now|\d+ minutes? ago) \(.*\)\s+registry/);
    expect(dry.stdout).toContain('KIND: registry = a conversation and its registry record');
    expect(dry.stdout).toMatch(/would delete \d+ session/);
    expect(fs.existsSync(path.join(entry.dir, 'copilot/session-state/local-ana-cli'))).toBe(true);
    expect((await cli('sessions', 'prune', '--older-than', '30d')).stdout).toContain('Nothing to prune: no session idle for longer than 30d.');
    // Without --older-than the threshold is the retention setting, and it is named.
    expect((await cli('prune', '--dry-run')).stdout).toContain('Nothing to prune: no session idle for longer than 30 days (SESSION_RETENTION_DAYS).');

    // The group word is optional: `list`, `show`, `forget`, `prune` at the top level.
    const alias = await cli('list');
    expect(alias.code).toBe(0);
    expect(alias.stdout).toMatch(/local-ana-cli\s+local/);
    expect((await cli('show', 'cli')).stdout).toMatch(/session\s+local-ana-cli/);

    const forget = await cli('forget', 'local-ana-cli', '--yes');
    expect(forget.code).toBe(0);
    expect(forget.stdout).toContain('deleted local-ana-cli');
    expect(fs.existsSync(path.join(entry.dir, 'copilot/session-state/local-ana-cli'))).toBe(false);
    expect((await cli('sessions', 'show', 'local-ana-cli')).code).toBe(1);
    // About twenty CLI runs: generous on two loaded cores.
  }, 150_000);

  it('shows the audit trail: who forgot what, in a thread or at the CLI, and which conversations an operator read', async () => {
    const operator = `cli:${os.userInfo().username}`;
    await chat('remember the audit\n', 'audited');
    await chat('gone soon\n', 'forgotten');
    expect((await chat('/forget\ny\n', 'forgotten')).stdout).toContain('Forgotten');
    expect((await cli('show', 'audited')).code).toBe(0);
    expect((await cli('forget', 'audited', '--yes')).code).toBe(0);

    const table = await cli('audit');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/TIME\s+WHO\s+WHAT\s+SESSION\s+DETAIL/);
    expect(table.stdout).toMatch(/local:ana\s+forget\s+local-ana-forgotten\s+via=thread/);
    expect(table.stdout).toMatch(new RegExp(`${operator}\\s+admin\\s+local-ana-audited\\s+command=show`));
    expect(table.stdout).toMatch(new RegExp(`${operator}\\s+forget\\s+local-ana-audited\\s+via=cli`));
    expect(table.stdout).toMatch(/\d+ records? since \d{4}-\d\d-\d\d \d\d:\d\d UTC \(AUDIT_RETENTION_DAYS=365\)/);

    const json = (await cli('audit', '--json', '--user', 'local:ana')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; actor: string; session?: string });
    expect(json.length).toBeGreaterThan(0);
    expect(json.every((r) => r.actor === 'local:ana')).toBe(true);
    expect(json).toContainEqual(expect.objectContaining({ kind: 'forget', session: 'local-ana-forgotten' }));
    expect((await cli('audit', '--since', '1s', '--user', 'slack:UNOBODY')).stdout).toMatch(/^No audit records since .* by slack:UNOBODY\./);
    const bad = await cli('audit', '--since', 'lately');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a duration');
    expect((await cli('audit', '--user', 'ana')).stderr).toContain('--user is PLATFORM:ID');
    expect((await cli('list', '--since', '1d')).stderr).toContain('--since goes with audit and usage');
  }, 120_000);

  it('shows usage per person or per channel (usage [--since] [--by] [--json])', async () => {
    await chat('count me\nand again\n', 'metered');
    const table = await cli('usage');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/PERSON\s+TURNS\s+TOOL RUNS\s+TOKENS IN\s+TOKENS OUT/);
    expect(table.stdout).toMatch(/local:ana\s+\d+\s+0\s+[1-9][\d,]*\s+[1-9][\d,]*/);
    expect(table.stdout).toMatch(/since \d{4}-\d\d-\d\d \(UTC days\); no daily budgets/);
    expect((await cli('usage', '--by', 'channel')).stdout).toMatch(/CHANNEL\s+TURNS[\s\S]*local:\S*:metered\s+2\s/);
    const json = (await cli('usage', '--json', '--since', '1d')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { user: string; turns: number });
    expect(json.find((r) => r.user === 'local:ana')?.turns).toBeGreaterThanOrEqual(2);
    expect((await cli('usage', '--by', 'team')).stderr).toContain('--by user|channel goes with usage');
  });

  it('prints a new key and rotates kept secrets to TOKEN_ENCRYPTION_KEY (keys new, keys rotate)', async () => {
    const made = await cli('keys', 'new');
    expect(made.code).toBe(0);
    expect(Buffer.from(made.stdout.trim(), 'base64')).toHaveLength(32);
    const without = await cli('keys', 'rotate');
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('TOKEN_ENCRYPTION_KEY');
    const rotated = await runEntry(['src/bin/cli.ts', 'keys', 'rotate'], { ...entry.env, TOKEN_ENCRYPTION_KEY: made.stdout.trim() });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^0 sealed again under key [0-9a-f]{8}; 0 already were\.\nNothing is kept yet\./);
    expect((await runEntry(['src/bin/cli.ts', 'keys', 'rotate'], { ...entry.env, TOKEN_ENCRYPTION_KEY: 'short' })).stderr).toContain('TOKEN_ENCRYPTION_KEY: must be 32 bytes in base64');
    expect((await cli('keys', 'spin')).code).toBe(2);
    expect((await cli('audit', '--json')).stdout).toContain('"command":"keys rotate"');
  });

  it('lists the people who connected a GitHub account, and revokes one (users list, users revoke)', async () => {
    const key = (await cli('keys', 'new')).stdout.trim();
    const env: NodeJS.ProcessEnv = { ...entry.env, TOKEN_ENCRYPTION_KEY: key };
    const store = await openStore(env.STORE_URL!, 5000, env.STORE_NAMESPACE, keyring(parseKey(key)));
    try {
      await store.identities.put({ person: 'slack:U1', login: 'alice', githubId: 1, host: 'github.com', linkedAt: '2026-12-01T10:00:00.000Z', expiresAt: '2026-12-01T18:00:00.000Z' }, { accessToken: 'ghu_alice_cli_token', expiresAt: 1 });
      await store.identities.put({ person: 'discord:42', login: 'bob', githubId: 2, host: 'github.com', linkedAt: '2026-12-02T10:00:00.000Z' }, { accessToken: 'gho_bob_cli_token' });
    } finally {
      await store.close();
    }
    const list = await runEntry(['src/bin/cli.ts', 'users', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/PERSON\s+GITHUB\s+HOST\s+LINKED\s+TOKEN EXPIRES/);
    expect(list.stdout).toMatch(/discord:42\s+@bob\s+github\.com\s+2026-12-02 10:00\s+never/);
    expect(list.stdout).toMatch(/slack:U1\s+@alice\s+github\.com\s+2026-12-01 10:00\s+2026-12-01 18:00/);
    expect(list.stdout).not.toContain('cli_token');
    // Who is linked is no secret: listed without the key too.
    expect((await cli('users', 'list', '--json')).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { login: string }).login)).toEqual(['bob', 'alice']);
    const revoked = await runEntry(['src/bin/cli.ts', 'users', 'revoke', 'slack:U1'], env);
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringContaining('Revoked: slack:U1 (@alice) is no longer connected') });
    const again = await runEntry(['src/bin/cli.ts', 'users', 'revoke', 'slack:U1'], env);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('slack:U1 has no GitHub account connected') });
    expect((await cli('users', 'list')).stdout).not.toContain('alice');
    expect((await cli('users', 'revoke', 'slack:U9')).stderr).toContain('TOKEN_ENCRYPTION_KEY');
    expect((await cli('users', 'revoke', 'alice')).code).toBe(2);
    expect((await cli('users', 'drop')).code).toBe(2);
    const audit = (await cli('audit', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; actor: string; detail?: { person?: string } });
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'revoke', actor: expect.stringMatching(/^cli/), detail: expect.objectContaining({ person: 'slack:U1', login: 'alice', via: 'cli' }) }));
  });

  it('rejects bad input with a usage line and a non-zero exit', async () => {
    const traversal = await cli('sessions', 'forget', '../../etc');
    expect(traversal.code).toBe(2);
    expect(traversal.stderr).toContain('not a session id');
    const unknown = await cli('sessions', 'explode');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Usage: copilot-threads [sessions] <command>');
    const unknownTop = await cli('explode');
    expect(unknownTop.code).toBe(2);
    expect(unknownTop.stderr).toContain('unknown command: explode');
    expect((await cli('sessions', 'prune', '--older-than', 'soon')).stderr).toContain('not a duration');
    expect((await cli('sessions', 'prune', '--older-than', '2w', '--dry-run')).stdout).toContain('Nothing to prune');
    const version = await cli('--version');
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(`copilot-threads ${(JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version}`);
    const noSuchThread = await cli('sessions', 'show', 'https://example.org/not-a-thread');
    expect(noSuchThread.code).toBe(2);
    expect(noSuchThread.stderr).toContain('not a Slack or Discord thread link');
    expect((await cli('sessions', 'list', 'extra')).code).toBe(2);
  });

  it('ends quietly when the reader of its output goes away (`| head`)', async () => {
    await chat('for the pipe\n', 'pipe');
    const child = spawn(process.execPath, ['dist/src/bin/cli.js', 'sessions', 'show', 'local-ana-pipe', '--all'], { env: entry.env, stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader is gone before the first line is written: every write meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
