/**
 * Where the bot reaches into the SDK's private parts, all in one place, each with why: the
 * runtime's child process (its pid, memory, exit) and the client's map of sessions. A release
 * that renames them makes these answer "unknown" (undefined), never throw.
 */
import type { ChildProcess } from 'node:child_process';
import type { CopilotClient, CopilotSession } from '@github/copilot-sdk';

/** Resolves once the process has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export function runtimeProcess(client: CopilotClient | undefined): ChildProcess | undefined {
  return (client as unknown as { cliProcess?: ChildProcess } | undefined)?.cliProcess ?? undefined;
}

/**
 * The SDK's client keeps every session it opened in a private map until `client.stop()`, even
 * after `disconnect()` (github/copilot-sdk#1130, not in 1.0.x): ~27 KB of this process per thread
 * ever touched, for as long as the runtime runs. A disconnected session is dropped from it here;
 * the map is only read to route events to a live session, and a resume registers a new object.
 */
export function dropDisconnected(client: CopilotClient | undefined, session: CopilotSession): void {
  const sessions = sdkSessions(client);
  if (sessions?.get(session.sessionId) === session) sessions.delete(session.sessionId);
}

/** The SDK client's private map of the sessions it routes events to (undefined if a release renames it). */
export function sdkSessions(client: CopilotClient | undefined): Map<string, unknown> | undefined {
  const sessions = (client as unknown as { sessions?: unknown } | undefined)?.sessions;
  return sessions instanceof Map ? (sessions as Map<string, unknown>) : undefined;
}
