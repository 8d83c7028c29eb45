/**
 * Which permission requests the runtime may have granted. The bot is reachable by a whole
 * workspace, so the default answer is no: a request is approved only when it comes from a
 * tool the operator listed in COPILOT_TOOLS, and only for what that tool is for.
 */

/** The parts of a runtime permission request the policy reads. */
export interface PermissionAsk {
  kind: string;
  toolName?: string;
  serverName?: string;
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

export function decidePermission(ask: PermissionAsk, allowedTools: ReadonlySet<string>): PermissionAnswer {
  const named = ask.toolName ?? ask.serverName;
  const allowed = named
    ? allowedTools.has(named) || (ask.serverName !== undefined && allowedTools.has(ask.serverName))
    : (KIND_TOOLS[ask.kind] ?? []).some((t) => allowedTools.has(t));
  if (allowed) return { kind: 'approve-once' };
  const what = named ? `tool "${named}"` : `${ask.kind} access`;
  return { kind: 'reject', feedback: `${what} is not enabled on this bot (COPILOT_TOOLS); do not retry, answer without it.` };
}
