/**
 * vitest globalSetup: builds `dist/` once before any test runs, so the process tests start the
 * same `node dist/...` entry points users run, compiled from the code under test.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function build(): void {
  execFileSync(process.execPath, [path.resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
