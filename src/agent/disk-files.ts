/**
 * A `sessionFs` provider over real files, for the paths `at` maps (to a file on disk, or to
 * nothing: then reads say ENOENT and writes EACCES). With `sessionFs` the runtime's file tools go
 * through the provider for the workspace too, so both session stores serve the workspace with it
 * (and nothing else of the disk); `DiskSessions` serves the session state with it as well.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SessionFsFileInfo, SessionFsProvider } from '@github/copilot-sdk';
import { isInside } from './permissions.js';

export function missing(p: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT' });
}

function denied(p: string): Error {
  return Object.assign(new Error(`EACCES: only the session state and the workspace are writable, not '${p}'`), { code: 'EACCES' });
}

/** `p` when it is inside `workDir` (resolved), else undefined. */
export function inWorkspace(workDir: string, p: string): string | undefined {
  return isInside(workDir, p) ? path.resolve(workDir, p) : undefined;
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
