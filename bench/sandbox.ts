/**
 * P9: what the sealed tool sandbox costs. A turn that runs one `bash` command (`echo`) in the
 * sandbox vs the same turn with TOOLS_SANDBOX=off, taking turns in the same run; a tool fetching
 * 1 MB from an allowed host through the bot's gateway vs the same fetch from the host; and the
 * memory of the sandbox's own processes (bwrap, the forwarder) beside each runtime.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHarness, type Harness } from '../testkit/harness.js';
import { textOf, type ModelScript, type ModelServer } from '../testkit/model-server.js';
import { descendants } from '../src/agent/sandbox/sandbox.js';
import type { Row, Sizes } from './rows.js';
import { percentile } from './stats.js';

/** `sh <command>` runs it with bash; the answer is its output. */
const shell: ModelScript = (req) => {
  const last = req.messages.at(-1)!;
  if (last.role === 'tool') return { kind: 'text', text: textOf(last.content) };
  const said = req.userTexts.at(-1) ?? '';
  return { kind: 'tool', name: 'bash', args: { command: said.replace(/^sh /, ''), description: 'bench' } };
};

const fmtMs = (n: number) => `${n.toFixed(1)} ms`;

export async function p9(_model: ModelServer, sizes: Sizes): Promise<Row[]> {
  const big = Buffer.alloc(1 << 20, 97);
  const server = http.createServer((_req, res) => res.end(big));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const common = { COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none', USER_MESSAGES_PER_MINUTE: '0' };
  let sealed: Harness | undefined;
  let open: Harness | undefined;
  try {
    sealed = await startHarness({ env: { ...common, TOOLS_ALLOWED_HOSTS: 'allowed.bench', TOOLS_PINNED_HOSTS: `allowed.bench=127.0.0.1:${port}` }, script: shell });
    open = await startHarness({ env: { ...common, TOOLS_SANDBOX: 'off' }, script: shell });
    const threads = { sealed: { platform: 'local', workspace: 'bench', channel: 'p9', thread: 'p9-sealed', user: 'bench' }, open: { platform: 'local', workspace: 'bench', channel: 'p9', thread: 'p9-open', user: 'bench' } } as const;
    const sealedMs: number[] = [];
    const openMs: number[] = [];
    const n = sizes.p9Turns;
    // One turn each first: sessions made, runtimes warm.
    await sealed.app.conversation.handleMessage(threads.sealed, 'sh echo warm');
    await open.app.conversation.handleMessage(threads.open, 'sh echo warm');
    for (let i = 0; i < n; i++) {
      for (const [h, t, out] of [[sealed, threads.sealed, sealedMs], [open, threads.open, openMs]] as const) {
        const started = performance.now();
        const reply = await h.app.conversation.handleMessage(t, `sh echo turn-${i}`);
        out.push(performance.now() - started);
        if (!reply.text.includes(`turn-${i}`)) throw new Error(`P9: unexpected answer ${reply.text.slice(0, 200)}`);
      }
    }
    // 1 MB through the gateway from inside the sandbox, vs from the host; curl's own transfer time.
    const fetches = Math.max(3, Math.round(n / 3));
    const inside = await sealed.app.conversation.handleMessage(
      threads.sealed,
      `sh for i in $(seq ${fetches}); do curl -s -o /dev/null -w '%{time_total}\\n' http://allowed.bench:${port}/big; done`,
    );
    const insideMs = (inside.text.match(/\d+\.\d+/g) ?? []).map((s) => Number(s) * 1000);
    if (insideMs.length !== fetches) throw new Error(`P9: the sandboxed fetches did not all run: ${inside.text.slice(0, 300)}`);
    const hostMs: number[] = [];
    for (let i = 0; i < fetches; i++) {
      // Not spawnSync: the server answering is in this process.
      const run = await promisify(execFile)('curl', ['-s', '-o', '/dev/null', '-w', '%{time_total}', `http://127.0.0.1:${port}/big`], { encoding: 'utf8' });
      hostMs.push(Number(run.stdout) * 1000);
    }
    // The sandbox's own processes beside the runtime: everything under the launcher but the runtime and what it runs.
    const launcher = sealed.app.agent.runtimePid!;
    const sandboxKb = sandboxOwnRssKb(launcher);
    const a = percentile(sealedMs, 50);
    const b = percentile(openMs, 50);
    const c = percentile(insideMs, 50);
    const d = percentile(hostMs, 50);
    return [
      { id: 'P9', what: 'a turn running one bash command (echo): sealed sandbox vs TOOLS_SANDBOX=off, p50', a: fmtMs(a), b: fmtMs(b), ratio: a / b, target: '<= 1.25', ok: a / b <= 1.25 },
      { id: 'P9', what: "a tool fetching 1 MB from an allowed host through the bot's gateway vs the same fetch from the host, p50", a: fmtMs(c), b: fmtMs(d), ratio: c / d, target: '<= 1.5', ok: c / d <= 1.5 },
      { id: 'P9', what: "the sandbox's own processes beside the runtime (bwrap, forwarder), resident memory", a: `${(sandboxKb / 1024).toFixed(0)} MB`, b: '1 runtime', ratio: sandboxKb / 1024, target: 'report', ok: undefined },
    ];
  } finally {
    await sealed?.close().catch(() => undefined);
    await open?.close().catch(() => undefined);
    server.closeAllConnections();
    server.close();
  }
}

/** Resident memory (kB) of `launcher` and its descendants but the Copilot runtime itself (the forwarder runs below it). */
function sandboxOwnRssKb(launcher: number): number {
  const all = [launcher, ...descendants(launcher)];
  return all
    .filter((p) => readOr(`/proc/${p}/comm`).trim() !== 'copilot-runtime')
    .reduce((sum, p) => sum + Number(/VmRSS:\s+(\d+)/.exec(readOr(`/proc/${p}/status`))?.[1] ?? 0), 0);
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
