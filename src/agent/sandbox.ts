/**
 * The runtime's sandbox: when tools are enabled, the Copilot runtime (and so every command a tool
 * runs) starts in namespaces of its own (`unshare`, from util-linux): its own process ids (the
 * bot's process, and its environment in `/proc`, cannot be seen), its own mount table with a new
 * root that holds only the system's programs and libraries (read-only), a few files of `/etc`,
 * the runtime's own files (read-only), a scratch home, a fresh `/tmp` and the workspace
 * (read-write). The bot's folder, its `.env`, the store, COPILOT_HOME's session state and every
 * other path of the host are simply not there. The runtime's environment is an allowlist
 * (`RUNTIME_ENV`), and a GitHub token goes to it per session over the SDK's connection, never in
 * its environment. A user namespace makes this work without root where the kernel allows
 * unprivileged user namespaces; where it cannot be created, the bot refuses to start with tools
 * (TOOLS_SANDBOX=off runs them unsandboxed, for operators who isolate the bot another way).
 * The new root replaces the old one (`pivot_root`, old root unmounted) and the runtime starts with
 * no capabilities at all (`setpriv`, empty bounding set, no new privileges), so nothing inside can
 * mount, unmount or leave the new root.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface Sandbox {
  /** The program the SDK starts instead of the runtime, and the arguments that come first. */
  launcher: string;
  args: string[];
  /** COPILOT_HOME as the runtime sees it: scratch space, no session state. */
  runtimeHome: string;
}

export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
}

/** Runs inside: `$1` new root, `$2` workspace, `$3` runtime home, `$4` runtime files, then the runtime and its arguments. */
const LAUNCHER = `#!/bin/sh
# copilot-threads: starts the Copilot runtime in a sandbox (written by the bot; see src/agent/sandbox.ts).
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
# unshare ignores SIGTERM while it waits, and the runtime is PID 1 of its namespace (which ignores
# what it has no handler for): so this shell stays in between. Stopping it (TERM, INT, HUP) kills
# the sandbox; killing it outright does too (the parent-death signal); either way nothing is left.
# (An asynchronous command would get /dev/null as stdin: the runtime's stdin goes by fd 3.)
exec 3<&0
setpriv --pdeathsig KILL -- unshare --user --map-root-user --pid --fork --mount --kill-child -- /bin/sh -c '
set -e
R="$1"; WS="$2"; RH="$3"; RD="$4"; shift 4
mount -t tmpfs -o mode=755 sandbox "$R"
mkdir -p "$R/usr" "$R/etc" "$R/proc" "$R/dev" "$R/tmp"
mount --rbind -o ro /usr "$R/usr"
for d in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$R/$d"
  elif [ -d "/$d" ]; then mkdir -p "$R/$d"; mount --rbind -o ro "/$d" "$R/$d"; fi
done
for f in ssl ca-certificates alternatives passwd group hosts resolv.conf nsswitch.conf ld.so.cache localtime; do
  if [ -d "/etc/$f" ]; then mkdir -p "$R/etc/$f"; mount --bind -o ro "/etc/$f" "$R/etc/$f"
  elif [ -e "/etc/$f" ]; then touch "$R/etc/$f"; mount --bind -o ro "/etc/$f" "$R/etc/$f"; fi
done
for n in null zero random urandom full tty; do
  if [ -e "/dev/$n" ]; then touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; fi
done
mount -t tmpfs -o mode=1777 tmp "$R/tmp"
mkdir -p "$R$WS" "$R$RH" "$R$RD"
mount --bind "$WS" "$R$WS"
mount --bind "$RH" "$R$RH"
mount --rbind -o ro "$RD" "$R$RD"
mount -t proc proc "$R/proc"
mkdir "$R/.old"
cd "$R"
pivot_root . .old
umount -l /.old
rmdir /.old
cd "$WS"
exec setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- "$@"
' sandbox "$@" <&3 3<&- &
sandbox=$!
trap 'kill -KILL "$sandbox" 2>/dev/null' TERM INT HUP
while :; do
  wait "$sandbox" 2>/dev/null; status=$?
  kill -0 "$sandbox" 2>/dev/null || exit "$status"
done
`;

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

/**
 * Writes the launcher under `home`, checks that the sandbox can be made here, and says how to
 * start the runtime in it. Throws `SandboxUnavailableError` with the reason when it cannot.
 */
export function prepareSandbox(home: string, workDir: string): Sandbox {
  if (process.platform !== 'linux') throw new SandboxUnavailableError(`the tool sandbox needs Linux namespaces (this is ${process.platform})`);
  const base = path.join(home, 'sandbox');
  const root = path.join(base, 'root');
  const runtimeHome = path.join(home, 'runtime-home');
  for (const dir of [root, runtimeHome, workDir]) fs.mkdirSync(dir, { recursive: true });
  const launcher = path.join(base, 'launch.sh');
  fs.writeFileSync(launcher, LAUNCHER, { mode: 0o700 });
  fs.chmodSync(launcher, 0o700);
  const runtime = bundledRuntime();
  const args = [root, path.resolve(workDir), path.resolve(runtimeHome), runtime.dir, runtime.executable];
  // The probe runs the launcher as the runtime would run, with a shell in its place.
  // Inside, the launcher itself (like everything of the bot's) must not be there.
  const probe = spawnSync(launcher, [...args.slice(0, 4), '/bin/sh', '-c', 'test -d /proc/1 && test ! -e "$0" && echo sandboxed', path.resolve(launcher)], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  if (probe.status !== 0 || probe.stdout.trim() !== 'sandboxed') {
    const why = (probe.error?.message ?? probe.stderr ?? '').trim().split('\n')[0] || `exit ${probe.status ?? probe.signal}`;
    throw new SandboxUnavailableError(
      `the tool sandbox could not be created (${why}). Tools run in their own user, process and mount namespaces; allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or the container's seccomp/AppArmor profile), or set TOOLS_SANDBOX=off if the bot is isolated another way`,
    );
  }
  return { launcher, args, runtimeHome };
}

/** Resident memory of a process and all its descendants, in kB (the sandbox puts the runtime below its launcher). */
export function treeRssKb(pid: number): number | undefined {
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
  let children: number[] = [];
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // no children file (old kernels): the process alone
  }
  for (const child of children) total += treeRssKb(child) ?? 0;
  return total;
}

/**
 * Yama's ptrace scope (`kernel.yama.ptrace_scope`), or 0 where there is no Yama: below 1 a process
 * may read the memory of any other process of its user, so a tool could read its runtime's.
 */
export function ptraceScope(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}
