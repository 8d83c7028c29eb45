/**
 * A thread's folder as the runtime's file tools see it (through the SDK's `sessionFs`): every
 * path is resolved inside the folder by the bot itself, one directory at a time, each opened
 * without following a link (`O_NOFOLLOW`) and the next looked up in that open directory
 * (`/proc/self/fd/<fd>/<name>`). A symbolic link is followed only when where it points is inside
 * the folder too; one that leads out is refused (EACCES), and so is a chain of more than 40. A
 * write never follows a final link and never writes a file with more than one hard link. So no
 * link a tool makes, and no race swapping a folder for a link while a path is resolved, can make
 * the bot read or write a file outside the thread's folder: the check is made on the very
 * directories that are then used, not on the path's text.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SessionFsFileInfo, SessionFsProvider } from '@github/copilot-sdk';

const { O_RDONLY, O_WRONLY, O_CREAT, O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
const MAX_LINKS = 40;
/**
 * Largest file the bot reads for a file tool: the bot holds it in memory (a sparse file of
 * gigabytes costs a tool nothing to make).
 */
export const MAX_READ_BYTES = 32 * 1024 * 1024;

function fsError(code: 'ENOENT' | 'EACCES' | 'ELOOP' | 'EISDIR' | 'ENOTDIR' | 'EFBIG', message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** An open directory inside the folder: where it is (relative parts) and how to reach into it. */
interface Dir {
  handle: fs.promises.FileHandle;
  parts: string[];
}

const at = (dir: Dir, name: string) => `/proc/self/fd/${dir.handle.fd}/${name}`;

/** Whose what the bot makes in a thread's folder is (the sandbox's user, so its tools may change it). */
export interface FolderOwner {
  uid: number;
  gid: number;
}

export class ThreadFiles implements SessionFsProvider {
  private readonly root: string;

  /** `folder`: the thread's folder, as the runtime names it (the same path on the host). */
  constructor(
    folder: string,
    private readonly owner?: FolderOwner,
  ) {
    this.root = path.resolve(folder);
  }

  /** Gives what was just made to the folder's owner, through its open handle (never through a link). */
  private async own(handle: fs.promises.FileHandle): Promise<void> {
    if (this.owner) await handle.chown(this.owner.uid, this.owner.gid);
  }

  /** Makes directory `name` in `dir`, owned by the folder's owner. EEXIST when it is there already. */
  private async makeDir(dir: Dir, name: string, mode = 0o755): Promise<void> {
    await fs.promises.mkdir(at(dir, name), mode);
    if (!this.owner) return;
    const made = await fs.promises.open(at(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    try {
      await this.own(made);
    } finally {
      await made.close();
    }
  }

  /** The parts of `p` below the folder, or undefined when `p` is not in it. */
  private partsOf(p: string): string[] | undefined {
    const abs = path.posix.resolve(this.root, p);
    if (abs === this.root) return [];
    if (!abs.startsWith(`${this.root}/`)) return undefined;
    return abs.slice(this.root.length + 1).split('/').filter(Boolean);
  }

  /**
   * Opens the directory `parts` names, following links that stay inside (`links` counts them
   * across the whole resolution). With `create`, missing directories are made.
   */
  private async openDir(parts: string[], create: boolean, links = { n: 0 }): Promise<Dir> {
    if (!fs.existsSync(this.root)) {
      await fs.promises.mkdir(this.root, { recursive: true, mode: 0o700 });
      if (this.owner) await fs.promises.lchown(this.root, this.owner.uid, this.owner.gid);
    }
    let dir: Dir = { handle: await fs.promises.open(this.root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), parts: [] };
    try {
      for (let i = 0; i < parts.length; i++) {
        const name = parts[i]!;
        let next: fs.promises.FileHandle;
        try {
          next = await fs.promises.open(at(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' && create) {
            await this.makeDir(dir, name).catch((e: NodeJS.ErrnoException) => {
              if (e.code !== 'EEXIST') throw e;
            });
            i--;
            continue;
          }
          // A link (ELOOP; ENOTDIR from O_DIRECTORY on some kernels when it points at a file).
          if (code === 'ELOOP' || code === 'ENOTDIR') {
            const target = await this.linkTarget(dir, name, links);
            if (target) {
              await dir.handle.close();
              return await this.openDir([...target, ...parts.slice(i + 1)], create, links);
            }
          }
          throw err;
        }
        await dir.handle.close();
        dir = { handle: next, parts: [...dir.parts, name] };
      }
      return dir;
    } catch (err) {
      await dir.handle.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Where the link `name` in `dir` points, as parts below the folder; undefined when it is not a
   * link. Throws EACCES when it points outside the folder, ELOOP past MAX_LINKS links.
   */
  private async linkTarget(dir: Dir, name: string, links: { n: number }): Promise<string[] | undefined> {
    let target: string;
    try {
      target = await fs.promises.readlink(at(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
      throw err;
    }
    if (++links.n > MAX_LINKS) throw fsError('ELOOP', `too many levels of symbolic links in ${[...dir.parts, name].join('/')}`);
    const from = path.posix.join(this.root, ...dir.parts);
    const parts = this.partsOf(path.posix.resolve(from, target));
    if (!parts) throw fsError('EACCES', `${[...dir.parts, name].join('/')} is a link that leads out of this thread's folder`);
    return parts;
  }

  /** The directory holding `p`'s last part, and that part (links in the directories followed). */
  private async parentOf(p: string, create: boolean, links = { n: 0 }): Promise<{ dir: Dir; name: string }> {
    const parts = this.partsOf(p);
    if (!parts) throw fsError('EACCES', `only this thread's folder can be used, not '${p}'`);
    if (parts.length === 0) throw fsError('EISDIR', `'${p}' is the thread's folder itself`);
    return { dir: await this.openDir(parts.slice(0, -1), create, links), name: parts.at(-1)! };
  }

  /** Runs `fn` on what `p` names, a final link followed when it stays inside. */
  private async resolved<T>(p: string, fn: (dir: Dir, name: string) => Promise<T>): Promise<T> {
    const parts = this.partsOf(p);
    if (!parts) throw fsError('ENOENT', `no such file or directory, '${p}'`);
    if (parts.length === 0) {
      // The folder itself: its parent is outside, so it is reached as "." of itself.
      const dir = await this.openDir([], false);
      try {
        return await fn(dir, '.');
      } finally {
        await dir.handle.close();
      }
    }
    const links = { n: 0 };
    let { dir, name } = await this.parentOf(p, false, links);
    for (;;) {
      const target = await this.linkTarget(dir, name, links).catch(async (err: unknown) => {
        await dir.handle.close();
        throw err;
      });
      if (!target) break;
      await dir.handle.close();
      if (target.length === 0) {
        dir = await this.openDir([], false, links);
        name = '.';
        break;
      }
      dir = await this.openDir(target.slice(0, -1), false, links);
      name = target.at(-1)!;
    }
    try {
      return await fn(dir, name);
    } finally {
      await dir.handle.close();
    }
  }

  /** Opens `p` for writing: never through a final link, never a file with other hard links. */
  private async openForWrite(p: string, flags: number, mode: number | undefined): Promise<fs.promises.FileHandle> {
    const { dir, name } = await this.parentOf(p, true);
    try {
      // Non-blocking: a FIFO a tool made must not hold one of the bot's threads forever (ENXIO instead).
      const file = await fs.promises.open(at(dir, name), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | flags, mode ?? 0o644).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'ELOOP' ? fsError('ELOOP', `'${p}' is a symbolic link: files are not written through links`) : err;
      });
      const stat = await file.stat();
      if (!stat.isFile() || stat.nlink > 1) {
        await file.close();
        throw fsError('EACCES', `'${p}' ${stat.isFile() ? 'has other hard links' : 'is not a regular file'}: not written`);
      }
      if (this.owner && stat.uid !== this.owner.uid) await this.own(file);
      return file;
    } finally {
      await dir.handle.close();
    }
  }

  async readFile(p: string): Promise<string> {
    return this.resolved(p, async (dir, name) => {
      const file = await fs.promises.open(at(dir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
      try {
        const stat = await file.stat();
        if (stat.isDirectory()) throw fsError('EISDIR', `'${p}' is a directory`);
        if (!stat.isFile()) throw fsError('EACCES', `'${p}' is not a regular file: not read`);
        if (stat.size > MAX_READ_BYTES) throw fsError('EFBIG', `'${p}' is ${Math.round(stat.size / 1048576)} MB, more than file tools read (${MAX_READ_BYTES / 1048576} MB)`);
        return await file.readFile('utf8');
      } finally {
        await file.close();
      }
    });
  }

  /** `content` as text (the runtime's calls) or bytes (files people attached). */
  async writeFile(p: string, content: string | Buffer, mode?: number): Promise<void> {
    const file = await this.openForWrite(p, 0, mode);
    try {
      await file.truncate(0);
      if (typeof content === 'string') await file.write(content, 0, 'utf8');
      else await file.write(content, 0, content.length, 0);
    } finally {
      await file.close();
    }
  }

  async appendFile(p: string, content: string, mode?: number): Promise<void> {
    const file = await this.openForWrite(p, O_APPEND, mode);
    try {
      await file.write(content, null, 'utf8');
    } finally {
      await file.close();
    }
  }

  async exists(p: string): Promise<boolean> {
    return this.stat(p).then(
      () => true,
      () => false,
    );
  }

  async stat(p: string): Promise<SessionFsFileInfo> {
    return this.resolved(p, async (dir, name) => {
      const s = await fs.promises.lstat(at(dir, name));
      return { isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size, mtime: s.mtime.toISOString(), birthtime: s.birthtime.toISOString() };
    });
  }

  async mkdir(p: string, recursive: boolean, mode?: number): Promise<void> {
    const parts = this.partsOf(p);
    if (!parts) throw fsError('EACCES', `only this thread's folder can be used, not '${p}'`);
    if (parts.length === 0) return;
    const { dir, name } = await this.parentOf(p, recursive);
    try {
      await this.makeDir(dir, name, mode ?? 0o755).catch((err: NodeJS.ErrnoException) => {
        if (!(recursive && err.code === 'EEXIST')) throw err;
      });
    } finally {
      await dir.handle.close();
    }
  }

  async readdir(p: string): Promise<string[]> {
    return (await this.readdirWithTypes(p)).map((e) => e.name);
  }

  async readdirWithTypes(p: string): Promise<Array<{ name: string; type: 'file' | 'directory' }>> {
    const parts = this.partsOf(p);
    if (!parts) throw fsError('ENOENT', `no such file or directory, '${p}'`);
    const dir = await this.openDir(parts, false);
    try {
      const entries = await fs.promises.readdir(`/proc/self/fd/${dir.handle.fd}`, { withFileTypes: true });
      return entries.map((d) => ({ name: d.name, type: d.isDirectory() ? ('directory' as const) : ('file' as const) }));
    } finally {
      await dir.handle.close();
    }
  }

  async rm(p: string, recursive: boolean, force: boolean): Promise<void> {
    const parts = this.partsOf(p);
    if (!parts || parts.length === 0) throw fsError('EACCES', `'${p}' cannot be removed`);
    let parent: { dir: Dir; name: string };
    try {
      parent = await this.parentOf(p, false);
    } catch (err) {
      if (force && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      await removeEntry(parent.dir, parent.name, recursive);
    } catch (err) {
      if (!(force && (err as NodeJS.ErrnoException).code === 'ENOENT')) throw err;
    } finally {
      await parent.dir.handle.close();
    }
  }

  async rename(src: string, dest: string): Promise<void> {
    const from = await this.parentOf(src, false);
    try {
      const to = await this.parentOf(dest, true);
      try {
        await fs.promises.rename(at(from.dir, from.name), at(to.dir, to.name));
      } finally {
        await to.dir.handle.close();
      }
    } finally {
      await from.dir.handle.close();
    }
  }
}

/** Removes `name` in `dir` (a link itself, never what it points to), its contents too with `recursive`. */
async function removeEntry(dir: Dir, name: string, recursive: boolean): Promise<void> {
  const stat = await fs.promises.lstat(at(dir, name));
  if (!stat.isDirectory()) return fs.promises.unlink(at(dir, name));
  if (!recursive) return fs.promises.rmdir(at(dir, name));
  // Into the directory through an open handle, so a folder swapped for a link is never followed.
  const handle = await fs.promises.open(at(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    const inner: Dir = { handle, parts: [...dir.parts, name] };
    for (const entry of await fs.promises.readdir(`/proc/self/fd/${handle.fd}`)) await removeEntry(inner, entry, true);
  } finally {
    await handle.close();
  }
  await fs.promises.rmdir(at(dir, name));
}

/**
 * Removes a thread's folder (forget, retention), also when a tool left folders in it that its
 * owner may not enter (`chmod 000`): those are opened up first, never following a link.
 */
export async function removeThreadFolder(folder: string): Promise<void> {
  try {
    await fs.promises.rm(folder, { recursive: true, force: true });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EACCES' && (err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
  const openUp = async (dir: string): Promise<void> => {
    const stat = await fs.promises.lstat(dir).catch(() => undefined);
    if (!stat?.isDirectory()) return;
    await fs.promises.chmod(dir, 0o700);
    for (const name of await fs.promises.readdir(dir)) await openUp(path.join(dir, name));
  };
  await openUp(folder);
  await fs.promises.rm(folder, { recursive: true, force: true });
}
