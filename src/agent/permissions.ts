/**
 * Which permission requests the runtime may have granted. The bot is reachable by a whole
 * workspace, so the default answer is no: a request is approved only when it comes from a
 * tool the operator listed in COPILOT_TOOLS, only for what that tool is for, and for file
 * tools only inside the bot's own workspace folder. A tool listed in COPILOT_TOOLS_APPROVAL
 * passes those checks and then needs a person's yes (`ask`) for each use.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
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
  /** shell requests */
  fullCommandText?: string;
  /** url requests */
  url?: string;
  intention?: string;
  args?: unknown;
  diff?: string;
  toolCallId?: string;
}

export interface PermissionPolicy {
  allowedTools: ReadonlySet<string>;
  /** Allowed tools that need a person's approval for every use. */
  approvalTools?: ReadonlySet<string>;
  /** File tools may touch this folder (the thread's own) and what is below it, nothing else. */
  workspace: string;
  /** MCP_CONFIG's servers → the tools of each offered (`["*"]`: all). */
  mcpTools?: ReadonlyMap<string, readonly string[]>;
  /**
   * Where a path really is (links followed; see `realLocation`). The folder and the path are both
   * judged by it: a link inside the folder that leads out is outside. Without it, paths are text.
   */
  real?: (p: string) => string;
}

/** What a person is asked to approve: the tool, what it would do, and a digest of exactly that. */
export interface ToolAsk {
  tool: string;
  /** The command line, path or URL (untruncated; the core masks and shortens it for display). */
  detail: string;
  /** Why the agent says it wants it. */
  intention: string | undefined;
  /** sha256 of the request's arguments: the record of what was decided. */
  digest: string;
}

export type PermissionAnswer = { kind: 'approve-once' } | { kind: 'reject'; feedback: string } | { kind: 'ask'; ask: ToolAsk };

/** Request kinds raised by built-in tools, and the tools that raise them. */
const KIND_TOOLS: Record<string, readonly string[]> = {
  shell: ['bash', 'powershell'],
  read: ['view', 'grep', 'glob'],
  write: ['edit', 'create'],
  url: ['web_fetch'],
  memory: ['memory', 'store_memory'],
};

const reject = (feedback: string): PermissionAnswer => ({ kind: 'reject', feedback: `${feedback} Do not retry; answer without it.` });

/**
 * `toolName` is the tool the runtime said it started for this request (`tool.execution_start`),
 * when known; a request of a built-in kind is otherwise taken for the first enabled tool of it.
 */
export function decidePermission(ask: PermissionAsk, policy: PermissionPolicy, toolName?: string): PermissionAnswer {
  const { allowedTools } = policy;
  if (ask.kind === 'mcp') {
    // An MCP server's tool: its server must be one of the session's (mcp:NAME), the tool one MCP_CONFIG offers of it, and the approval patterns name it as mcp:NAME/TOOL.
    if (!ask.serverName || !allowedTools.has(`mcp:${ask.serverName}`)) return reject(`MCP server "${ask.serverName ?? '?'}" is not enabled here.`);
    const tool = mcpToolOf(ask);
    const offered = policy.mcpTools?.get(ask.serverName) ?? ['*'];
    if (!offered.includes('*') && (tool === undefined || !offered.includes(tool))) return reject(`Tool "${tool ?? ask.toolName ?? '?'}" of MCP server "${ask.serverName}" is not enabled here.`);
    // A name not of the runtime's usual form: asked whenever anything of the server's is asked for, never let through unasked.
    const asks = tool === undefined ? mcpAsksAny(policy.approvalTools, ask.serverName) : mcpNeedsApproval(policy.approvalTools, ask.serverName, tool);
    return asks ? { kind: 'ask', ask: describeAsk(ask, `mcp:${ask.serverName}/${tool ?? ask.toolName ?? '?'}`) } : { kind: 'approve-once' };
  }
  const named = ask.toolName ?? ask.serverName;
  if (named) {
    const ok = allowedTools.has(named) || (ask.serverName !== undefined && allowedTools.has(ask.serverName));
    if (!ok) return reject(`Tool "${named}" is not enabled on this bot.`);
    const tool = allowedTools.has(named) ? named : ask.serverName!;
    return needsApproval(policy, [tool]) ? { kind: 'ask', ask: describeAsk(ask, tool) } : { kind: 'approve-once' };
  }
  const kindTools = (KIND_TOOLS[ask.kind] ?? []).filter((t) => allowedTools.has(t));
  if (kindTools.length === 0) return reject(`${ask.kind} access is not enabled on this bot.`);
  const file = ask.kind === 'read' ? ask.path : ask.kind === 'write' ? ask.fileName : undefined;
  if ((ask.kind === 'read' || ask.kind === 'write') && !(file && insideReally(policy, file))) {
    return reject(`Only files in this thread's own folder may be ${ask.kind === 'read' ? 'read' : 'written'} (${policy.workspace}).`);
  }
  // The runtime's own tool name when it told us; unknown, any enabled tool of the kind that needs approval makes it ask.
  const tools = toolName && kindTools.includes(toolName) ? [toolName] : kindTools;
  if (!needsApproval(policy, tools)) return { kind: 'approve-once' };
  return { kind: 'ask', ask: describeAsk(ask, tools.find((t) => policy.approvalTools!.has(t))!) };
}

/**
 * The tool's own name on its server: the runtime names an MCP tool `<server>-<tool>` (measured on
 * runtime 1.0.14); the server's prefix is taken off.
 */
export function mcpToolOf(ask: Pick<PermissionAsk, 'serverName' | 'toolName'>): string | undefined {
  const name = ask.toolName ?? '';
  const prefix = `${ask.serverName ?? ''}-`;
  return name.startsWith(prefix) && name.length > prefix.length ? name.slice(prefix.length) : undefined;
}

/** Whether any of COPILOT_TOOLS_APPROVAL's entries asks before some tool of `server`. */
function mcpAsksAny(patterns: ReadonlySet<string> | undefined, server: string): boolean {
  return patterns !== undefined && [...patterns].some((p) => p === 'mcp:*' || p === `mcp:${server}` || p.startsWith(`mcp:${server}/`));
}

/** Whether COPILOT_TOOLS_APPROVAL's entries (`mcp:*`, `mcp:S`, `mcp:S/*`, `mcp:S/T`) make `server`'s `tool` ask a person. */
export function mcpNeedsApproval(patterns: ReadonlySet<string> | undefined, server: string, tool: string): boolean {
  if (!patterns) return false;
  return patterns.has('mcp:*') || patterns.has(`mcp:${server}`) || patterns.has(`mcp:${server}/*`) || patterns.has(`mcp:${server}/${tool}`);
}

/** How the audit trail and the budget name the tool of a request. */
export function toolOfRequest(ask: PermissionAsk, toolName: string | undefined): string {
  if (ask.kind === 'mcp' && ask.serverName) return `mcp:${ask.serverName}/${mcpToolOf(ask) ?? ask.toolName ?? '?'}`;
  return ask.toolName ?? ask.serverName ?? toolName ?? ask.kind;
}

function needsApproval(policy: PermissionPolicy, tools: readonly string[]): boolean {
  return policy.approvalTools !== undefined && tools.some((t) => policy.approvalTools!.has(t));
}

export function describeAsk(ask: PermissionAsk, tool: string): ToolAsk {
  let detail: string;
  switch (ask.kind) {
    case 'shell':
      detail = ask.fullCommandText ?? '';
      break;
    case 'write':
      detail = ask.fileName ?? '';
      break;
    case 'read':
      detail = ask.path ?? '';
      break;
    case 'url':
      detail = ask.url ?? '';
      break;
    default:
      detail = ask.args === undefined ? '' : safeJson(ask.args);
  }
  const { toolCallId: _id, intention, ...args } = ask;
  return { tool, detail, intention: intention || undefined, digest: createHash('sha256').update(safeJson(args)).digest('hex') };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return String(v);
  }
}

function insideReally(policy: PermissionPolicy, file: string): boolean {
  if (!isInside(policy.workspace, file)) return false;
  if (!policy.real) return true;
  return isInside(policy.real(policy.workspace), policy.real(path.resolve(policy.workspace, file)));
}

/**
 * Where `p` really is: every link followed; for a path that does not exist yet, the real place
 * of its nearest existing parent with the rest appended.
 */
export function realLocation(p: string): string {
  const rest: string[] = [];
  let at = path.resolve(p);
  for (let links = 0; ; ) {
    try {
      return path.join(fs.realpathSync(at), ...rest.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A link to nothing (yet) leads where it points: a write through it would land there.
      const dangling = code === 'ENOENT' && fs.lstatSync(at, { throwIfNoEntry: false })?.isSymbolicLink();
      if (dangling && links++ < 40) {
        at = path.resolve(path.dirname(at), fs.readlinkSync(at));
        continue;
      }
      const parent = path.dirname(at);
      if (parent === at || (code !== 'ENOENT' && code !== 'ENOTDIR')) return path.join(at, ...rest.reverse());
      rest.push(path.basename(at));
      at = parent;
    }
  }
}

export function isInside(folder: string, file: string): boolean {
  const rel = path.relative(path.resolve(folder), path.resolve(folder, file));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
