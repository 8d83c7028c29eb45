/**
 * One turn's answer on Discord, shown as it is written: "typing…" until the first text, then a
 * message edited with the growing answer at most every STREAM_EDIT_MS (Discord allows about five
 * edits per five seconds in a channel; discord.js also waits out the rate-limit headers), continuing
 * in a new message past 2,000 characters, split where a code block is closed and reopened. At the
 * end the messages hold exactly the final answer. A failed edit never loses the answer: what could
 * not be edited in is sent as new messages.
 */
import type { Message, SendableChannels } from 'discord.js';
import type { Logger } from '../../src/infra/log.js';
import { chunks, keepTyping, NO_PINGS } from './send.js';
import { chunkMarkdown } from '../shared/chunk.js';
import { MESSAGE_LIMIT } from './context.js';

export const STREAM_EDIT_MS = 1500;
/** Shown after the text while more is coming. */
const MORE = ' …';

export class DiscordStream {
  private readonly messages: Message[] = [];
  /** What each message shows now, to skip edits that change nothing. */
  private readonly shown: string[] = [];
  private text = '';
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private done = false;
  private stopTyping: () => void;

  constructor(
    private readonly target: SendableChannels,
    private readonly log: Logger,
    private readonly editEveryMs = STREAM_EDIT_MS,
  ) {
    this.stopTyping = keepTyping(target, (err) => log.debug({ err: String(err) }, 'typing failed'));
  }

  onDelta(delta: string): void {
    if (this.done || !delta) return;
    this.text += delta;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (!this.done) this.enqueue(() => this.show(this.streamed()), 'stream the answer');
    }, this.editEveryMs);
  }

  /** Shows `markdown` (the final answer, or the error) in place of the streamed text. */
  finish(markdown: string): Promise<void> {
    this.done = true;
    clearTimeout(this.timer);
    this.enqueue(async () => {
      this.stopTyping();
      const final = chunks(markdown);
      try {
        await this.show(final);
        // The streamed text was longer than the answer (an earlier message of the turn): the extra messages go.
        for (const extra of this.messages.splice(final.length)) await extra.delete().catch(() => undefined);
      } catch (err) {
        // What is shown already stays; from the first part not shown as it should be, new messages.
        this.log.warn({ err: String(err), channel: this.target.id }, 'Discord: could not edit the streamed answer; sending the rest instead');
        const from = final.findIndex((part, i) => this.shown[i] !== part);
        for (const content of final.slice(from < 0 ? final.length : from)) await this.target.send({ content, allowedMentions: NO_PINGS });
      }
    }, 'deliver the answer');
    return this.chain.finally(() => this.stopTyping());
  }

  /** The streamed text so far in messages: earlier ones complete, the last marked as going on. */
  private streamed(): string[] {
    const parts = chunkMarkdown(this.text, MESSAGE_LIMIT - MORE.length);
    if (parts.length) parts[parts.length - 1] += MORE;
    return parts;
  }

  private async show(parts: string[]): Promise<void> {
    for (const [i, content] of parts.entries()) {
      if (i < this.messages.length) {
        if (this.shown[i] === content) continue;
        await this.messages[i]!.edit({ content, allowedMentions: NO_PINGS });
      } else {
        if (i === 0) this.stopTyping();
        this.messages.push(await this.target.send({ content, allowedMentions: NO_PINGS }));
      }
      this.shown[i] = content;
    }
  }

  private enqueue(step: () => Promise<void>, what: string): void {
    this.chain = this.chain.then(step).catch((err: unknown) => {
      this.log.warn({ err: String(err), channel: this.target.id }, `Discord: could not ${what}`);
    });
  }
}
