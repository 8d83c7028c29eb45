/**
 * A `sessionFs` provider over real files of the bot's own, for the paths `at` maps (to a file on
 * disk, or to nothing: then reads say ENOENT and writes EACCES): `DiskSessions` serves each
 * session's state with it. A thread's folder, which tools can write, is served by `ThreadFiles`
 * instead; `SplitFiles` sends each path to the one it belongs to.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SessionFsFileInfo, SessionFsProvider } from '@github/copilot-sdk';

export function missing(p: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT' });
}

function denied(p: string): Error {
  return Object.assign(new Error(`EACCES: only the session state and the workspace are writable, not '${p}'`), { code: 'EACCES' });
}

export class DiskFiles implements SessionFsProvider {
  constructor(private readonly at: (p: string) => string | undefined) {}

  async readFile(p: string): Promise<string> {
    return fs.promises.readFile(this.readable(p), 'utf8');
  }

  async writeFile(p: string, content: string, mode?: number): Promise<void> {
    const at = this.writable(p);
    await fs.promises.mkdir(path.dirname(at), { recursive: true });
    await fs.promises.writeFile(at, content, mode == null ? undefined : { mode });
  }

  async appendFile(p: string, content: string, mode?: number): Promise<void> {
    const at = this.writable(p);
    await fs.promises.mkdir(path.dirname(at), { recursive: true });
    await fs.promises.appendFile(at, content, mode == null ? undefined : { mode });
  }

  async exists(p: string): Promise<boolean> {
    const at = this.at(p);
    return at !== undefined && fs.existsSync(at);
  }

  async stat(p: string): Promise<SessionFsFileInfo> {
    const s = await fs.promises.stat(this.readable(p));
    return { isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size, mtime: s.mtime.toISOString(), birthtime: s.birthtime.toISOString() };
  }

  async mkdir(p: string, recursive: boolean, mode?: number): Promise<void> {
    await fs.promises.mkdir(this.writable(p), { recursive, ...(mode == null ? {} : { mode }) });
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

  private readable(p: string): string {
    const at = this.at(p);
    if (!at) throw missing(p);
    return at;
  }

  private writable(p: string): string {
    const at = this.at(p);
    if (!at) throw denied(p);
    return at;
  }
}

/**
 * Session-state paths to `state`, every other path to `thread` (the thread's folder, see
 * `ThreadFiles`): the runtime's file tools see the thread's folder and nothing else of the disk.
 */
export class SplitFiles implements SessionFsProvider {
  constructor(
    private readonly isState: (p: string) => boolean,
    private readonly state: SessionFsProvider,
    private readonly thread: SessionFsProvider,
  ) {}

  private of(p: string): SessionFsProvider {
    return this.isState(p) ? this.state : this.thread;
  }

  readFile(p: string): Promise<string> {
    return this.of(p).readFile(p);
  }

  writeFile(p: string, content: string, mode?: number): Promise<void> {
    return this.of(p).writeFile(p, content, mode);
  }

  appendFile(p: string, content: string, mode?: number): Promise<void> {
    return this.of(p).appendFile(p, content, mode);
  }

  exists(p: string): Promise<boolean> {
    return this.of(p).exists(p);
  }

  stat(p: string): Promise<SessionFsFileInfo> {
    return this.of(p).stat(p);
  }

  mkdir(p: string, recursive: boolean, mode?: number): Promise<void> {
    return this.of(p).mkdir(p, recursive, mode);
  }

  readdir(p: string): Promise<string[]> {
    return this.of(p).readdir(p);
  }

  readdirWithTypes(p: string): Promise<Array<{ name: string; type: 'file' | 'directory' }>> {
    return this.of(p).readdirWithTypes(p);
  }

  rm(p: string, recursive: boolean, force: boolean): Promise<void> {
    return this.of(p).rm(p, recursive, force);
  }

  async rename(src: string, dest: string): Promise<void> {
    const from = this.of(src);
    if (from !== this.of(dest)) throw Object.assign(new Error(`EXDEV: '${src}' and '${dest}' are in different places`), { code: 'EXDEV' });
    return from.rename(src, dest);
  }
}
