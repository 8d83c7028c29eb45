/**
 * The console adapter: a terminal chat in one named thread, through the same conversation core
 * as Slack and Discord. Thread `NAME` of local user `USER` is session `local-<USER>-<NAME>`.
 */
import os from 'node:os';
import readline from 'node:readline';
import type { Conversation } from '../../src/core/conversation.js';
import { approvalCard, type ApprovalChoice } from '../../src/core/approvals.js';
import { sessionIdFor, type ThreadRef } from '../../src/core/thread.js';

export function consoleThread(name: string, user = localUser()): ThreadRef {
  return { platform: 'local', workspace: user, channel: name, thread: name, user };
}

export function localUser(): string {
  try {
    return os.userInfo().username || 'user';
  } catch {
    return process.env.USER ?? 'user';
  }
}

export interface ConsoleIO {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  color: boolean;
}

const EXIT = new Set(['/quit', '/exit', '/q']);

/** Reads lines until end of input or `/quit`; every line is answered before the next is read. */
export async function runConsole(conversation: Conversation, thread: ThreadRef, io: ConsoleIO): Promise<void> {
  const paint = (code: string, s: string) => (io.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const write = (s: string) => io.output.write(s);
  write(`${paint('1', `copilot-threads · thread "${thread.thread}"`)} (session ${sessionIdFor(thread)})\n`);
  write(paint('2', 'Type a message. Commands: /history [page], /forget, /sessions, /help, /quit.\n'));
  const rl = readline.createInterface({ input: io.input, terminal: false });
  // One reader of the input: the chat loop, and an approval question asked in the middle of a turn.
  const lines = rl[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string | undefined> => {
    const r = await lines.next();
    return r.done ? undefined : String(r.value);
  };
  conversation.useApprovalCards('local', {
    post: async (request) => {
      const card = approvalCard(request, (u) => u);
      write(`\n${paint('33', card.title.replace(/`/g, ''))}\n  ${paint('1', card.detail)}\n${card.intention ? `  ${paint('2', card.intention)}\n` : ''}`);
      write(paint('33', 'Allow it? [y]es once / [N]o / [a]lways in this thread: '));
      void nextLine().then(async (answer) => {
        const choice = consoleChoice(answer);
        const result = await conversation.decideApproval(thread, request.id, choice);
        if (!result.ok) write(`${paint('33', 'bot › ')}${result.text}\n`);
      });
      return { console: 'stdout' };
    },
    update: async (request) => {
      write(`${paint('2', approvalCard(request, (u) => u).status.replace(/`/g, ''))}\n`);
    },
  });
  const prompt = () => write(paint('36', 'you › '));
  prompt();
  for (let raw = await nextLine(); raw !== undefined; raw = await nextLine()) {
    const line = raw.trim();
    if (EXIT.has(line.toLowerCase())) break;
    if (!line) {
      prompt();
      continue;
    }
    let streamed = false;
    const reply = await conversation.handleMessage(thread, line, {
      onDelta: (text) => {
        if (!streamed) write(paint('32', 'copilot › '));
        streamed = true;
        write(text);
      },
    });
    if (reply.kind === 'answer' && streamed) write('\n');
    else {
      const label = reply.kind === 'error' ? paint('31', 'error › ') : reply.kind === 'answer' ? paint('32', 'copilot › ') : paint('33', 'bot › ');
      if (streamed) write('\n');
      write(`${label}${reply.text}\n`);
    }
    prompt();
  }
  rl.close();
  write('\n');
}

/** `y`/`yes` once, `a`/`always` for the thread; anything else (Enter, end of input) is no. */
export function consoleChoice(answer: string | undefined): ApprovalChoice {
  const a = (answer ?? '').trim().toLowerCase();
  if (a === 'y' || a === 'yes') return 'once';
  if (a === 'a' || a === 'always') return 'always';
  return 'deny';
}
