/**
 * What the conversation core needs from a Copilot agent. The core never sees the SDK: this
 * interface is the seam, and tests of the core can pass any implementation.
 */
import type { SessionId, SessionProfile, TranscriptEvent } from '../domain.js';
import type { ToolAsk } from './permissions.js';

export type { ToolAsk } from './permissions.js';

/** A person's answer to a tool request: the agent goes on with the tool, or without it (told why). */
export type ToolVerdict = { approved: true } | { approved: false; reason: string };

/** A tool's permission request and the policy's answer: run, refused, or a person asked (`approve`). */
export interface PermissionRecord {
  tool: string;
  /** The command line, path or URL, unmasked (the core masks what it keeps). */
  detail: string;
  /** sha256 of the request's whole arguments: what ran, even where the kept text is cut. */
  digest: string;
  decision: 'allowed' | 'denied' | 'asked';
  /** Why it was refused, in the policy's words. */
  reason?: string;
}

/** What a turn is doing, for adapters that show it (a tool running, one message of the answer done). */
export type TurnProgress = { kind: 'tool'; name: string; phase: 'start' | 'end'; ok?: boolean } | { kind: 'message-end' };

/** A file a person attached: a picture goes to the model as an image, text as a file in the thread's folder. */
/** A file for the turn, as downloaded: a picture, or text (UTF-8 bytes, written to the thread's folder as they are). */
export type TurnAttachment = { kind: 'image'; name: string; mimeType: string; data: Buffer } | { kind: 'text'; name: string; data: Buffer };

/** A person's own GitHub account, for a turn they wrote (COPILOT_AUTH=per-user). */
export interface TurnCredentials {
  login: string;
  /** The GitHub host the token is for (`github.com`, a GHES host). */
  host: string;
  token: string;
}

export interface TurnOptions {
  /** The turn is aborted and fails with `TurnTimeoutError` after this long. */
  timeoutMs: number;
  /** Per-user: the turn runs as this account (its token goes to the runtime for this session, never to its environment). */
  as?: TurnCredentials;
  /** Called with each piece of the answer as the model streams it. */
  onDelta?: (text: string) => void;
  /** Called when a tool starts or ends, and when one assistant message of the turn is complete. */
  onProgress?: (progress: TurnProgress) => void;
  /**
   * Asked when the agent wants a tool that needs a person's approval (COPILOT_TOOLS_APPROVAL).
   * The turn's timeout is suspended while it waits; `signal` aborts when the turn ends anyway
   * (stopped, runtime gone). Absent: such a tool is denied.
   */
  approve?: (ask: ToolAsk, signal: AbortSignal) => Promise<ToolVerdict>;
  /** Told of every permission request the turn's tools make and what the policy answered (the audit trail). */
  onPermission?: (request: PermissionRecord) => void;
  /**
   * Asked before a tool the policy (or a person) allowed runs: a reason means it may not (a daily
   * budget is used up), and the tool is refused with it. Absent: every allowed tool runs.
   */
  toolBudget?: (tool: string) => Promise<string | undefined>;
  /** Told of the tokens each model call of the turn used. */
  onUsage?: (usage: { inputTokens: number; outputTokens: number; model: string }) => void;
  /** Files that come with the prompt. */
  attachments?: readonly TurnAttachment[];
  /**
   * The thread's model, agent, instructions and tools (its channel's profile and its own choices):
   * a session open with another profile is reopened with this one. Absent: the bot's settings.
   */
  profile?: SessionProfile;
}

export interface TurnResult {
  text: string;
  /** True when this turn created the session (a new thread, or one that was forgotten). */
  created: boolean;
}

export interface ForgetOptions {
  confirm?: () => Promise<boolean>;
}

export interface SessionSummary {
  id: SessionId;
  createdAt: Date | undefined;
  modifiedAt: Date | undefined;
  summary: string | undefined;
}

export interface Agent {
  start(): Promise<void>;
  /** Resumes the session if it exists, creates it otherwise, and runs one turn. */
  send(id: SessionId, prompt: string, options: TurnOptions): Promise<TurnResult>;
  exists(id: SessionId): Promise<boolean>;
  /** The session's events, or undefined when there is no such session. */
  history(id: SessionId): Promise<TranscriptEvent[] | undefined>;
  /**
   * Deletes the session and its data for good; false when there was none. `confirm`, when given,
   * is asked once the session's lock is held (no turn runs in it anywhere): false keeps it.
   */
  forget(id: SessionId, options?: ForgetOptions): Promise<boolean>;
  /** Clones or refreshes the thread's repository in its folder (in its sandbox); `RepoError` says why not. */
  repo(id: SessionId, work: RepoWork): Promise<{ commit: string }>;
  list(): Promise<SessionSummary[]>;
  /** Disconnects every session and stops the runtime; in-flight turns are aborted. */
  stop(): Promise<void>;
}

/**
 * The agent as the process that runs it sees it: the port, plus what health checks, metrics,
 * shutdown and operators' tools read of the runtime behind it.
 */
export interface AgentRuntime extends Agent {
  /** Answers when the runtime does, within `timeoutMs` (for /healthz). */
  ping(timeoutMs: number): Promise<void>;
  /** New turns are refused from now on (shutdown has begun). */
  beginStop(): void;
  /** Resolves once no turn runs and no session is being opened or closed. */
  settled(): Promise<void>;
  /** Drains in-flight work, stops the runtime and starts a fresh one. */
  recycle(reason: string): Promise<void>;
  /** A thread's session state can no longer be trusted here (a lost lease, a failed write). */
  sessionStateLost(id: SessionId, reason: string): void;
  /** What the tool sandbox enforces, in words; undefined when there is none. */
  sandboxReport(): Record<string, string> | undefined;
  /** Each MCP server's state (`ok`, `down: …`); undefined when there are none. */
  mcpReport(): Record<string, string> | undefined;
  runtimeRssMb(): number | undefined;
  readonly runtimePid: number | undefined;
  readonly liveSessions: number;
  readonly liveIds: SessionId[];
  readonly clientSessions: number;
  readonly recycles: number;
}

/** What to do with a thread's repository (see core/commands/repo.ts). */
export interface RepoWork {
  op: 'clone' | 'pull';
  url: string;
  host: string;
  /** Its folder in the thread's folder. */
  folder: string;
  ref?: string;
  /** A local repository (file://): its folder on this host, bound read-only for the clone. */
  local?: string;
  /** An Authorization header for `host` (the person's or REPO_TOKEN), or none. */
  authorization?: string;
  /** pull: throw local changes away. */
  discard?: boolean;
}

/** A repository could not be cloned or refreshed: `message` says why, in words for the thread. */
export class RepoError extends Error {
  override name = 'RepoError';
  constructor(
    message: string,
    readonly why: 'no-tools' | 'local-changes' | 'too-big' | 'timeout' | 'git' = 'git',
  ) {
    super(message);
  }
}

export class TurnTimeoutError extends Error {
  override name = 'TurnTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`the turn took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`);
  }
}

export class TurnFailedError extends Error {
  override name = 'TurnFailedError';
}

/** The runtime process died during the turn; it is restarted, and the thread is intact on disk. */
export class RuntimeExitedError extends TurnFailedError {
  override name = 'RuntimeExitedError';
  constructor() {
    super('the Copilot runtime stopped unexpectedly');
  }
}

/** This instance lost the session's lease mid-turn (another took it over), or could not save the session's state. */
export class SessionStateLostError extends TurnFailedError {
  override name = 'SessionStateLostError';
}

/** The thread has used the AI credits SESSION_MAX_AI_CREDITS allows it: the model call was cancelled. */
export class SessionLimitError extends TurnFailedError {
  override name = 'SessionLimitError';
  constructor(
    readonly maxAiCredits: number,
    readonly usedAiCredits: number,
  ) {
    super(`the thread has used ${usedAiCredits} of its ${maxAiCredits} AI credits`);
  }
}

/**
 * GitHub or Copilot refused the turn's account: `signed-out` (the token was revoked or expired:
 * the person connects again), `no-seat` (the account has no Copilot access), or `unresolved`
 * (refused, and the runtime does not say which: the core asks GitHub). No answer came.
 */
export class AccountRefusedError extends Error {
  override name = 'AccountRefusedError';
  constructor(
    readonly why: 'signed-out' | 'no-seat' | 'unresolved',
    readonly login: string,
    detail: string,
  ) {
    super(`GitHub refused @${login} (${why}): ${detail}`);
  }
}

export class AgentStoppedError extends Error {
  override name = 'AgentStoppedError';
  constructor() {
    super('the agent is shutting down');
  }
}

/** The session is open in another process on this host (one writer per session). */
export class SessionBusyError extends Error {
  override name = 'SessionBusyError';
  constructor(readonly holder: string) {
    super(`this thread's session is open in another copilot-threads process (${holder})`);
  }
}
