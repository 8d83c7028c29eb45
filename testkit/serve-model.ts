/**
 * Runs the test model server on its own, for trying the bot offline:
 * `npx tsx testkit/serve-model.ts [port] [--tools]` (`--tools`: `run NAME` asks for bash, `fetch URL` for web_fetch).
 */
import { startModelServer, toolScript } from './model-server.js';

const args = process.argv.slice(2);
const server = await startModelServer(args.includes('--tools') ? toolScript : undefined, Number(args.find((a) => /^\d+$/.test(a)) ?? 0));
process.stdout.write(`fake model at ${server.url} (model name: test-model)\n`);
