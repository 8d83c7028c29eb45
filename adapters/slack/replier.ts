/**
 * Posts one turn's answer into its thread: a "thinking" placeholder at once, updated with the
 * answer as it streams (throttled), then the final answer in as many messages as it needs.
 * Every call goes through one chain, so updates never overtake each other. A failure to update
 * falls back to a new message; a failure to post is logged with the thread, never thrown away
 * silently (the answer is in the session's history either way).
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../src/infra/log.js';
import type { Reservation } from '../../src/core/queue.js';
import { chunkMarkdown } from '../shared/chunk.js';
import { MESSAGE_MARKDOWN_LIMIT, SECTION_TEXT_LIMIT, type Block } from './blocks.js';
import type { TurnProgress } from '../../src/core/ports.js';
import { toMrkdwn } from './mrkdwn.js';
import { WAITING_FOR_APPROVAL } from '../../src/core/reply.js';

export const THINKING = '_Copilot is thinking…_';
export const STREAM_UPDATE_MS = 1200;

export class ThreadReplier {
  private chain: Promise<void> = Promise.resolve();
  private placeholder: string | undefined;
  private partial = '';
  private lastShown = '';
  private timer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    private readonly client: WebClient,
    private readonly channel: string,
    private readonly threadTs: string,
    private readonly log: Logger,
    /** Told the placeholder's ts once it is posted. */
    private readonly onPlaceholder: (ts: string) => void = () => undefined,
    /** Blocks under the answer's last message (the 👍/👎 buttons). */
    private readonly feedback: Block[] = [],
  ) {}

  /** Resolves when every step asked for so far is done. */
  settled(): Promise<void> {
    return this.chain;
  }

  onProgress(_progress: TurnProgress): void {
    // An edited placeholder shows only text.
  }

  /** Shows the thinking state (or that the turn waits behind an approval); `place` keeps placeholders in the order their messages arrived. */
  start(place?: Reservation, waiting = false): void {
    const text = waiting ? toMrkdwn(WAITING_FOR_APPROVAL) : THINKING;
    const post = async () => {
      const res = await this.client.chat.postMessage({ channel: this.channel, thread_ts: this.threadTs, text });
      this.placeholder = res.ts;
      if (res.ts) this.onPlaceholder(res.ts);
    };
    this.enqueue(() => (place ? place.run(post) : post()), 'post the placeholder');
  }

  onDelta(text: string): void {
    if (this.done) return;
    this.partial += text;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const shown = this.partial;
      if (this.done || shown === this.lastShown || shown.length > MESSAGE_MARKDOWN_LIMIT) return;
      this.lastShown = shown;
      this.enqueue(async () => {
        if (!this.placeholder || this.done) return;
        await this.client.chat.update({ channel: this.channel, ts: this.placeholder, text: `${toMrkdwn(shown)} …` });
      }, 'update the streamed answer');
    }, STREAM_UPDATE_MS);
  }

  /** Replaces the placeholder with the answer (or posts it), in chunks. */
  finish(markdown: string): Promise<void> {
    this.done = true;
    clearTimeout(this.timer);
    const chunks = chunkMarkdown(markdown, MESSAGE_MARKDOWN_LIMIT).map(toMrkdwn);
    if (chunks.length === 0) chunks.push('_(empty answer)_');
    this.enqueue(async () => {
      const [first, ...rest] = chunks;
      const last = rest.length ? rest.pop()! : undefined;
      // The buttons ride on the last message, when its text fits a section block.
      const withFeedback = (text: string) => (this.feedback.length && text.length <= SECTION_TEXT_LIMIT ? [{ type: 'section', text: { type: 'mrkdwn', text } }, ...this.feedback] : undefined);
      await this.replaceOrPost(first!, last === undefined ? withFeedback(first!) : undefined);
      for (const text of rest) await this.client.chat.postMessage({ channel: this.channel, thread_ts: this.threadTs, text });
      if (last !== undefined) await this.client.chat.postMessage({ channel: this.channel, thread_ts: this.threadTs, text: last, ...blocksArg(withFeedback(last)) });
    }, 'deliver the answer');
    return this.chain;
  }

  private async replaceOrPost(text: string, blocks?: Block[]): Promise<void> {
    if (this.placeholder) {
      try {
        await this.client.chat.update({ channel: this.channel, ts: this.placeholder, text, ...blocksArg(blocks) });
        return;
      } catch (err) {
        this.log.warn({ err: describe(err), channel: this.channel, thread: this.threadTs }, 'placeholder update failed; posting instead');
      }
    }
    await this.client.chat.postMessage({ channel: this.channel, thread_ts: this.threadTs, text, ...blocksArg(blocks) });
  }

  private enqueue(step: () => Promise<void>, what: string): void {
    this.chain = this.chain.then(step).catch((err: unknown) => {
      this.log.error({ err: describe(err), channel: this.channel, thread: this.threadTs }, `Slack: could not ${what}`);
    });
  }
}

function blocksArg(blocks: Block[] | undefined): { blocks?: never } {
  return blocks ? { blocks: blocks as never } : {};
}

/** Slack errors carry the API's error code; keep logs short and free of request bodies. */
export function describe(err: unknown): string {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number; message?: string };
  return [e.code, e.data?.error, e.statusCode, e.message].filter(Boolean).join(' ');
}
