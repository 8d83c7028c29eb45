/**
 * COPILOT_HOME must be a folder the bot can create and write: the runtime keeps its sessions and
 * the threads' files there. Checked before anything starts, so a wrong setting stops the bot with
 * one line naming it (an unusable home once left the bot spinning at full CPU: see `folders.ts`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { makeFolder } from '../infra/folders.js';

export class HomeUnusableError extends Error {
  override name = 'HomeUnusableError';
}

/** Creates `dir` if needed and proves a file can be written in it; throws `HomeUnusableError` saying why not. */
export function checkHome(dir: string, setting = 'COPILOT_HOME'): void {
  try {
    makeFolder(dir);
    const probe = path.join(dir, `.write-check-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' ? 'a part of the path is a file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code === 'ENOENT' ? 'it cannot be created there' : (err as Error).message;
    throw new HomeUnusableError(`${setting}=${dir} cannot be used: ${why}${code ? ` (${code})` : ''}. Set it to a folder the bot can create and write.`);
  }
}
