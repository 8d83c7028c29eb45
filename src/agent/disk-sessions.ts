/**
 * Session state on this host's disk, kept by the bot process and handed to the runtime through the
 * SDK's `sessionFs`: what the sandboxed runtime uses, so no tool can reach any session's files
 * (the runtime itself never sees COPILOT_HOME). The layout is the runtime's own,
 * `<home>/session-state/<id>/events.jsonl` and the rest, so sessions written either way continue
 * either way. With `sessionFs` the runtime's file tools read and write the workspace through it
 * too, so paths inside the working directory are the workspace's files (the permission policy
 * already keeps file tools there); anything else does not exist and cannot be written.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SessionFsConfig, SessionFsFileInfo, SessionFsProvider } from '@github/copilot-sdk';
import type { SessionId } from '../domain.js';
import type { SessionSummary } from './agent.js';
import type { SessionStore } from './session-store.js';
import { isInside } from './permissions.js';

/** Where the runtime sees each session's state, inside the session's own file system. */
const SESSION_STATE_PATH = '/session-state';
const EVENTS = 'events.jsonl';

export class DiskSessions implements SessionStore {
  constructor(
    /** `<COPILOT_HOME>/session-state` */
    private readonly root: string,
    private readonly workDir: string,
  ) {}

  fsConfig(workDir: string): SessionFsConfig {
    return { initialCwd: workDir, sessionStatePath: SESSION_STATE_PATH, conventions: 'posix' };
  }

  provider(id: SessionId): SessionFsProvider {
    return new SessionFolder(path.join(this.root, id), this.workDir);
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

function denied(p: string): Error {
  return Object.assign(new Error(`EACCES: only the session state and the workspace are writable, not '${p}'`), { code: 'EACCES' });
}

function missing(p: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT' });
}

/** One session's folder, as the runtime's `sessionFs`. */
class SessionFolder implements SessionFsProvider {
  constructor(
    private readonly folder: string,
    private readonly workDir: string,
  ) {}

  async readFile(p: string): Promise<string> {
    return fs.promises.readFile(this.readable(p), 'utf8');
  }

  async writeFile(p: string, content: string, mode?: number): Promise<void> {
    const at = this.writable(p);
    await fs.promises.mkdir(path.dirname(at), { recursive: true });
    await fs.promises.writeFile(at, content, mode === undefined ? undefined : { mode });
  }

  async appendFile(p: string, content: string, mode?: number): Promise<void> {
    const at = this.writable(p);
    await fs.promises.mkdir(path.dirname(at), { recursive: true });
    await fs.promises.appendFile(at, content, mode === undefined ? undefined : { mode });
  }

  async exists(p: string): Promise<boolean> {
    try {
      return fs.existsSync(this.readable(p));
    } catch {
      return false;
    }
  }

  async stat(p: string): Promise<SessionFsFileInfo> {
    const s = await fs.promises.stat(this.readable(p));
    return { isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size, mtime: s.mtime.toISOString(), birthtime: s.birthtime.toISOString() };
  }

  async mkdir(p: string, recursive: boolean, mode?: number): Promise<void> {
    await fs.promises.mkdir(this.writable(p), { recursive, ...(mode === undefined ? {} : { mode }) });
  }

  async readdir(p: string): Promise<string[]> {
    return fs.promises.readdir(this.readable(p));
  }

  async readdirWithTypes(p: string): Promise<Array<{ name: string; type: 'file' | 'directory' }>> {
    return (await fs.promises.readdir(this.readable(p), { withFileTypes: true })).map((d) => ({ name: d.name, type: d.isDirectory() ? 'directory' : 'file' }));
  }

  async rm(p: string, recursive: boolean, force: boolean): Promise<void> {
    await fs.promises.rm(this.writable(p), { recursive, force });
  }

  async rename(src: string, dest: string): Promise<void> {
    const to = this.writable(dest);
    await fs.promises.mkdir(path.dirname(to), { recursive: true });
    await fs.promises.rename(this.writable(src), to);
  }

  /** A session-state path → its file in the session's folder; undefined for any other path. */
  private inState(p: string): string | undefined {
    const normal = path.posix.normalize(p).replace(/(.)\/+$/, '$1');
    if (normal === SESSION_STATE_PATH) return this.folder;
    if (!normal.startsWith(`${SESSION_STATE_PATH}/`)) return undefined;
    const at = path.join(this.folder, normal.slice(SESSION_STATE_PATH.length + 1));
    return isInside(this.folder, at) ? at : undefined;
  }

  private readable(p: string): string {
    const at = this.inState(p) ?? this.inWorkspace(p);
    if (!at) throw missing(p);
    return at;
  }

  private writable(p: string): string {
    const at = this.inState(p) ?? this.inWorkspace(p);
    if (!at) throw denied(p);
    return at;
  }

  private inWorkspace(p: string): string | undefined {
    return isInside(this.workDir, p) ? path.resolve(this.workDir, p) : undefined;
  }
}
