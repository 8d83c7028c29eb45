/**
 * The tool sandbox (TOOLS_SANDBOX=on, with any tool enabled), built with bubblewrap (`bwrap`,
 * Flatpak's sandbox) in two levels:
 *
 * 1. The runtime's sandbox, one per runtime start: its own user, process, network, IPC and host
 *    name namespaces; a new root with only the system's programs and libraries (read-only), a few
 *    files of `/etc`, the runtime's own files, a scratch home that is new at every start, and the
 *    workspace. The bot's folder, `.env`, store, COPILOT_HOME's session state, the host's
 *    processes and network are not there. Its network is loopback only: a forwarder relays one
 *    local port to the bot's gateway (a unix socket, see gateway.ts), the only way out.
 * 2. One sandbox per shell command (TOOL in scripts.ts), nested in the first: only its thread's
 *    folder, its own process ids (the runtime, and other threads' commands, are not in its
 *    process table), no network unless TOOLS_ALLOWED_HOSTS names hosts, a read-only /proc/sys,
 *    no user namespaces, no capabilities, and limits (see limits.ts).
 *
 * Everything the sandbox runs is written here, at every start, into a fresh folder of the bot's
 * outside COPILOT_HOME and bound read-only. Where any of it cannot be made (no bwrap, user
 * namespaces denied, a kernel without `nosymfollow`), `prepareSandbox` says why and the bot does
 * not start with tools.
 */
import { spawnSync } from 'node:child_process';
import { runProcess, type ProcessRun } from '../../infra/run-process.js';
import { which } from '../../infra/which.js';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { FORWARDER, MCP, NEST_DIR, REPO, SANDBOX_DIR, SANDBOX_UID, START, TOOL, TOOLS_WORKSPACE, shellAssignments } from './scripts.js';
import type { ToolLimits } from './limits.js';

export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
}

/** The local port inside the runtime's sandbox that leads to the bot's gateway. */
export const GATEWAY_PORT = 3128;

export interface SandboxOptions {
  /** The folder every thread's folder is in (`<COPILOT_HOME>/workspace`). */
  workspace: string;
  limits: ToolLimits;
  /** Tools may reach the network through the gateway (TOOLS_ALLOWED_HOSTS is not empty). */
  toolNetwork: boolean;
  /** MCP_CONFIG's stdio servers and the host files each reads (its program and folders): read-only in the runtime's sandbox, and each in its own server's only. */
  mcpServers?: ReadonlyArray<{ name: string; readPaths: readonly string[] }>;
}

/** Whose the sandbox's processes and files are on the host. */
export interface SandboxOwner {
  uid: number;
  gid: number;
}

export interface Sandbox {
  /** The program the SDK starts instead of the runtime (bwrap, or setpriv becoming `owner` first), and the arguments that come first. */
  launcher: string;
  args: string[];
  /** Environment for the runtime's sandbox, beyond the runtime's own. */
  env: Record<string, string>;
  /** COPILOT_HOME as the runtime sees it: scratch space, new at every runtime start. */
  runtimeHome: string;
  /** Where the bot's gateway listens (bound into the sandbox). */
  gatewaySocket: string;
  /**
   * Who the sandbox runs as on the host: the bot's own user, or, when the bot runs as root,
   * nobody (65534): a sandbox of root's would be root to the kernel wherever a check is by user
   * (limits on processes, files of root's, settings under /proc/sys).
   */
  owner: SandboxOwner;
  /** What the runtime is given as the gateway's address. */
  gatewayUrl: string;
  /** Removes the sandbox's folder (at stop). */
  dispose(): void;
  /** A fresh runtime home for a new runtime start (nothing of the last one's survives). */
  renewHome(): void;
  /**
   * Runs `argv` in a sandbox like the runtime's, of its own (its own launcher, forwarder and
   * namespaces: the runtime is not in it), with `env` beside the sandbox's and `readOnly` host
   * paths bound as they are: a thread's repository (repo.sh). Killed at `timeoutMs`.
   */
  run(argv: readonly string[], env: Record<string, string>, timeoutMs: number, readOnly?: readonly string[]): Promise<ProcessRun>;
}

/** Where the SDK's platform package keeps the runtime executable. */
export function bundledRuntime(): { dir: string; executable: string } {
  const require = createRequire(createRequire(import.meta.url).resolve('@github/copilot-sdk'));
  const arch = process.arch;
  for (const platform of [`${process.platform}-${arch}`, `linuxmusl-${arch}`]) {
    try {
      const dir = path.dirname(require.resolve(`@github/copilot-sdk-${platform}/package.json`));
      const executable = path.join(dir, 'prebuilds', platform, 'copilot-runtime');
      if (fs.existsSync(executable)) return { dir: fs.realpathSync(dir), executable: fs.realpathSync(executable) };
    } catch {
      // not installed for this platform
    }
  }
  throw new SandboxUnavailableError(`the Copilot runtime for ${process.platform}-${arch} is not installed (npm ci installs it)`);
}


/** The sandbox's user on the host when the bot runs as root. */
const NOBODY: SandboxOwner = { uid: 65534, gid: 65534 };

/** Who the sandbox runs as (see `Sandbox.owner`). */
export function sandboxOwner(): SandboxOwner {
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? NOBODY : { uid, gid: process.getgid?.() ?? uid };
}

/**
 * A root bot's sandbox runs as nobody, who may not be able to enter the folders above the
 * workspace or node_modules (/root is 0700): the launcher first binds them, in a mount namespace
 * of its own that ends with it, under the sandbox's folder where nobody can reach them, then
 * becomes nobody and runs bwrap. `$1` the stage, `$2` workspace, `$3` runtime files, `$4` node;
 * then `--` and the command.
 */
const STAGE = `set -e
stage=$1
mount --bind "$2" "$stage/workspace"
mount --bind "$3" "$stage/runtime"
mount --bind "$4" "$stage/node"
n=$5
shift 5
i=0
while [ "$i" -lt "$n" ]; do
  mount --bind "$1" "$2"
  shift 2
  i=$((i + 1))
done
shift
exec "$@"`;

/** Files of /etc a program may need (TLS roots, names of users, time zone, the linker's cache). */
const ETC = ['ssl', 'ca-certificates', 'pki', 'alternatives', 'nsswitch.conf', 'ld.so.cache', 'localtime', 'mime.types'];

/**
 * The root both levels share: the system's programs and libraries, read-only, as on the host
 * (`/bin` a link where the host's is one), the chosen files of /etc, and our own users and hosts.
 */
export function systemBinds(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const d of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const host = `/${d}`;
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(host);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(host), `/${d}`);
    else if (stat.isDirectory()) args.push('--ro-bind', host, `/${d}`);
  }
  args.push('--dir', '/etc');
  for (const name of ETC) args.push('--ro-bind-try', `/etc/${name}`, `/etc/${name}`);
  // Our own users and hosts (none of the host's names), from the sandbox's files.
  for (const name of ['passwd', 'group', 'hosts']) args.push('--symlink', `${SANDBOX_DIR}/${name}`, `/etc/${name}`);
  return args;
}

/** bwrap's arguments for one shell command, the part that is the same every time (tool-args). */
export function toolArgs(options: SandboxOptions, proxyUrl: string): string[] {
  const { limits } = options;
  return [
    '--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    ...(options.toolNetwork ? [] : ['--unshare-net']),
    '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID),
    '--disable-userns', '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
    '--hostname', 'sandbox',
    // The runtime's sandbox already holds only the system and our /etc: the same again (our users
    // and hosts from the sandbox's files, which are not mounted here).
    '--ro-bind', '/usr', '/usr',
    ...['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'].flatMap((d) => ['--ro-bind-try', `/${d}`, `/${d}`]),
    '--dir', '/etc',
    ...ETC.flatMap((name) => ['--ro-bind-try', `/etc/${name}`, `/etc/${name}`]),
    ...['passwd', 'group', 'hosts'].flatMap((name) => ['--ro-bind', `${SANDBOX_DIR}/${name}`, `/etc/${name}`]),
    '--proc', '/proc', '--ro-bind', '/proc/sys', '/proc/sys',
    // /dev read-only but for a sized /dev/shm: bwrap's /dev is an unbounded tmpfs.
    '--dev', '/dev',
    '--size', String(limits.tmpBytes), '--perms', '1777', '--tmpfs', '/dev/shm',
    '--remount-ro', '/dev',
    '--size', String(limits.tmpBytes), '--perms', '1777', '--tmpfs', '/tmp',
    '--clearenv',
    '--setenv', 'PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    '--setenv', 'HOME', '/tmp', '--setenv', 'TMPDIR', '/tmp', '--setenv', 'USER', 'sandbox', '--setenv', 'SHELL', '/bin/bash',
    '--setenv', 'LANG', 'C.UTF-8', '--setenv', 'TERM', 'dumb', '--setenv', 'PAGER', 'cat',
    '--setenv', 'GIT_TERMINAL_PROMPT', '0', '--setenv', 'GCM_INTERACTIVE', 'Never', '--setenv', 'DEBIAN_FRONTEND', 'noninteractive',
    ...(options.toolNetwork
      ? ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'all_proxy'].flatMap((v) => ['--setenv', v, proxyUrl])
      : []),
  ];
}

/**
 * Writes the sandbox's files into a new folder of the bot's (outside COPILOT_HOME), checks that
 * the sandbox can be made here and holds (a probe run through both levels), and says how to start
 * the runtime in it. Throws `SandboxUnavailableError` with the reason when it cannot.
 */
export function prepareSandbox(options: SandboxOptions): Sandbox {
  if (process.platform !== 'linux') throw new SandboxUnavailableError(`the tool sandbox needs Linux namespaces (this is ${process.platform})`);
  const bwrap = which('bwrap');
  if (!bwrap) {
    throw new SandboxUnavailableError(
      'the tool sandbox needs bubblewrap (bwrap), which is not installed: install it (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap; Alpine: apk add bubblewrap), or set TOOLS_SANDBOX=off if the bot is isolated another way',
    );
  }
  const workspace = path.resolve(options.workspace);
  fs.mkdirSync(workspace, { recursive: true });
  const owner = sandboxOwner();
  fs.lchownSync(workspace, owner.uid, owner.gid);
  // Nobody else on the host enters the workspace (a tool may leave a setuid file of its own in there).
  fs.chmodSync(workspace, 0o700);
  removeStale();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `${BASE_PREFIX}${process.pid}-`));
  const dir = path.join(base, 'bin');
  const runtimeHome = path.join(base, 'home');
  fs.mkdirSync(dir, { mode: 0o755 });
  const write = (name: string, text: string, mode = 0o444) => {
    fs.writeFileSync(path.join(dir, name), text, { mode });
    fs.chmodSync(path.join(dir, name), mode);
  };
  write('start.sh', START, 0o555);
  write('tool.sh', TOOL, 0o555);
  write('mcp.sh', MCP, 0o555);
  write('repo.sh', REPO, 0o555);
  write('forward.mjs', FORWARDER);
  write('passwd', `root:x:0:0:root:/root:/bin/sh\nsandbox:x:${SANDBOX_UID}:${SANDBOX_UID}:sandbox:/tmp:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`);
  write('group', `root:x:0:\nsandbox:x:${SANDBOX_UID}:\nnogroup:x:65534:\n`);
  write('hosts', '127.0.0.1 localhost\n::1 localhost\n');
  // Bind targets inside a read-only bind must exist.
  write('node', '');
  const gatewaySocket = path.join(dir, 'gateway.sock');
  const gatewayUrl = `http://127.0.0.1:${GATEWAY_PORT}`;
  const l = options.limits;
  write(
    'tools.env',
    shellAssignments({
      CT_WORKSPACE: workspace,
      CT_TOOLS_WORKSPACE: TOOLS_WORKSPACE,
      CT_MAX_PROCESSES: l.processes,
      CT_MAX_MEMORY_BYTES: l.memoryBytes,
      CT_MAX_DISK_KB: Math.floor(l.diskBytes / 1024),
      CT_MAX_FILES: l.files,
      CT_MAX_SECONDS: l.seconds,
    }),
  );
  write('tool-args', `${toolArgs(options, gatewayUrl).join('\0')}\0`);
  // A repository's clone reaches the network (the gateway, with a password that opens its host only).
  write('repo-args', `${toolArgs({ ...options, toolNetwork: true }, gatewayUrl).join('\0')}\0`);
  const servers = options.mcpServers ?? [];
  // An MCP server's sandbox is a command's, with its own files read-only (not another server's).
  for (const server of servers) write(`mcp-${server.name}.args`, `${[...toolArgs(options, gatewayUrl), ...server.readPaths.flatMap((p) => ['--ro-bind', p, p])].join('\0')}\0`);
  const readPaths = [...new Set(servers.flatMap((server) => server.readPaths))].sort();
  const runtime = bundledRuntime();
  const node = fs.realpathSync(process.execPath);
  const asNobody = owner.uid !== process.getuid?.();
  // Where bwrap finds the host folders it binds: as they are, or (a root bot) as staged by STAGE.
  const stage = path.join(base, 'stage');
  const from = asNobody ? { workspace: path.join(stage, 'workspace'), runtime: path.join(stage, 'runtime'), node: path.join(stage, 'node') } : { workspace, runtime: runtime.dir, node };
  // A mount point of the same kind as what is bound on it.
  const mountPoint = (at: string, like: string) => (fs.statSync(like).isDirectory() ? fs.mkdirSync(at, { mode: 0o711 }) : fs.writeFileSync(at, ''));
  const readFrom = readPaths.map((p, i) => (asNobody ? path.join(stage, 'read', String(i)) : p));
  if (asNobody) {
    fs.chmodSync(base, 0o711);
    fs.mkdirSync(path.join(stage, 'workspace'), { recursive: true, mode: 0o711 });
    fs.mkdirSync(path.join(stage, 'runtime'), { mode: 0o711 });
    fs.writeFileSync(path.join(stage, 'node'), '');
    fs.mkdirSync(path.join(stage, 'read'), { mode: 0o711 });
    readPaths.forEach((p, i) => mountPoint(readFrom[i]!, p));
    fs.chmodSync(stage, 0o711);
  }
  const renewHome = () => {
    fs.rmSync(runtimeHome, { recursive: true, force: true });
    fs.mkdirSync(runtimeHome, { mode: 0o700 });
    fs.lchownSync(runtimeHome, owner.uid, owner.gid);
  };
  renewHome();
  const [unshare, setpriv] = [which('unshare'), which('setpriv')];
  if (asNobody && (!unshare || !setpriv)) {
    fs.rmSync(base, { recursive: true, force: true });
    throw new SandboxUnavailableError('the tool sandbox of a bot that runs as root needs unshare and setpriv (util-linux) to run as nobody: install util-linux');
  }
  /** The launcher and its arguments, with `extra` host paths (as they really are) read-only beside the MCP servers' files; `from`: where each is staged (a root bot). */
  const launch = (extra: ReadonlyArray<{ path: string; from: string }> = []) => {
    const reads = [...readPaths.map((p, i) => ({ path: p, from: readFrom[i]! })), ...extra];
    const bwrapArgs = [
      '--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
      '--die-with-parent', '--new-session', '--hostname', 'copilot-runtime',
      // START mounts as root of the namespace, then the runtime becomes uid SANDBOX_UID.
      '--uid', '0', '--gid', '0',
      // For START only: it mounts, then the runtime starts with none (see scripts.ts).
      '--cap-add', 'ALL',
      ...systemBinds(),
      '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--dir', `${NEST_DIR}/proc`,
      '--ro-bind', dir, SANDBOX_DIR,
      '--ro-bind', from.node, `${SANDBOX_DIR}/node`,
      '--ro-bind', from.runtime, runtime.dir,
      '--bind', runtimeHome, runtimeHome,
      '--bind', from.workspace, workspace,
      '--bind', from.workspace, TOOLS_WORKSPACE,
      // MCP servers' files (and a run's own), last: over /tmp's tmpfs where they are under /tmp.
      ...reads.flatMap((r) => ['--ro-bind', r.from, r.path]),
      '--chdir', workspace,
      '--', '/bin/sh', `${SANDBOX_DIR}/start.sh`,
    ];
    if (!asNobody) return { launcher: bwrap, args: bwrapArgs };
    return {
      launcher: unshare!,
      args: ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', STAGE, 'stage', stage, workspace, runtime.dir, node, String(reads.length), ...reads.flatMap((r) => [r.path, r.from]), '--', setpriv!, `--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', '--', bwrap, ...bwrapArgs],
    };
  };
  const { launcher, args } = launch();
  let runs = 0;
  /** One run's own read-only paths: staged under names of its own (a root bot), removed after it. */
  const runWith = async (argv: readonly string[], extra: Record<string, string>, timeoutMs: number, readOnly: readonly string[]) => {
    const staged = readOnly.map((p) => ({ path: p, from: asNobody ? path.join(stage, 'read', `run${++runs}`) : p }));
    try {
      if (asNobody) staged.forEach((r) => mountPoint(r.from, r.path));
      const l = launch(staged);
      return await runProcess(l.launcher, [...l.args, ...argv], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env, ...extra }, workspace, timeoutMs);
    } finally {
      if (asNobody) for (const r of staged) fs.rmSync(r.from, { recursive: true, force: true });
    }
  };
  const env = {
    COPILOT_THREADS_WORKSPACE: workspace,
    COPILOT_THREADS_GATEWAY_PORT: String(GATEWAY_PORT),
    COPILOT_BASH_PATH: `${SANDBOX_DIR}/tool.sh`,
    // The runtime would start a login shell (through COPILOT_BASH_PATH) to learn its environment.
    COPILOT_DISABLE_LOGIN_SHELL_ENV: '1',
    HOME: runtimeHome,
    TMPDIR: '/tmp',
  };
  const sandbox: Sandbox = {
    launcher,
    args: [...args, runtime.executable],
    env,
    runtimeHome,
    gatewaySocket,
    owner,
    gatewayUrl,
    renewHome,
    dispose: () => fs.rmSync(base, { recursive: true, force: true }),
    run: (argv, extra, timeoutMs, readOnly = []) => runWith(argv, extra, timeoutMs, readOnly),
  };
  try {
    probe(launcher, args, env, workspace);
  } catch (err) {
    sandbox.dispose();
    throw err;
  }
  return sandbox;
}

/** The probe's thread: its folder is made by the probe and removed after it. */
const PROBE_THREAD = `copilot-threads-probe-${randomBytes(4).toString('hex')}`;

/**
 * Runs the sandbox as the runtime would run, with a shell in the runtime's place that runs one
 * command through the tool level, and checks from inside what a tool could reach: the runtime's
 * processes, the bot's files, /proc/sys, user namespaces, the network.
 */
function probe(launcher: string, args: string[], env: Record<string, string>, workspace: string): void {
  const inner = [
    // Only this command's own processes: no forwarder, no runtime, no other thread.
    `! grep -qs forward[.]mjs /proc/[0-9]*/cmdline`,
    `test ! -e ${SANDBOX_DIR}/tool.sh`,
    `! test -w /proc/sys/kernel/core_pattern`,
    `! unshare -U true 2>/dev/null`,
    `test "$(pwd)" = "${path.join(workspace, PROBE_THREAD)}"`,
    `echo tool-sandboxed`,
  ].join(' && ');
  const outer = [
    `test -d /proc/1`,
    `COPILOT_AGENT_SESSION_ID=${PROBE_THREAD} ${SANDBOX_DIR}/tool.sh --norc --noprofile -c '${inner}'`,
  ].join(' && ');
  // The forwarder needs the gateway's socket only once something connects: none does here.
  const run = spawnSync(launcher, [...args, '/bin/sh', '-c', outer], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd: workspace,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
  });
  fs.rmSync(path.join(workspace, PROBE_THREAD), { recursive: true, force: true });
  if (run.status !== 0 || !run.stdout.includes('tool-sandboxed')) {
    // The line that says what failed (not mount's advice to read dmesg).
    const lines = (run.error?.message ?? run.stderr ?? '').trim().split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('dmesg('));
    const why = lines.find((l) => /^(bwrap|mount|unshare|setpriv|copilot-threads)\b/.test(l)) ?? lines.at(-1) ?? `exit ${run.status ?? run.signal}`;
    throw new SandboxUnavailableError(
      `the tool sandbox could not be made here (${why}). It needs bubblewrap, unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 where that exists; in a container, a seccomp/AppArmor profile that allows them) and Linux 5.10 or later; or set TOOLS_SANDBOX=off if the bot is isolated another way`,
    );
  }
}

/** The sandbox folders in the temp folder: `<prefix><pid of the bot>-<random>`. */
const BASE_PREFIX = 'copilot-threads-sandbox-';

/** Removes the sandbox folders of bots that are gone (killed before they could remove their own). */
function removeStale(): void {
  let names: string[];
  try {
    names = fs.readdirSync(os.tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(new RegExp(`^${BASE_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    const folder = path.join(os.tmpdir(), name);
    if (fs.lstatSync(folder, { throwIfNoEntry: false })?.uid === process.getuid?.()) fs.rmSync(folder, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process ids of `pid`'s children (of all its threads). */
function childrenOf(pid: number): number[] {
  let children: number[] = [];
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) children = children.concat(text.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return children;
}

/** The process ids of `pid`'s descendants (not itself). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    for (const c of childrenOf(p)) {
      out.push(c);
      visit(c);
    }
  };
  visit(pid);
  return out;
}

/**
 * Kills every shell command `sessionId`'s tools started under the runtime `rootPid`: each runs in
 * a sandbox whose bwrap carries the thread's id on its command line, and killing that bwrap takes
 * everything inside down with it (its process namespace ends). Returns how many were killed.
 */
export function killToolSandboxes(rootPid: number, sessionId: string, what: 'commands' | 'servers' = 'commands'): number {
  const marker = `${what === 'commands' ? TOOL_MARKER : MCP_MARKER}${sessionId}\0`;
  let killed = 0;
  for (const pid of descendants(rootPid)) {
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    } catch {
      continue;
    }
    if (!cmdline.includes(marker) || !/(^|\/)bwrap\0/.test(cmdline)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      // already gone
    }
  }
  return killed;
}

/** On the command line of each tool command's bwrap (tool.sh sets it), followed by the thread's id. */
const TOOL_MARKER = '\0--setenv\0COPILOT_THREADS_SESSION\0';
/** The same for a thread's MCP server (mcp.sh): it lives as long as its session, not a turn. */
const MCP_MARKER = '\0--setenv\0COPILOT_THREADS_MCP\0';

/** Whether `pid` is a tool command's or an MCP server's sandbox (its bwrap carries a thread's id). */
function isToolSandbox(pid: number): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    return cmdline.includes(TOOL_MARKER) || cmdline.includes(MCP_MARKER);
  } catch {
    return false;
  }
}

/**
 * Resident memory of the runtime: the launcher's tree, less the tool commands in it (a thread's
 * memory-hungry command has limits of its own; it must not make the runtime look too big and be
 * recycled under every other thread).
 */
export function runtimeRssKb(launcher: number): number | undefined {
  return treeRssKb(launcher, isToolSandbox);
}

/** Resident memory of a process and all its descendants (but subtrees `skip` names), in kB. */
export function treeRssKb(pid: number, skip: (pid: number) => boolean = () => false): number | undefined {
  const rss = (p: number): number | undefined => {
    try {
      const kb = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
      return kb ? Number(kb) : 0;
    } catch {
      return undefined;
    }
  };
  const own = rss(pid);
  if (own === undefined) return undefined;
  let total = own;
  const visit = (p: number) => {
    for (const child of childrenOf(p)) {
      if (skip(child)) continue;
      total += rss(child) ?? 0;
      visit(child);
    }
  };
  visit(pid);
  return total;
}
