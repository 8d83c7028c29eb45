/**
 * The sandbox tried as an attacker would: the built bot (`node dist/src/bin/bot.js`) with Slack and
 * Discord configured against the fakes, tools on, the store on Redis and the session state on
 * Postgres, and a scripted model that asks for exactly the tool calls of each attack. Row by row,
 * docs/tools-and-safety.md's table "Tools are sealed in": each attack is blocked, and the thread goes on.
 * Nothing here sends a packet off 127.0.0.1: "other hosts" are fakes on 127.0.0.1 under names,
 * and what a tool can reach is judged by what answers it on loopback.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionIdFor } from '../../src/core/thread.js';
import { newPostgresPool, schemaFor, type PgPool } from '../../src/infra/postgres.js';
import { APPROVAL_ACTION } from '../../adapters/slack/approvals.js';
import { THINKING } from '../../adapters/slack/replier.js';
import { echoReply, textOf, type ModelScript } from '../../testkit/model-server.js';
import { mention } from '../../testkit/slack-harness.js';
import { approvalButtons, approvalCardIn, blockAction, threadTexts } from '../../testkit/slack-view.js';
import { startStack, type Proc, type Stack } from '../../testkit/bot-process.js';
import { processesNaming, workspaceFile } from '../../testkit/process.js';
import { scanFor } from '../../testkit/probes.js';
import { service } from '../../testkit/services.js';

/** `sh <command>` runs bash; `{"tool":…,"args":…}` any tool; `hang <command>`: bash, then a model that never answers. */
const script: ModelScript = (req) => {
  const last = req.messages.at(-1)!;
  const said = req.userTexts.at(-1) ?? '';
  if (last.role === 'tool') return said.startsWith('hang ') ? { kind: 'hang' } : { kind: 'text', text: `OUT: ${textOf(last.content)}` };
  if (said.startsWith('sh ') || said.startsWith('hang ')) return { kind: 'tool', name: 'bash', args: { command: said.slice(said.indexOf(' ') + 1), description: 'probe' } };
  if (said.startsWith('{')) {
    const call = JSON.parse(said) as { tool: string; args: Record<string, unknown> };
    return { kind: 'tool', name: call.tool, args: call.args };
  }
  return echoReply(req);
};

const CANARY = 'canary-3f9e1b7c2d';
let stack: Stack;
let bot: Proc;
let pool: PgPool | undefined;
let redis: string | undefined;
let postgres: string | undefined;
const hits = { allowed: 0, refused: 0, attacker: 0 };
const servers: http.Server[] = [];
let allowedPort = 0;
let refusedPort = 0;
let attackerPort = 0;
let thread = 1700004000;
let supervisorFd: number | undefined;

async function fake(name: keyof typeof hits, answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<number> {
  const server = http.createServer((req, res) => {
    hits[name]++;
    answer(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  redis = await service('Redis');
  postgres = await service('Postgres');
  allowedPort = await fake('allowed', (req, res) => res.end(req.url === '/big' ? Buffer.alloc(1 << 20, 97) : 'hello from the allowed host\n'));
  refusedPort = await fake('refused', (_req, res) => res.end('you should not see this\n'));
  attackerPort = await fake('attacker', (_req, res) => res.end('stolen\n'));
  stack = await startStack({
    script,
    env: {
      COPILOT_TOOLS: 'bash,create,edit,grep,glob',
      // Cards for create (one row shows a card); the rest runs as asked.
      COPILOT_TOOLS_APPROVAL: 'create',
      ...(redis ? { STORE_URL: redis } : {}),
      ...(postgres ? { SESSION_STATE_URL: postgres } : {}),
      TOOLS_ALLOWED_HOSTS: 'allowed.test',
      TOOLS_PINNED_HOSTS: `allowed.test=127.0.0.1:${allowedPort}`,
      TOOLS_MAX_PROCESSES: '32',
      TOOLS_MAX_MEMORY_MB: '128',
      TOOLS_MAX_DISK_MB: '20',
      TOOLS_MAX_SECONDS: '5',
      TURN_TIMEOUT_SECONDS: '12',
    },
  });
  // A descriptor whatever started the bot left open (as supervisors do): it must reach no tool.
  fs.writeFileSync(path.join(stack.dir, 'supervisor.txt'), 'supervisor-secret\n');
  supervisorFd = fs.openSync(path.join(stack.dir, 'supervisor.txt'), 'r');
  bot = await stack.startBot({}, { inherit: [supervisorFd] });
  if (postgres) pool = newPostgresPool(postgres, 5000);
}, 120_000);

afterAll(async () => {
  bot?.signalGroup('SIGKILL');
  if (bot) await bot.exited;
  if (supervisorFd !== undefined) fs.closeSync(supervisorFd);
  await pool?.end();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await stack?.close();
});

/** A new Slack thread's ts. */
const newThread = () => `${++thread}.000100`;
let replies = 0;

/** The bot's answers in a thread (not the placeholder, not cards). */
const answersIn = (ts: string) => threadTexts(stack.slack, 'C222', ts).filter((t) => t !== THINKING && !/^Copilot('s request| asks)/.test(t) && !t.startsWith('⏳'));

/** Mentions the bot in thread `ts` (a new thread when it has no messages yet) and returns its answer. */
async function ask(ts: string, text: string, user = 'UHUMAN'): Promise<string> {
  const before = answersIn(ts).length;
  const fresh = threadTexts(stack.slack, 'C222', ts).length === 0;
  await stack.slackEvent(mention(text, fresh ? { ts, user } : { ts: `${ts.split('.')[0]}.${String(200 + ++replies).padStart(6, '0')}`, thread_ts: ts, user }));
  await expect.poll(() => answersIn(ts).length, { timeout: 60_000 }).toBeGreaterThan(before);
  const answer = answersIn(ts).at(-1)!;
  // A runtime that died is a failure of its own: say what the bot logged about it.
  if (/runtime stopped unexpectedly/.test(answer)) throw new Error(`the runtime died during "${text.slice(0, 80)}":\n${bot.output().split('\n').filter((l) => /runtime|sandbox|error/i.test(l)).slice(-15).join('\n')}`);
  return answer;
}

const sh = (ts: string, command: string, user?: string) => ask(ts, `sh ${command}`, user);
const home = () => stack.env.COPILOT_HOME!;
const folderOf = (ts: string) => path.join(home(), 'workspace', sessionIdFor({ platform: 'slack', workspace: 'T111', channel: 'C222', thread: ts }));

describe('the sandbox, attacked through the built bot (Slack, Redis store, Postgres session state)', () => {
  it('links: a file tool writes no host file through a link, an edit through a link to a secret file changes nothing and logs nothing of it', async () => {
    const ts = newThread();
    const hostFile = path.join(stack.dir, 'host.env');
    fs.writeFileSync(hostFile, 'HOST_SECRET=do-not-copy-me\n');
    const before = fs.readFileSync(hostFile);
    expect(await sh(ts, `ln -sfn / hostroot; ln -sfn ${hostFile} env-link; ln -sfn ${path.join(home(), '..')} up; echo linked`)).toContain('linked');
    // The attacker does not know the secret: an edit that could read the file would put it in the log.
    await ask(ts, JSON.stringify({ tool: 'edit', args: { path: 'env-link', old_str: 'HOST_SECRET=', new_str: 'X=' } }));
    await ask(ts, JSON.stringify({ tool: 'edit', args: { path: `hostroot${hostFile}`, old_str: 'HOST_SECRET=', new_str: 'X=' } }));
    await ask(ts, JSON.stringify({ tool: 'create', args: { path: `hostroot${stack.dir}/planted`, file_text: 'pwned' } }));
    await ask(ts, JSON.stringify({ tool: 'grep', args: { pattern: 'HOST_SECRET', path: 'up' } }));
    expect(fs.readFileSync(hostFile)).toEqual(before);
    expect(fs.existsSync(path.join(stack.dir, 'planted'))).toBe(false);
    // Nothing of the host file reached the thread's session log (Postgres) or any answer.
    if (pool) {
      const log = await pool.query(`SELECT string_agg(content, '') AS text FROM ${schemaFor(stack.env.STORE_NAMESPACE!)}.session_files WHERE session_id LIKE 'slack-%'`);
      expect(String((log.rows[0] as { text?: string } | undefined)?.text ?? '')).not.toContain('do-not-copy-me');
    }
    expect(threadTexts(stack.slack, 'C222', ts).join('\n')).not.toContain('do-not-copy-me');
  });

  it("network: no Redis, no Postgres, no bot port, no gateway without its token; a host that is not allowed is refused, the allowed one answers", async () => {
    const ts = newThread();
    const connect = (port: number) => sh(ts, `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'PING\\r\\n' >&3 && timeout 1 head -c 20 <&3; echo "exit=$?"`);
    for (const port of [Number(new URL(redis ?? 'redis://127.0.0.1:6379').port), Number(new URL(postgres ?? 'postgres://127.0.0.1:5432').port), stack.port]) {
      const out = await connect(port);
      expect(out, String(port)).toMatch(/Connection refused|Network is unreachable|Cannot assign/);
      expect(out).not.toContain('PONG');
    }
    // What listens on loopback in here: only the gateway's forwarder.
    expect(await sh(ts, "awk 'NR>1 && $4==\"0A\" {print $2}' /proc/net/tcp /proc/net/tcp6 | sort -u")).toMatch(/^OUT: 0100007F:0C38\s*(&lt;shellId|$)/);
    // The gateway without its token: nothing, and certainly not a forward to an address in the path.
    expect(await sh(ts, `curl -s -o /dev/null -w '%{http_code}' --noproxy '*' http://127.0.0.1:3128/guess/model/http://127.0.0.1:${attackerPort}/x`)).toContain('404');
    // Through the proxy: a fake on 127.0.0.1 under a name that is not allowed is refused, the allowed name answers (plain and tunnelled).
    const code = (url: string, tunnel = false) => `curl -s ${tunnel ? '-p ' : ''}-o /dev/null -w '%{http_code} %{http_connect}\\n' ${url}`;
    expect(await sh(ts, `${code(`http://refused.test:${refusedPort}/`)}; ${code(`http://refused.test:${refusedPort}/`, true)}`)).toMatch(/^OUT: 403 000\n000 403\b/);
    expect(await sh(ts, `${code(`http://127.0.0.1:${refusedPort}/`)}; ${code(`http://127.0.0.1:${stack.port}/metrics`)}`)).toMatch(/^OUT: 403 000\n403 000\b/);
    expect(await sh(ts, `curl -sS http://allowed.test:${allowedPort}/ && curl -sS -p http://allowed.test:${allowedPort}/`)).toMatch(/hello from the allowed host\n\s*hello from the allowed host/);
    expect(hits.refused).toBe(0);
    expect(hits.attacker).toBe(0);
    expect(hits.allowed).toBe(2);
  });

  it('the runtime: a tool cannot see, signal or read it, nor another thread; /proc/sys is read-only', async () => {
    const a = newThread();
    const b = newThread();
    await ask(a, `remember ${CANARY}`);
    await sh(a, `echo ${CANARY} > notes.txt`);
    expect(await sh(b, scanFor(CANARY))).toMatch(/found 0 in [1-9]/);
    expect(await sh(b, `: marker-4d2a; ${scanFor('marker-4d2a')}`)).toMatch(/found [1-9]/);
    expect(await sh(b, `cat ../${path.basename(folderOf(a))}/notes.txt ${path.join(folderOf(a), 'notes.txt')} 2>&1; ls .. 2>&1`)).not.toContain(CANARY);
    expect(await sh(b, 'ps -eo comm --no-headers | sort -u | tr "\\n" " "')).not.toMatch(/copilot|node/);
    expect(await sh(b, 'python3 -c "import os; os.kill(1, 15)"; kill -9 -1; echo still-here')).toBeDefined();
    expect(await sh(b, 'test -w /proc/sys/kernel/core_pattern && echo core-writable; echo checked')).toMatch(/^OUT: checked/);
    // Only stdin, stdout and stderr (and ls's own listing): no descriptor of the bot's reaches a tool.
    expect(await sh(b, 'ls /proc/self/fd | sort -n | tr "\\n" " "; cat /proc/self/fd/3 2>&1 | head -1')).not.toContain('supervisor-secret');
    expect(await sh(b, 'ls /proc/self/fd | sort -n | tr "\\n" " "')).toMatch(/^OUT: 0 1 2 3\s*(&lt;shellId|$)/);
    // The runtime lives on: the other thread answers, with its memory.
    expect(await ask(a, 'and now?')).toMatch(new RegExp(`you said: and now\\? \\| earlier: remember ${CANARY}`));
  });

  it('limits: a fork bomb, /tmp filled, the folder filled and an endless loop each end in a clear tool error; other threads keep answering', async () => {
    let ts = newThread();
    // The bomb hits TOOLS_MAX_PROCESSES (how far the command's own shell gets after that depends on
    // the machine's speed: it ends by itself or at TOOLS_MAX_SECONDS); what is left dies with the turn.
    expect(await sh(ts, ':(){ :|:& };:; sleep 2')).toMatch(/fork: retry: Resource temporarily unavailable/);
    await expect.poll(() => processesNaming(':(){ :|:& };:')).toEqual([]);
    expect(await ask(newThread(), 'after the bomb')).toBe('you said: after the bomb');
    ts = newThread();
    // /tmp is a tmpfs of a quarter of TOOLS_MAX_MEMORY_MB (32 MB here), and no file may pass the folder's allowance.
    expect(await sh(ts, 'for i in 1 2 3 4 5 6; do dd if=/dev/zero of=/tmp/fill$i bs=1M count=10 2>&1 | grep -i space; done; df -m /tmp | tail -1')).toMatch(/No space left on device/);
    expect(await sh(ts, 'dd if=/dev/zero of=big bs=1M count=50 status=none; ls -la big')).toMatch(/File size limit exceeded[\s\S]*reached its limit: this thread.s folder holds 20 MB in \d+ files, and may hold 20 MB or 2000 files \(TOOLS_MAX_DISK_MB\)/);
    // A folder the measuring cannot read counts as full (else whatever is in it would not count).
    await sh(ts, 'rm -f big; mkdir hidden; chmod 000 hidden; echo hid');
    expect(await sh(ts, 'dd if=/dev/zero of=more bs=1M count=1 status=none; echo tried')).toMatch(/cannot be measured and counts as full[\s\S]*File size limit exceeded/);
    expect(await sh(ts, 'chmod 700 hidden; rm -rf hidden more; echo cleaned')).toContain('cleaned');
    expect(await sh(ts, 'while :; do :; done')).toMatch(/stopped after 5 seconds \(TOOLS_MAX_SECONDS\)/);
    expect(await ask(newThread(), 'still there?')).toBe('you said: still there?');
  });

  it('processes: nothing a turn started outlives it, also when the turn times out', async () => {
    const ts = newThread();
    const marker = 'survivor-7c1d';
    const reply = await ask(ts, `hang setsid sh -c 'exec -a ${marker} sleep 300' >/dev/null 2>&1 & nohup sh -c 'exec -a ${marker} sleep 301' >/dev/null 2>&1 & echo started`);
    expect(reply).toMatch(/took longer than 12 s/);
    await expect.poll(() => processesNaming(marker)).toEqual([]);
    expect(await sh(ts, 'echo next turn')).toContain('next turn');
  });

  it('cards: a path that turns text around is shown escaped, attached exactly, and what is approved is what is made', async () => {
    const ts = newThread();
    const name = 'report\u202Etxt.sh';
    const answer = ask(ts, JSON.stringify({ tool: 'create', args: { path: name, file_text: 'made\n' } }));
    await expect.poll(() => approvalCardIn(stack.slack, ts)).toBeDefined();
    const card = approvalCardIn(stack.slack, ts)!;
    expect(JSON.stringify(card.blocks)).toContain('report\\\\u202etxt.sh');
    expect(JSON.stringify(card.blocks)).toMatch(/Read the attached file before deciding/);
    expect(stack.slack.uploads.some((u) => u.body.includes(`${folderOf(ts)}/${name}`))).toBe(true);
    await stack.slackInteract(blockAction(stack.slack, APPROVAL_ACTION.once, approvalButtons(card.blocks)[0]!.value!, { thread: ts, message: card.ts }));
    expect(await answer).toMatch(/Created file/);
    expect(fs.readFileSync(workspaceFile(path.join(home(), 'workspace'), name), 'utf8')).toBe('made\n');
  });

  it('/healthz says what the tool sandbox enforces', async () => {
    const health = (await (await fetch(`http://127.0.0.1:${stack.port}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, toolSandbox: { processes: '32 per command (rlimit)', network: 'only allowed.test (through the bot\'s proxy)' } });
    expect(bot.output()).toMatch(/"msg":"tool sandbox: what each command may use"/);
  });
});
