/**
 * The console adapter: a terminal chat in one named thread, through the same conversation core
 * as Slack and Discord. Thread `NAME` of local user `USER` is session `local-<USER>-<NAME>`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { helpText, type Conversation, type MessageOptions } from '../../src/core/conversation.js';
import { parseInput } from '../../src/core/commands/parse.js';
import { FileTooLargeError, gatherFiles, skippedNote, type InboundFile } from '../../src/core/attachments.js';
import { type ApprovalChoice } from '../../src/core/approvals/desk.js';
import { approvalCard } from '../../src/core/approvals/card.js';
import { visible } from '../../src/core/exact-text.js';
import { sessionIdFor, type ThreadRef } from '../../src/core/thread.js';
import type { Reply } from '../../src/core/reply.js';
import { MarkdownBlocks, terminalRenderer, type Render } from './markdown.js';
import type { Scheduler } from '../../src/core/schedules/scheduler.js';
import { Spinner } from './spinner.js';

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
  /**
   * A person at a terminal: line editing and input history (readline), a spinner while Copilot
   * works, Markdown rendered a block at a time. Otherwise (a pipe) plain lines, streamed as written.
   */
  tty?: boolean;
  /** Where the input history is kept between runs (terminal only). */
  historyFile?: string;
  width?: number;
  /** Runs this thread's scheduled prompts while the chat is open (printed as they come). Absent: they wait for a chat that runs them. */
  scheduler?: Scheduler;
}

const EXIT = new Set(['/quit', '/exit', '/q']);

/** The chat's own help: the thread commands as typed here (with their slash), and the console's own. */
const CONSOLE_HELP = [
  helpText('/'),
  '• `/attach PATH`: a picture or text file that goes with your next message',
  '• `/quit` (or Ctrl-D): leave; the thread is kept for next time',
].join('\n');
const HISTORY_KEPT = 500;

/** Reads lines until end of input or `/quit`; every line is answered before the next is read. */
export async function runConsole(conversation: Conversation, thread: ThreadRef, io: ConsoleIO): Promise<void> {
  const paint = (code: string, s: string) => (io.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const write = (s: string) => io.output.write(s);
  const tty = io.tty === true;
  write(`${paint('1', `copilot-threads · thread "${thread.thread}"`)} (session ${sessionIdFor(thread)})\n`);
  write(paint('2', `Type a message. Commands: /attach PATH (a file for your next message), /history [page], /forget, /sessions, /usage, /schedule "<when>" <prompt>, /schedules, /help, /quit.${tty ? ' ↑/↓ recall earlier lines.' : ''}\n`));
  const say = (text: string) => write(tty ? `${paint('33', 'bot ›')}\n${render(text)}` : `${paint('33', 'bot › ')}${render(text)}`);
  const rl = tty
    ? readline.createInterface({ input: io.input, output: io.output, terminal: true, history: loadHistory(io.historyFile), historySize: HISTORY_KEPT, removeHistoryDuplicates: true })
    : readline.createInterface({ input: io.input, terminal: false });
  if (tty && io.historyFile) rl.on('history', (lines: string[]) => saveHistory(io.historyFile!, lines));
  // One reader of the input: the chat loop, and an approval question asked in the middle of a turn.
  const lines = rl[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string | undefined> => {
    const r = await lines.next();
    return r.done ? undefined : String(r.value);
  };
  /** A question answered by the next line; a pipe's answer is echoed, as its other lines are. */
  const ask = async (question: string): Promise<string | undefined> => {
    if (tty) {
      rl.setPrompt(question);
      rl.prompt();
    } else write(question);
    const answer = await nextLine();
    if (!tty) write(`${answer ?? ''}\n`);
    return answer;
  };
  const spinner = tty ? new Spinner(io.output) : undefined;
  // A pipe gets plain text with its lines as they are; a terminal wraps to its width.
  const render = terminalRenderer(io.color, tty ? (io.width ?? 100) : undefined);
  conversation.useApprovalCards('local', {
    post: async (request) => {
      spinner?.stop();
      const card = approvalCard(request, (u) => u);
      write(`\n${paint('33', card.title.replace(/`/g, ''))}\n  ${paint('1', card.detail)}\n${card.intention ? `  ${paint('2', card.intention)}\n` : ''}`);
      // Here the whole exact text is printed, every invisible or control character written as an escape.
      if (card.notice) write(`${paint('33', card.notice.replace('Read the attached file before deciding', 'Read the whole text below before deciding'))}\n`);
      if (card.attachment) write(`${paint('2', '  exactly, in full:')}\n  ${paint('1', visible(card.attachment.content).replace(/\n/g, '\n  '))}\n`);
      void ask(paint('33', 'Allow it? [y]es once / [N]o / [a]lways for me in this thread: ')).then(async (answer) => {
        const choice = consoleChoice(answer);
        const result = await conversation.decideApproval(thread, request.id, choice);
        if (!result.ok) write(`${paint('33', 'bot › ')}${result.text}\n`);
        spinner?.start('Copilot is working…');
      });
      return { console: 'stdout' };
    },
    update: async (request) => {
      write(`${paint('2', approvalCard(request, (u) => u).status.replace(/`/g, ''))}\n`);
    },
  });
  const you = paint('36', 'you › ');
  const prompt = () => {
    if (tty) {
      rl.setPrompt(you);
      rl.prompt();
    } else write(you);
  };
  // This thread's schedules run while the chat is open: the prompt is printed as if typed, then its answer.
  io.scheduler?.use('local', {
    accepts: (s) => s.thread.thread === thread.thread && s.thread.user === thread.user,
    person: async (s) => s.thread,
    run: async (s, as) => {
      spinner?.stop();
      write(`\n${paint('33', `⏰ scheduled \`${s.id}\` (${s.rule.kind === 'once' ? 'once' : s.when}) ›`)} ${visible(s.prompt)}\n`);
      const extra: MessageOptions = { admitted: true, tell: async (r) => void say(accountText(r)) };
      if (tty) await answerOnTerminal(conversation, as, s.prompt, { write, paint, spinner: spinner!, render }, extra);
      else await answerPlain(conversation, as, s.prompt, { write, paint, render }, extra);
      prompt();
    },
    say: async (_s, text) => void write(`\n${paint('33', 'bot › ')}${text}\n`),
    tell: async (_s, reply) => void write(`\n${paint('33', 'bot › ')}${reply.text}\n`),
  });
  io.scheduler?.start();
  prompt();
  // Files named with /attach go with the next message, as a file dropped in a chat thread does.
  let attached: InboundFile[] = [];
  for (let raw = await nextLine(); raw !== undefined; raw = await nextLine()) {
    const line = raw.trim();
    // A pipe does not echo what was read: the transcript shows it, one speaker per line.
    if (!tty) write(`${line}\n`);
    if (EXIT.has(line.toLowerCase())) break;
    const parsed = parseInput(line);
    if (parsed.kind === 'command' && parsed.command.kind === 'help') {
      say(CONSOLE_HELP);
      prompt();
      continue;
    }
    // Forgetting cannot be undone: asked first, as every other surface does (an answer other than y keeps it).
    if (parsed.kind === 'command' && parsed.command.kind === 'forget') {
      const answer = await ask(paint('33', "Forget this thread's Copilot session for good? [y/N] "));
      if (!/^y(es)?$/i.test((answer ?? '').trim())) {
        say('Nothing forgotten.');
        prompt();
        continue;
      }
    }
    const attach = /^\/attach(?:\s+(.*))?$/i.exec(line);
    if (attach) {
      const said = attachFile(attach[1]?.trim() ?? '', attached);
      write(`${paint('33', 'bot › ')}${said}\n`);
      prompt();
      continue;
    }
    if (!line && attached.length === 0) {
      prompt();
      continue;
    }
    // Per-user: a person whose GitHub account is not connected connects it first; the line is answered then.
    if (parsed.kind === 'prompt') {
      const signIn = await conversation.signIn(thread, async (r) => void say(accountText(r)));
      if (signIn) {
        say(accountText(await signIn.said));
        if (!(await signIn.linked)) {
          prompt();
          continue;
        }
      }
    }
    const files = attached.length ? gatherFiles(attached, readLocalFile, conversation.fileLimits) : undefined;
    attached = [];
    if (files) {
      const { skipped } = await files;
      if (skipped.length) write(`${paint('33', 'bot › ')}${skippedNote(skipped)}\n`);
    }
    const extra: MessageOptions = { ...(files ? { files } : {}), tell: async (r) => void say(accountText(r)) };
    const reply = tty ? await answerOnTerminal(conversation, thread, line, { write, paint, spinner: spinner!, render }, extra) : await answerPlain(conversation, thread, line, { write, paint, render }, extra);
    void reply;
    prompt();
  }
  io.scheduler?.stop();
  spinner?.stop();
  rl.close();
  write('\n');
}

/** A reply about the person's GitHub account, with its link spelled out (a terminal has no buttons). */
function accountText(reply: Reply): string {
  return reply.kind === 'account' && reply.link && !reply.text.includes(reply.link.url) ? `${reply.text}\n${reply.link.label}: ${reply.link.url}` : reply.text;
}

interface Out {
  write: (s: string) => void;
  paint: (code: string, s: string) => string;
}

/** At the console the person is the operator: a failed turn's reason is shown, not only its ref. */
function reasonOf(reply: Reply, paint: Out['paint']): string {
  // The upstream's words, shown with every escape visible: a terminal must not act on them.
  return reply.kind === 'error' && reply.reason ? `${paint('2', `  reason: ${visible(reply.reason.replace(/\s+/g, ' ')).slice(0, 500)}`)}\n` : '';
}

/** What a reply reads as here: the console is one person's, so a private list's own count shows too. */
function textOf(reply: Reply): string {
  return reply.kind === 'schedules' && reply.footer ? `${reply.text}\n${reply.footer}` : reply.text;
}

function label(kind: Reply['kind'], paint: Out['paint']): string {
  return kind === 'error' ? paint('31', 'error › ') : kind === 'answer' ? paint('32', 'copilot › ') : paint('33', 'bot › ');
}

/**
 * A pipe: plain text, each paragraph (or code block) written once it is complete, the first
 * after a `copilot › ` label; a reply that did not stream (a command, an error) after its own.
 */
async function answerPlain(conversation: Conversation, thread: ThreadRef, line: string, { write, paint, render }: Out & { render: Render }, extra: MessageOptions = {}): Promise<Reply> {
  const blocks = new MarkdownBlocks();
  let shown = false;
  const show = (markdown: string) => {
    write(shown ? '\n' : paint('32', 'copilot › '));
    shown = true;
    write(render(markdown));
  };
  const reply = await conversation.handleMessage(thread, line, {
    ...extra,
    onDelta: (text) => {
      for (const block of blocks.push(text)) show(block);
    },
  });
  if (reply.kind === 'answer' && shown) {
    const rest = blocks.end();
    if (rest) show(rest);
    return reply;
  }
  if (shown) write('\n');
  write(`${label(reply.kind, paint)}${render(textOf(reply))}${reasonOf(reply, paint)}`);
  return reply;
}

/** A terminal: a spinner until each block of the answer is complete, then that block rendered. */
async function answerOnTerminal(conversation: Conversation, thread: ThreadRef, line: string, out: Out & { spinner: Spinner; render: Render }, extra: MessageOptions = {}): Promise<Reply> {
  const { write, paint, spinner, render } = out;
  const blocks = new MarkdownBlocks();
  let shown = false;
  const show = (markdown: string) => {
    spinner.stop();
    if (!shown) write(`${paint('32', 'copilot ›')}\n`);
    shown = true;
    write(render(markdown));
    write('\n');
  };
  spinner.start('Copilot is thinking…');
  const reply = await conversation.handleMessage(thread, line, {
    ...extra,
    onDelta: (text) => {
      for (const block of blocks.push(text)) show(block);
      spinner.start();
    },
    onProgress: (p) => {
      if (p.kind === 'tool') spinner.start(p.phase === 'start' ? `running ${p.name}…` : 'Copilot is thinking…');
    },
  });
  spinner.stop();
  if (reply.kind === 'answer' && shown) {
    const rest = blocks.end();
    if (rest) show(rest);
    return reply;
  }
  // Nothing streamed (a command, an error), or the answer differs from what streamed: shown whole.
  write(`${label(reply.kind, paint).trimEnd()}\n${render(textOf(reply))}${reasonOf(reply, paint)}\n`);
  return reply;
}

function loadHistory(file: string | undefined): string[] {
  if (!file) return [];
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, HISTORY_KEPT);
  } catch {
    return [];
  }
}

/** readline's history is newest first; the file is oldest first, private to its owner. */
function saveHistory(file: string, lines: readonly string[]): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // `/quit` is how a run ends, not something to recall first next time.
    const kept = lines.filter((l) => !EXIT.has(l.trim().toLowerCase())).slice(0, HISTORY_KEPT);
    fs.writeFileSync(file, `${[...kept].reverse().join('\n')}\n`, { mode: 0o600 });
  } catch {
    // A history that cannot be kept is no reason to stop chatting.
  }
}

/** `y`/`yes` once, `a`/`always` for the thread; anything else (Enter, end of input) is no. */
export function consoleChoice(answer: string | undefined): ApprovalChoice {
  const a = (answer ?? '').trim().toLowerCase();
  if (a === 'y' || a === 'yes') return 'once';
  if (a === 'a' || a === 'always') return 'always';
  return 'deny';
}

/** `/attach PATH`: the file goes with the next message; what is said back. */
function attachFile(given: string, attached: InboundFile[]): string {
  if (!given) return 'Say which file: `/attach PATH`.';
  const file = path.resolve(given.replace(/^~(?=$|\/)/, os.homedir()));
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return `There is no file at ${file}.`;
  }
  if (!stat.isFile()) return `${file} is not a file.`;
  attached.push({ id: file, name: path.basename(file), size: stat.size });
  return `Attached ${path.basename(file)} (${Math.max(1, Math.round(stat.size / 1024))} KB): it goes with your next message.`;
}

/** A local file for `gatherFiles`, read no further than the cap. */
async function readLocalFile(file: InboundFile, maxBytes: number): Promise<Buffer> {
  const handle = await fs.promises.open(file.id, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes + 1, 0);
    if (bytesRead > maxBytes) throw new FileTooLargeError(file.name);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
