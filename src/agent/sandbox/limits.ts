/**
 * What one shell command of a tool may use. Enforced in the command's own sandbox (scripts.ts
 * TOOL) with resource limits (`prlimit`), a sized tmpfs, `timeout` and a watch on the thread's
 * folder, so a fork bomb, a memory hog, a disk fill or an endless loop ends in a clear tool error
 * while other threads keep answering. `describeLimits` is what the start log and /healthz say.
 */

export interface ToolLimits {
  /** TOOLS_MAX_PROCESSES: processes (and threads) one command may run at once. */
  processes: number;
  /** TOOLS_MAX_MEMORY_MB: each process's data (heap and private memory). */
  memoryBytes: number;
  /** /tmp of each command: a tmpfs of this size (a quarter of the memory allowance). */
  tmpBytes: number;
  /** TOOLS_MAX_DISK_MB: what a thread's folder may hold. */
  diskBytes: number;
  /** Files (and folders) a thread's folder may hold: 100 per MB of TOOLS_MAX_DISK_MB (empty files take no space, but inodes). */
  files: number;
  /** TOOLS_MAX_SECONDS: how long one command may run. */
  seconds: number;
}

const MB = 1024 * 1024;

export function toolLimits(settings: { processes: number; memoryMb: number; diskMb: number; seconds: number }): ToolLimits {
  return {
    processes: settings.processes,
    memoryBytes: settings.memoryMb * MB,
    tmpBytes: Math.max(16, Math.floor(settings.memoryMb / 4)) * MB,
    diskBytes: settings.diskMb * MB,
    files: settings.diskMb * 100,
    seconds: settings.seconds,
  };
}

/** Each limit and how it is enforced, in words (start log, /healthz). */
export function describeLimits(l: ToolLimits): Record<string, string> {
  return {
    processes: `${l.processes} per command (rlimit)`,
    memory: `${l.memoryBytes / MB} MB of private memory per process (rlimit; cgroup v2 not used)`,
    tmp: `${l.tmpBytes / MB} MB for /tmp and as much for /dev/shm, per command (tmpfs)`,
    disk: `${l.diskBytes / MB} MB and ${l.files} files per thread folder (checked before and every 2 s during a command; no file larger than what is left)`,
    time: `${l.seconds} s per command (timeout); every process a turn started ends with the turn`,
  };
}
