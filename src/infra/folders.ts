/**
 * Making the folders a setting names (COPILOT_HOME, a SQLite store's folder). Node's
 * `mkdirSync(…, { recursive: true })` never returns for a path under `/proc`: the folder is
 * refused with ENOENT, its parent exists, and Node tries again forever at full CPU.
 */
import fs from 'node:fs';
import path from 'node:path';

/** `mkdir -p`, each level tried once: the first refusal is the answer. */
export function makeFolder(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  while (!fs.existsSync(at)) {
    missing.unshift(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const level of missing) {
    try {
      fs.mkdirSync(level);
    } catch (err) {
      // Made meanwhile by someone else: fine.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
