/** Programs on PATH, as the shell would find them. */
import fs from 'node:fs';
import path from 'node:path';

/** The first `name` on PATH that is an executable file, as it really is (links followed). */
export function which(name: string, pathVar = process.env.PATH ?? '/usr/bin:/bin'): string | undefined {
  for (const dir of pathVar.split(':')) {
    const file = path.join(dir || '.', name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return fs.realpathSync(file);
    } catch {
      // not here
    }
  }
  return undefined;
}
