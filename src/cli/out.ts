/** What every admin CLI command writes to, asks through, and acts as. */
import os from 'node:os';
import type { Style } from '../infra/terminal-style.js';

export interface Out {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Asks a person; absent when nobody can answer (no terminal). */
  confirm?: (question: string) => Promise<boolean>;
  /** Colours, on a terminal only. */
  style?: Style;
  now?: () => Date;
}

/** How the admin CLI appears in the audit trail: `cli:<the operating-system user>`. */
export function cliActor(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}
