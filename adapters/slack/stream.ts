/**
 * One turn's answer as a native Slack stream (`chat.startStream` / `appendStream` / `stopStream`):
 * the stream opens when the message arrives (in arrival order) with a "Thinking" task, tools show
 * as tasks while they run, the text follows as Copilot writes it, and the 👍/👎 buttons come with
 * the stop.
 *
 * Slack ends a stream on its own after a few minutes or past a size (`message_not_in_streaming_state`);
 * the bot also rotates before either limit. Either way the rest continues in a new streamed
 * message, starting with the text the closed stream did not take, so nothing is lost; a code
 * block open at the cut is closed in the old message (when it still can be) and reopened in the new.
 * If streaming is refused at the start, the turn falls back to the placeholder-and-edit replier.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../src/infra/log.js';
import type { Reservation } from '../../src/core/queue.js';
import type { TurnProgress } from '../../src/core/ports.js';
import { openFence } from '../shared/chunk.js';
import { describe, ThreadReplier } from './replier.js';
import type { Block } from './blocks.js';

export const STREAM_FLUSH_MS = 800;
/** Rotate before Slack's own limits: a streamed message's text, and its age. */
export const STREAM_MESSAGE_CHARS = 12_000;
export const STREAM_MAX_AGE_MS = 4 * 60_000;

/** Slack's answers that mean "this stream is over" (not "this request was bad"). */
const STREAM_CLOSED = new Set(['message_not_in_streaming_state', 'streaming_state_conflict', 'msg_too_long', 'message_too_long']);

export interface Replier {
  /** `waiting`: the turn waits behind another's approval request, and says so. */
  start(place?: Reservation, waiting?: boolean): void;
  onDelta(text: string): void;
  onProgress(progress: TurnProgress): void;
  /** The turn still runs after `elapsed` (a long tool): keep what shows it alive. */
  keepAlive?(elapsed: string): void;
  finish(markdown: string): Promise<void>;
}

export interface StreamTarget {
  channel: string;
  threadTs: string;
  /** Who the answer is for: Slack needs both outside DMs. */
  teamId: string;
  userId: string;
}

/** The fence line (```lang) a text leaves open, if any. */
export function openFenceLine(text: string): string | undefined {
  const open = openFence(text);
  return open ? `${open.marker}${open.info}` : undefined;
}

/** `<!here>`, `<@U…>`, `<#C…>` written by the model stay text: a word joiner after every `<`. */
export function defuse(markdown: string): string {
  return markdown.replaceAll('<', '<\u2060');
}

export class StreamReplier implements Replier {
  private chain: Promise<void> = Promise.resolve();
  private ts: string | undefined;
  private startedAt = 0;
  /** The raw Markdown in the current streamed message. */
  private sent = '';
  private pending = '';
  /** The text of the assistant message being written (the final answer is the last one). */
  private current = '';
  private messageDone = false;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  private fallback: ThreadReplier | undefined;
  private tools = 0;
  /** The "Thinking" task, until the first text or tool is shown (then it is complete). */
  private thinking: string | undefined;
  private readonly running: string[] = [];
  private readonly toolNames = new Map<string, string>();

  constructor(
    private readonly client: WebClient,
    private readonly target: StreamTarget,
    private readonly log: Logger,
    private readonly feedback: Block[],
    private readonly onMessage: (ts: string) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  start(place?: Reservation, waiting = false): void {
    const open = async () => {
      try {
        const title = waiting ? 'Queued behind the approval request above' : 'Thinking';
        await this.open([{ type: 'task_update', id: 'thinking', title, status: 'in_progress' }]);
        this.thinking = title;
      } catch (err) {
        // Streaming is not available here (an old workspace, a channel type): placeholder and edits instead.
        this.log.warn({ err: describe(err), channel: this.target.channel, thread: this.target.threadTs }, 'Slack: could not start a stream; answering by editing a message instead');
        this.fallback = new ThreadReplier(this.client, this.target.channel, this.target.threadTs, this.log, this.onMessage, this.feedback);
        this.fallback.start(undefined, waiting);
        await this.fallback.settled();
      }
    };
    this.enqueue(() => (place ? place.run(open) : open()), 'start the answer');
  }

  onDelta(text: string): void {
    if (this.finished || !text) return;
    if (this.fallback) return this.fallback.onDelta(text);
    if (this.messageDone) {
      // A new message of the same turn (after a tool): a paragraph break, not glued text.
      this.messageDone = false;
      this.current = '';
      if (this.sent || this.pending) this.pending += '\n\n';
    }
    this.current += text;
    this.pending += text;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.enqueue(() => this.flush(), 'stream the answer');
    }, STREAM_FLUSH_MS);
  }

  onProgress(progress: TurnProgress): void {
    if (this.finished || this.fallback) return;
    if (progress.kind === 'message-end') {
      this.messageDone = true;
      return;
    }
    if (progress.phase === 'start') {
      const id = `tool-${++this.tools}`;
      this.running.push(id);
      this.toolNames.set(id, progress.name);
      this.enqueue(() => this.tasks([{ type: 'task_update', id, title: `Running ${progress.name}`, status: 'in_progress' }]), 'show a tool');
    } else {
      const id = this.running.shift();
      if (id) this.enqueue(() => this.tasks([{ type: 'task_update', id, title: `Ran ${progress.name}`, status: progress.ok === false ? 'error' : 'complete' }]), 'show a tool');
    }
  }

  /**
   * Says the turn still runs, `elapsed` in: the running tool's task (*Running bash · 2m 14s*), the
   * thinking task, or a task of its own. Slack ends a stream that stays idle for minutes.
   */
  keepAlive(elapsed: string): void {
    if (this.finished || this.fallback) return;
    const tool = this.running[0];
    const chunk = tool
      ? { type: 'task_update', id: tool, title: `Running ${this.toolNames.get(tool) ?? 'a tool'} · ${elapsed}`, status: 'in_progress' }
      : this.thinking
        ? { type: 'task_update', id: 'thinking', title: `${this.thinking} · ${elapsed}`, status: 'in_progress' }
        : { type: 'task_update', id: 'working', title: `Working · ${elapsed}`, status: 'in_progress' };
    this.enqueue(async () => {
      if (!this.ts) return;
      await this.client.chat.appendStream({ channel: this.target.channel, ts: this.ts, chunks: [chunk] as never }).catch((err: unknown) => {
        if (!isClosed(err)) throw err;
      });
    }, 'say the answer is still coming');
  }

  /** Streams what is left of `markdown` (the turn's final answer, or its error) and stops with the feedback buttons. */
  finish(markdown: string): Promise<void> {
    this.finished = true;
    clearTimeout(this.timer);
    if (this.fallback) return this.fallback.finish(markdown);
    this.enqueue(async () => {
      if (this.fallback) return (this.fallback).finish(markdown);
      if (markdown.startsWith(this.current)) this.pending += markdown.slice(this.current.length);
      else this.pending += `${this.sent || this.pending ? '\n\n' : ''}${markdown}`;
      if (!this.sent && !this.pending.trim()) this.pending = '_(empty answer)_';
      try {
        await this.end();
      } catch (err) {
        // The stream broke for good (not a close Slack does on its own): the answer comes as plain messages.
        this.log.warn({ err: describe(err), channel: this.target.channel, thread: this.target.threadTs }, 'Slack: streaming failed; posting the answer instead');
        const plain = new ThreadReplier(this.client, this.target.channel, this.target.threadTs, this.log, () => undefined, this.feedback);
        await plain.finish(markdown);
      }
    }, 'finish the answer');
    return this.chain;
  }

  /**
   * The rest of the answer and the buttons: in the stop itself when it fits this message (one call
   * less before the answer is complete), else streamed first. A stop Slack refuses because it closed
   * the stream already carries nothing away: the rest goes into a new streamed message.
   */
  private async end(): Promise<void> {
    const rest = this.pending;
    const fits = this.sent.length + rest.length <= STREAM_MESSAGE_CHARS - 200 && this.now() - this.startedAt <= STREAM_MAX_AGE_MS;
    if (!this.ts || !fits) {
      await this.flush(true);
      return this.stop(this.feedback);
    }
    this.pending = '';
    const done = this.thinking ? [{ type: 'task_update', id: 'thinking', title: this.thinking, status: 'complete' }] : [];
    const chunks = [...done, ...(rest ? [{ type: 'markdown_text', text: defuse(rest) }] : [])];
    try {
      await this.client.chat.stopStream({ channel: this.target.channel, ts: this.ts, ...(chunks.length ? { chunks } : {}), blocks: this.feedback } as never);
      this.thinking = undefined;
      this.sent += rest;
    } catch (err) {
      if (!isClosed(err)) throw err;
      this.log.info({ channel: this.target.channel, thread: this.target.threadTs }, 'Slack closed the stream before its end; continuing in a new message');
      await this.rotate(false);
      if (rest) await this.write(rest);
      await this.stop(this.feedback);
    }
  }

  private async open(chunks: unknown[]): Promise<void> {
    const res = await this.client.chat.startStream({
      channel: this.target.channel,
      thread_ts: this.target.threadTs,
      recipient_team_id: this.target.teamId,
      recipient_user_id: this.target.userId,
      chunks: chunks as never,
    });
    if (!res.ts) throw new Error('chat.startStream returned no ts');
    this.ts = res.ts;
    this.startedAt = this.now();
    this.sent = '';
    this.onMessage(res.ts);
  }

  private async tasks(chunks: unknown[]): Promise<void> {
    if (!this.ts || this.fallback) return;
    await this.append(chunks).catch((err: unknown) => {
      if (!isClosed(err)) throw err;
    });
  }

  private async append(chunks: unknown[]): Promise<void> {
    const done = this.thinking ? [{ type: 'task_update', id: 'thinking', title: this.thinking, status: 'complete' }] : [];
    await this.client.chat.appendStream({ channel: this.target.channel, ts: this.ts!, chunks: [...done, ...chunks] as never });
    this.thinking = undefined;
  }

  /**
   * Sends the pending text, continuing in a new stream when this one is full, old or closed. Until
   * the end, a partial line (in prose: a partial word) waits for the next flush, so a message
   * Slack cuts off never ends, and its continuation never starts, in the middle of one.
   */
  private async flush(final = false): Promise<void> {
    if (this.fallback || !this.ts || !this.pending) return;
    const keep = final ? this.pending.length : heldBack(this.pending, openFenceLine(this.sent + this.pending) !== undefined);
    let text = this.pending.slice(0, keep);
    this.pending = this.pending.slice(keep);
    if (!text) return;
    while (text) {
      if (this.sent.length >= STREAM_MESSAGE_CHARS - 200 || this.now() - this.startedAt > STREAM_MAX_AGE_MS) await this.rotate(true);
      const piece = text.slice(0, cutAt(text, STREAM_MESSAGE_CHARS - this.sent.length));
      text = text.slice(piece.length);
      await this.write(piece);
    }
  }

  private async write(piece: string): Promise<void> {
    try {
      await this.append([{ type: 'markdown_text', text: defuse(piece) }]);
      this.sent += piece;
    } catch (err) {
      if (!isClosed(err)) throw err;
      // Slack closed the stream: the piece was not taken. It opens the next message.
      this.log.info({ channel: this.target.channel, thread: this.target.threadTs, chars: this.sent.length }, 'Slack closed the stream; continuing in a new message');
      await this.rotate(false);
      await this.append([{ type: 'markdown_text', text: defuse(piece) }]);
      this.sent += piece;
    }
  }

  /** Ends this streamed message and opens the next, carrying an open code block across. */
  private async rotate(stillOpen: boolean): Promise<void> {
    const fence = openFenceLine(this.sent);
    if (stillOpen) await this.stop(undefined, fence ? `\n${fence.match(/^(`+|~+)/)![1]}` : undefined).catch((err: unknown) => {
      if (!isClosed(err)) throw err;
    });
    await this.open(fence ? [{ type: 'markdown_text', text: `${fence}\n` }] : [{ type: 'markdown_text', text: '…' }]);
    if (fence) this.sent = `${fence}\n`;
  }

  private async stop(blocks?: Block[], closing?: string): Promise<void> {
    if (!this.ts) return;
    const args = { channel: this.target.channel, ts: this.ts, ...(closing ? { chunks: [{ type: 'markdown_text', text: closing }] } : {}), ...(blocks ? { blocks } : {}) };
    try {
      await this.client.chat.stopStream(args as never);
    } catch (err) {
      if (!isClosed(err) || !blocks) throw err;
      // Closed already: the answer is all there; the buttons come in a message of their own.
      await this.client.chat.postMessage({ channel: this.target.channel, thread_ts: this.target.threadTs, text: 'Was this answer helpful?', blocks: blocks as never });
    }
  }

  private enqueue(step: () => Promise<void>, what: string): void {
    this.chain = this.chain.then(step).catch(async (err: unknown) => {
      this.log.error({ err: describe(err), channel: this.target.channel, thread: this.target.threadTs }, `Slack: could not ${what}`);
    });
  }
}

/** How much of `pending` to send now: whole lines in code, whole words in prose. */
function heldBack(pending: string, inCode: boolean): number {
  const nl = pending.lastIndexOf('\n');
  if (inCode || nl >= 0) return nl + 1;
  return Math.max(0, pending.search(/\S*$/));
}

/** Where to cut `text` to take at most `room` characters: after a line where one ends in the second half. */
function cutAt(text: string, room: number): number {
  if (text.length <= room) return text.length;
  const nl = text.lastIndexOf('\n', room - 1);
  return nl >= room / 2 ? nl + 1 : room;
}

function isClosed(err: unknown): boolean {
  const code = (err as { data?: { error?: string } }).data?.error;
  return code !== undefined && STREAM_CLOSED.has(code);
}
