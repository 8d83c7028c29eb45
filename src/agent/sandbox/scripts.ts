/**
 * The programs that run inside the sandbox, as text. The bot writes them at every runtime start
 * into a fresh folder of its own (outside COPILOT_HOME, bound read-only into the sandbox at
 * `SANDBOX_DIR`), so nothing a tool can write is ever run by the bot or by the runtime.
 */

/** Where the bot's sandbox files appear inside the sandbox (read-only). */
export const SANDBOX_DIR = '/run/copilot-threads';
/** Where the tools' view of the workspace is mounted for the runtime's sandbox (symbolic links followed). */
export const TOOLS_WORKSPACE = '/run/tools-workspace';
/** A proc mount nothing covers, itself hidden under an empty tmpfs (see START). */
export const NEST_DIR = '/run/nest';
/** The uid and gid of the runtime and of tools inside their namespaces. */
export const SANDBOX_UID = 1000;

/**
 * The runtime sandbox's first process, as root of its own user namespace with capabilities (they
 * go before the runtime starts). `$@`: the runtime and its arguments. Reads COPILOT_THREADS_WORKSPACE.
 */
export const START = `#!/bin/sh
# copilot-threads: the last steps before the Copilot runtime starts in its sandbox (src/agent/sandbox/scripts.ts).
# Nothing but stdin, stdout and stderr goes on inside: a descriptor the bot was given (by whatever
# started it) would otherwise reach every command of every thread. (bash closes numbers past 9.)
if [ -z "\${COPILOT_THREADS_FDS_CLOSED:-}" ]; then
  COPILOT_THREADS_FDS_CLOSED=1 exec bash -c 'for fd in /proc/self/fd/*; do fd=\${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec /bin/sh "$0" "$@"' "$0" "$@"
fi
set -eu
# A tool sandbox may mount its own /proc only if a /proc that no mount covers is already in view
# (the kernel's rule against revealing more than it shows). One is mounted here and then hidden
# under an empty tmpfs that nothing in the sandbox can enter or remove.
mount -t proc proc ${NEST_DIR}/proc
mount -t tmpfs -o size=4k,mode=000 nest ${NEST_DIR}
# The runtime's own file tools (grep, glob) never follow a symbolic link in the workspace: a tool
# cannot point them at another thread's folder. Tools see the workspace through ${TOOLS_WORKSPACE}.
mount -o remount,bind,nosuid,nodev,nosymfollow "$COPILOT_THREADS_WORKSPACE"
# The runtime runs as uid ${SANDBOX_UID} of a user namespace of its own, with no capabilities at all
# and no way to gain any (so tool sandboxes below it can map their own ids). The forwarder starts
# first, with no share in the runtime's stdin and stdout (Node makes the pipes it touches
# non-blocking, and the runtime's transport fails on EAGAIN when the bot reads slowly); the
# runtime starts once it listens.
exec unshare --user --map-user=${SANDBOX_UID} --map-group=${SANDBOX_UID} -- \\
  setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- \\
  /bin/sh -c '
  ${SANDBOX_DIR}/node --max-old-space-size=32 ${SANDBOX_DIR}/forward.mjs </dev/null >/dev/null 2>/tmp/forwarder.log &
  i=0
  until [ -e /tmp/forwarder.ready ]; do
    i=$((i + 1))
    if [ "$i" -gt 1000 ] || ! kill -0 $! 2>/dev/null; then echo "copilot-threads: the sandbox forwarder did not start: $(cat /tmp/forwarder.log)" >&2; exit 70; fi
    sleep 0.01
  done
  exec "$@"' start "$@"
`;

/**
 * Inside the runtime's sandbox (no network but loopback): listens on 127.0.0.1:<port> and relays
 * every connection to the bot's gateway socket; says it listens with /tmp/forwarder.ready.
 */
export const FORWARDER = `// copilot-threads: relays 127.0.0.1:$COPILOT_THREADS_GATEWAY_PORT to the bot's gateway (start.sh starts the runtime once it listens).
import fs from 'node:fs';
import net from 'node:net';

const socket = '${SANDBOX_DIR}/gateway.sock';
const port = Number(process.env.COPILOT_THREADS_GATEWAY_PORT);
// No Nagle on the TCP side: a tunnel's small writes must not wait for an ACK (40 ms each).
const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (client) => {
  const upstream = net.connect(socket);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.pipe(upstream).pipe(client);
  client.resume();
});
server.on('error', (err) => {
  process.stderr.write('copilot-threads forwarder: ' + err.message + '\\n');
  process.exit(70);
});
server.listen(port, '127.0.0.1', () => fs.writeFileSync('/tmp/forwarder.ready', ''));
`;

/** \`$id\` checked to be a thread's (else \`refusal\`, exit 126), and \`$folder\`: its folder, made when missing. */
function threadFolder(refusal: string): string {
  return `case $id in
  '' | *[!A-Za-z0-9_-]*)
    echo 'copilot-threads: ${refusal}' >&2
    exit 126 ;;
esac
folder=$CT_TOOLS_WORKSPACE/$id
[ -d "$folder" ] || mkdir -m 700 -p "$folder" || exit 126
`;
}

/**
 * The thread's folder's allowance (TOOLS_MAX_DISK_MB), measured before a command: \`room\` is what
 * a file may grow to (0 when the folder is full). Expects \`$folder\` and tools.env.
 */
const FOLDER_ALLOWANCE = `# What the folder holds: kb and files. Every fork counts (a command's sandbox costs a few
# milliseconds; this script should add few more). A folder that cannot be measured whole (a tool
# made part of it unreadable) counts as full: fail closed.
# One subshell for both numbers (a fork costs milliseconds on small VMs).
measure() {
  m=$(du -sk "$folder" 2>/dev/null && du -s --inodes "$folder" 2>/dev/null) || { kb=unreadable; return 1; }
  kb=\${m%%[!0-9]*}; files=\${m#*
}; files=\${files%%[!0-9]*}
}
full() { measure || return 0; [ "$kb" -ge "$CT_MAX_DISK_KB" ] || [ "$files" -ge "$CT_MAX_FILES" ]; }
limit="$(( CT_MAX_DISK_KB / 1024 )) MB or $CT_MAX_FILES files (TOOLS_MAX_DISK_MB)"
why() {
  if [ "$kb" = unreadable ]; then echo "part of this thread's folder cannot be read, so it cannot be measured and counts as full (make it readable: chmod -R u+rwX)"
  else echo "this thread's folder holds $(( kb / 1024 )) MB in $files files, and may hold $limit"; fi
}
# No single file may be larger than what is left of the folder's allowance; a full folder may
# still be cleaned up (deleting is not writing), but nothing can be written.
room=0
if full; then
  echo "copilot-threads: $(why): files can be deleted, nothing can be written" >&2
else
  room=$(( (CT_MAX_DISK_KB - kb) * 1024 ))
fi
`;

/**
 * Waits for the command started in the background as \`$child\`, killing it when the folder
 * passes its allowance meanwhile, and says why it stopped when a limit stopped it: \`$status\`.
 */
const WATCHED_WAIT = `trap 'kill -KILL "$child" 2>/dev/null' TERM INT HUP
# The folder's allowance is also checked while the command runs (many files, each below the limit).
# Its output goes nowhere: a \`sleep\` holding the command's stdout would keep the runtime waiting.
( while sleep 2; do
    kill -0 "$child" 2>/dev/null || exit 0
    if full; then kill -KILL "$child"; exit 0; fi
  done ) </dev/null >/dev/null 2>&1 &
watch=$!
while :; do
  wait "$child"; status=$?
  kill -0 "$child" 2>/dev/null || break
done
kill "$watch" 2>/dev/null
# timeout says 124 when it stopped the command (only then).
if [ "$status" -eq 124 ]; then
  echo "copilot-threads: stopped after $CT_MAX_SECONDS seconds (TOOLS_MAX_SECONDS): the command and everything it started were killed" >&2
elif [ "$room" -gt 0 ] && { [ "$status" -eq 153 ] || full; }; then
  measure
  echo "copilot-threads: stopped: this thread's folder reached its limit: $(why)" >&2
fi
`;

/**
 * COPILOT_BASH_PATH inside the runtime's sandbox: the runtime starts every shell command with it
 * (\`bash --norc --noprofile -c <command>\`, COPILOT_AGENT_SESSION_ID naming the thread). Each runs
 * in a sandbox of its own below the runtime's: its own process ids (the runtime is not in its
 * process table), only its thread's folder, a read-only /proc/sys, a small /tmp, no network unless
 * hosts are allowed (then only the bot's proxy), no user namespaces, and limits on processes,
 * memory, file size, disk and time. The static part of its bwrap arguments is in tool-args.
 */
export const TOOL = `#!/bin/sh
# copilot-threads: one shell command of one thread, in a sandbox of its own (src/agent/sandbox/scripts.ts).
. ${SANDBOX_DIR}/tools.env
id=\${COPILOT_AGENT_SESSION_ID:-}
${threadFolder('this command belongs to no thread, so it was not run')}${FOLDER_ALLOWANCE}exec 3<&0
setpriv --pdeathsig KILL -- timeout --kill-after=5 "$CT_MAX_SECONDS" \\
  bwrap --args 4 --bind "$folder" "$CT_WORKSPACE/$id" --chdir "$CT_WORKSPACE/$id" --setenv COPILOT_THREADS_SESSION "$id" -- \\
  prlimit --nproc="$CT_MAX_PROCESSES" --data="$CT_MAX_MEMORY_BYTES" --fsize="$room" --core=0 -- \\
  /bin/bash "$@" <&3 3<&- 4<${SANDBOX_DIR}/tool-args &
child=$!
exec 3<&-
${WATCHED_WAIT}exit "$status"
`;

/**
 * A thread's repository, cloned or refreshed (\`/copilot repo\`): started by the bot, never by
 * the runtime, through the runtime's sandbox (a launcher of its own), and run as a shell command
 * of the thread is: only its folder, its limits and its time, watched for the folder's allowance.
 * Its one way out is the gateway, with a password of this operation's own (\`CT_REPO_PROXY\`)
 * that opens the repository's host and nothing else. \`$1\`: the thread; the rest goes to
 * \`CT_REPO_SCRIPT\` (what git does, see agent/repos.ts); \`CT_REPO_AUTH\`: an Authorization header
 * for the repository's host, or empty; both reach the clone's sandbox through a pipe, and git
 * through its environment: on no command line.
 */
export const REPO = `#!/bin/sh
# copilot-threads: one thread's repository, cloned or refreshed in the thread's sandbox (src/agent/sandbox/scripts.ts).
. ${SANDBOX_DIR}/tools.env
id=\${1:-}
${threadFolder('this repository belongs to no thread')}shift
${FOLDER_ALLOWANCE}[ "$room" -gt 0 ] || exit 75
# The proxy's password and the credentials go to bwrap through a pipe: on no command line.
# A local repository (file://, which the operator allowed) is bound read-only instead.
secrets() {
  if [ -n "\${CT_REPO_PROXY:-}" ]; then
    for v in HTTPS_PROXY https_proxy HTTP_PROXY http_proxy; do printf '%s\\0' --setenv "$v" "$CT_REPO_PROXY"; done
  fi
  printf '%s\\0' --setenv CT_REPO_AUTH "\${CT_REPO_AUTH:-}"
  if [ -n "\${CT_REPO_READ:-}" ]; then printf '%s\\0' --ro-bind "$CT_REPO_READ" "$CT_REPO_READ"; fi
}
secrets | setpriv --pdeathsig KILL -- timeout --kill-after=5 "$CT_MAX_SECONDS" \\
  bwrap --args 4 --args 5 --bind "$folder" "$CT_WORKSPACE/$id" --chdir "$CT_WORKSPACE/$id" --setenv COPILOT_THREADS_SESSION "$id" -- \\
  prlimit --nproc="$CT_MAX_PROCESSES" --data="$CT_MAX_MEMORY_BYTES" --fsize="$room" --core=0 -- \\
  /bin/sh -c "$CT_REPO_SCRIPT" repo "$@" 4<${SANDBOX_DIR}/repo-args 5<&0 </dev/null &
child=$!
${WATCHED_WAIT}exit "$status"
`;

/**
 * The command the runtime starts for a stdio MCP server of a thread (MCP_CONFIG), sandboxed as a
 * shell command is (mcp-NAME.args: tool-args plus that server's own files, read-only) and watched
 * for the folder's allowance the same way, but for as long as the session runs it (no time
 * limit). \`$1\`: the thread; \`$2\`: the server; \`$3\`: its folder (\`-\`: \`/\`, never the thread's,
 * where the thread's tools could plant what a server would load); then the program and its
 * arguments. Its own environment (MCP_CONFIG's \`env\`) arrives as \`_ct_env_NAME\`, named in
 * COPILOT_THREADS_MCP_ENV, and goes to bwrap through a pipe (never on a command line); nothing
 * else of the runtime's reaches it, and none of it decides which programs start it.
 */
export const MCP = `#!/bin/sh
# copilot-threads: one MCP server of one thread, in a sandbox of its own (src/agent/sandbox/scripts.ts).
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
unset LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT
cd /
. ${SANDBOX_DIR}/tools.env
id=\${1:-}
name=\${2:-}
cwd=\${3:-}
${threadFolder('this MCP server belongs to no thread, so it was not started')}case $name in
  '' | *[!A-Za-z0-9_-]*) echo 'copilot-threads: no such MCP server' >&2; exit 126 ;;
esac
args=${SANDBOX_DIR}/mcp-$name.args
[ -r "$args" ] || { echo "copilot-threads: no MCP server $name" >&2; exit 126; }
shift 3
[ "$cwd" = - ] && cwd=/
${FOLDER_ALLOWANCE}envs() {
  for n in $(printf '%s' "\${COPILOT_THREADS_MCP_ENV:-}" | tr ',' ' '); do
    case $n in '' | [0-9]* | *[!A-Za-z0-9_]*) continue ;; esac
    eval "v=\\\${_ct_env_$n-}"
    printf '%s\\0' --setenv "$n" "$v"
  done
}
exec 3<&0
envs | setpriv --pdeathsig KILL -- \\
  bwrap --args 4 --args 5 --bind "$folder" "$CT_WORKSPACE/$id" --chdir "$cwd" --setenv COPILOT_THREADS_MCP "$id" --setenv COPILOT_THREAD_FOLDER "$CT_WORKSPACE/$id" -- \\
  prlimit --nproc="$CT_MAX_PROCESSES" --data="$CT_MAX_MEMORY_BYTES" --fsize="$room" --core=0 -- \\
  "$@" 4<"$args" 5<&0 0<&3 3<&- &
child=$!
exec 3<&-
${WATCHED_WAIT}exit "$status"
`;

/** `KEY='value'` lines for tools.env (values quoted for sh). */
export function shellAssignments(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}='${String(value).replaceAll("'", `'\\''`)}'`)
    .join('\n')
    .concat('\n');
}
