/** Runs the test model server on its own, for trying the bot offline: `npx tsx test/support/serve-model.ts [port]`. */
import { startModelServer } from './model-server.js';

const server = await startModelServer(undefined, Number(process.argv[2] ?? 0));
process.stdout.write(`fake model at ${server.url} (model name: test-model)\n`);
