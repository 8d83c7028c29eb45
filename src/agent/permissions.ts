/**
 * Which permission requests the runtime may have granted. The bot is reachable by a whole
 * workspace, so the default answer is no: a request is approved only when it comes from a
 * tool the operator listed in COPILOT_TOOLS, only for what that tool is for, and for file
 * tools only inside the bot's own workspace folder.
 */
import path from 'node:path';

/** The parts of a runtime permission request the policy reads. */
export interface PermissionAsk {
  kind: string;
  toolName?: string;
  serverName?: string;
  /** read requests */
  path?: string;
  /** write requests */
  fileName?: string;
}

export interface PermissionPolicy {
  allowedTools: ReadonlySet<string>;
  /** File tools may touch this folder and what is below it, nothing else. */
  workspace: string;
}

export type PermissionAnswer = { kind: 'approve-once' } | { kind: 'reject'; feedback: string };

/** Request kinds raised by built-in tools, and the tools that raise them. */
const KIND_TOOLS: Record<string, readonly string[]> = {
  shell: ['bash', 'powershell'],
  read: ['view', 'grep', 'glob'],
  write: ['edit', 'create'],
  url: ['web_fetch'],
  memory: ['memory', 'store_memory'],
};

const reject = (feedback: string): PermissionAnswer => ({ kind: 'reject', feedback: `${feedback} Do not retry; answer without it.` });

export function decidePermission(ask: PermissionAsk, policy: PermissionPolicy): PermissionAnswer {
  const { allowedTools } = policy;
  const named = ask.toolName ?? ask.serverName;
  if (named) {
    const ok = allowedTools.has(named) || (ask.serverName !== undefined && allowedTools.has(ask.serverName));
    return ok ? { kind: 'approve-once' } : reject(`Tool "${named}" is not enabled on this bot.`);
  }
  if (!(KIND_TOOLS[ask.kind] ?? []).some((t) => allowedTools.has(t))) {
    return reject(`${ask.kind} access is not enabled on this bot.`);
  }
  const file = ask.kind === 'read' ? ask.path : ask.kind === 'write' ? ask.fileName : undefined;
  if ((ask.kind === 'read' || ask.kind === 'write') && !(file && isInside(policy.workspace, file))) {
    return reject(`Only files inside the bot's workspace may be ${ask.kind === 'read' ? 'read' : 'written'}.`);
  }
  return { kind: 'approve-once' };
}

export function isInside(folder: string, file: string): boolean {
  const rel = path.relative(path.resolve(folder), path.resolve(folder, file));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
