/**
 * Where sessions' state lives, behind one interface. Embedded: the runtime's own folders under
 * COPILOT_HOME (`RuntimeDiskSessions`). Shared: PostgreSQL through the SDK's `sessionFs`
 * (`PostgresSessions`), so any instance with an empty disk continues any thread. The runtime's
 * index (`getSessionMetadata`, `listSessions`, `deleteSession`) does not see `sessionFs`
 * sessions, so in that mode the app answers those questions from the shared state itself.
 */
import type { CopilotClient, SessionFsConfig, SessionFsProvider } from '@github/copilot-sdk';
import type { SessionId } from '../../domain.js';
import type { SessionSummary } from '../agent.js';
import type { FolderOwner } from '../thread-files.js';

export interface SessionStore {
  /** The client's `sessionFs` option; undefined when the runtime keeps sessions on its own disk. */
  fsConfig(workDir: string): SessionFsConfig | undefined;
  /** The `createSessionFsProvider` of a session's config (when `fsConfig` is defined); it also serves the thread's folder. */
  provider?(id: SessionId, threadFolder: string, owner?: FolderOwner): SessionFsProvider;
  exists(client: CopilotClient, id: SessionId): Promise<boolean>;
  list(client: CopilotClient): Promise<SessionSummary[]>;
  /** Deletes a session's state; the caller holds its lock. False when there was none. */
  delete(client: CopilotClient, id: SessionId): Promise<boolean>;
}

export class RuntimeDiskSessions implements SessionStore {
  fsConfig(): undefined {
    return undefined;
  }

  async exists(client: CopilotClient, id: SessionId): Promise<boolean> {
    return (await client.getSessionMetadata(id)) !== undefined;
  }

  async list(client: CopilotClient): Promise<SessionSummary[]> {
    return (await client.listSessions()).map((s) => ({
      id: s.sessionId as SessionId,
      createdAt: s.startTime,
      modifiedAt: s.modifiedTime,
      summary: s.summary,
    }));
  }

  async delete(client: CopilotClient, id: SessionId): Promise<boolean> {
    if (!(await this.exists(client, id))) return false;
    await client.deleteSession(id);
    return true;
  }
}
