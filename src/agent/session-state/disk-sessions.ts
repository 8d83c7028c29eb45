/**
 * Session state on this host's disk, kept by the bot process and handed to the runtime through the
 * SDK's `sessionFs`: what the sandboxed runtime uses, so no tool can reach any session's files
 * (the runtime itself never sees COPILOT_HOME). The layout is the runtime's own,
 * `<home>/session-state/<id>/events.jsonl` and the rest, so sessions written either way continue
 * either way. With `sessionFs` the runtime's file tools read and write through it too: every path
 * outside the session state is the thread's own folder (`ThreadFiles`), and nothing else exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SessionFsConfig, SessionFsProvider } from '@github/copilot-sdk';
import type { SessionId } from '../../domain.js';
import type { SessionSummary } from '../agent.js';
import type { SessionStore } from './session-store.js';
import { isInside } from '../permissions.js';
import { DiskFiles, SplitFiles } from './disk-files.js';
import { ThreadFiles, type FolderOwner } from '../thread-files.js';

/** Where the runtime sees each session's state, inside the session's own file system. */
const SESSION_STATE_PATH = '/session-state';
const EVENTS = 'events.jsonl';

export class DiskSessions implements SessionStore {
  constructor(
    /** `<COPILOT_HOME>/session-state` */
    private readonly root: string,
  ) {}

  fsConfig(workDir: string): SessionFsConfig {
    return { initialCwd: workDir, sessionStatePath: SESSION_STATE_PATH, conventions: 'posix' };
  }

  provider(id: SessionId, threadFolder: string, owner?: FolderOwner): SessionFsProvider {
    const folder = path.join(this.root, id);
    return new SplitFiles(isStatePath, new DiskFiles((p) => inState(folder, p)), new ThreadFiles(threadFolder, owner));
  }

  async exists(_client: unknown, id: SessionId): Promise<boolean> {
    return fs.existsSync(path.join(this.root, id, EVENTS));
  }

  async list(): Promise<SessionSummary[]> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: SessionSummary[] = [];
    for (const name of names) {
      const events = await fs.promises.stat(path.join(this.root, name, EVENTS)).catch(() => undefined);
      if (!events) continue;
      const folder = await fs.promises.stat(path.join(this.root, name));
      out.push({ id: name as SessionId, createdAt: folder.birthtime, modifiedAt: events.mtime, summary: await summaryOf(path.join(this.root, name)) });
    }
    return out;
  }

  async delete(_client: unknown, id: SessionId): Promise<boolean> {
    const folder = path.join(this.root, id);
    const existed = fs.existsSync(path.join(folder, EVENTS));
    await fs.promises.rm(folder, { recursive: true, force: true });
    return existed;
  }
}

/** The `summary:` line the runtime writes in a session's workspace.yaml, if any. */
async function summaryOf(folder: string): Promise<string | undefined> {
  const yaml = await fs.promises.readFile(path.join(folder, 'workspace.yaml'), 'utf8').catch(() => '');
  const line = /^summary:\s*(.+)$/m.exec(yaml)?.[1]?.trim();
  return line ? line.replace(/^['"]|['"]$/g, '') : undefined;
}

function isStatePath(p: string): boolean {
  const normal = path.posix.normalize(p);
  return normal === SESSION_STATE_PATH || normal.startsWith(`${SESSION_STATE_PATH}/`);
}

/** A session-state path → its file in the session's folder; undefined for any other path. */
function inState(folder: string, p: string): string | undefined {
  const normal = path.posix.normalize(p).replace(/(.)\/+$/, '$1');
  if (normal === SESSION_STATE_PATH) return folder;
  if (!normal.startsWith(`${SESSION_STATE_PATH}/`)) return undefined;
  const at = path.join(folder, normal.slice(SESSION_STATE_PATH.length + 1));
  return isInside(folder, at) ? at : undefined;
}
