/**
 * Loads `dependency` exactly as an installed package resolves it: the same copy, even when npm
 * nests several versions (two undicis: Bolt's 7, discord.js's 6). For handing a library an object
 * of its own dependency's kind (an undici dispatcher, a pg pool). `owners` is the path from this
 * app to that package (`['discord.js', '@discordjs/rest']`), wherever npm placed each one.
 */
import { createRequire } from 'node:module';

export function requireFrom<T>(owners: readonly string[], dependency: string): T {
  let require = createRequire(import.meta.url);
  for (const owner of owners) require = createRequire(require.resolve(owner));
  return require(dependency) as T;
}
