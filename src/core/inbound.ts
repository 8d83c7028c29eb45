/**
 * A person's message → what the bot does with it, the same for every platform, in this order:
 * its place in the thread (taken on arrival, before any await), whether it is for the bot at all
 * (a mention, a DM, or a follow-up the reply rule lets through), de-duplication (one handler
 * across retries and instances), access, parsing (a command or a prompt), the turn journal (so a
 * crash never loses it silently), the thread's context (what the session has not heard), the
 * turn, and delivery. Adapters turn platform events into `InboundMessage`s and provide a
 * `PlatformThread` (the platform's calls); they hold no step of this order themselves.
 */
import type { TurnProgress } from '../agent/agent.js';
import type { Logger } from '../infra/log.js';
import type { TurnJournal } from '../store/journal.js';
import type { ThreadRegistry } from '../store/registry.js';
import { parseInput } from './commands/parse.js';
import { gatherFiles, skippedNote, type InboundFile } from './attachments.js';
import type { Conversation } from './conversation.js';
import type { Deliveries } from './deliveries.js';
import { NO_RESERVATION, type Reservation } from './queue.js';
import { FORGOTTEN_MARK, isPrivate, type Reply } from './reply.js';
import type { ReplyRule } from '../domain.js';
import { sessionIdFor, type SessionId, type ThreadRef } from './thread.js';
import type { ContextBudget } from '../domain.js';
import { DEFAULT_CONTEXT_BUDGET, withinBudget, type ContextMessage, type ThreadContext } from './thread-context.js';

/** How the message reached the bot. */
export type Addressed =
  /** It names the bot. */
  | 'mention'
  /** A DM or an assistant thread: every message there is for the bot. */
  | 'direct'
  /** A message in a thread, without a mention: for the bot only as the reply rule says. */
  | 'follow-up';

export type { ReplyRule } from '../domain.js';

export interface InboundMessage {
  /** Unique per platform message: the de-duplication key (`slack:…`, `discord:…`). */
  key: string;
  /** The thread it is in, or for a message that opens one (a Discord channel mention) where it was written. */
  thread: ThreadRef;
  /** The platform's id of the message (Slack ts, Discord snowflake). */
  id: string;
  /** What the person wrote, the bot's mention removed. */
  text: string;
  addressed: Addressed;
  /** Messages it brings along: a share, a forward, the message it replies to. Given to the model with it. */
  quoted?: readonly ContextMessage[];
  /** Files attached to it. */
  files?: readonly InboundFile[];
}

/** What the answer looks like while the turn runs: a placeholder or stream, typing, a status. */
export interface AnswerView {
  onDelta(text: string): void;
  onProgress(progress: TurnProgress): void;
  /** The turn is queued: show that it is coming. `placed` is told the id of a placeholder message it posts. */
  start(placed: (messageId: string) => void): void;
  /** The turn's outcome, in place of the placeholder. */
  finish(reply: Reply): Promise<void>;
}

/** What a platform provides for one message: the adapter contract. */
export interface PlatformThread {
  /** The thread to answer in, when the message is not in one yet (a Discord channel mention opens one). */
  open?(): Promise<ThreadRef>;
  /**
   * The thread's messages after `after` (from its start when absent) and before `before`, oldest
   * first, the bot's own marked `own`, mentions rendered as names.
   */
  messages(range: { after?: string; before: string }): Promise<ContextMessage[]>;
  /**
   * A file of the message, whole, or `FileTooLargeError` once more than `maxBytes` arrived (the
   * declared size is not trusted). Absent: the platform passes no files.
   */
  download?(file: InboundFile, maxBytes: number): Promise<Buffer>;
  /** A reply that is not a turn's answer: private replies (`isPrivate`) to the person only. */
  deliver(thread: ThreadRef, reply: Reply): Promise<void>;
  /** `forget` asks first: a confirmation with buttons. */
  confirmForget(thread: ThreadRef): Promise<void>;
  /** The answer's view; `behindApproval`: the thread's running turn waits for a person (say why this one waits). */
  answer(thread: ThreadRef, behindApproval: boolean): AnswerView;
}

/** A message's place in its thread's line, and the adapter's own places (a Slack placeholder's order). */
export interface Arrival {
  /** The thread it arrived in, when it is in one. */
  readonly thread?: ThreadRef;
  readonly turn: Reservation;
  /** A turn of the thread was queued or running here before this message came: the thread has (or is about to have) a session. */
  readonly busy: boolean;
  cancel(): void;
  /** The message is handled: its claim on a new thread (see `arrive`) ends. */
  settle(): void;
}

export interface InboundOptions {
  platform: string;
  conversation: Conversation;
  registry: ThreadRegistry;
  deliveries: Deliveries;
  journal: TurnJournal;
  logger: Logger;
  replyRule: ReplyRule;
  contextBudget?: ContextBudget;
}

export class Inbound {
  /** Threads whose first turn is queued here but not recorded yet: who started them (the reply rule). */
  private readonly starting = new StarterClaims();

  constructor(private readonly options: InboundOptions) {}

  /**
   * Call synchronously when the message arrives: its thread's order is fixed here. A mention or
   * DM into a thread nobody has claimed claims it for its author at once, so follow-ups
   * sent right behind it (before its turn is recorded) are judged by the reply rule as its
   * thread's; the claim ends with the message's handling.
   */
  arrive(where: { thread: ThreadRef; addressed: Addressed } | undefined, ...others: Reservation[]): Arrival {
    const thread = where?.thread;
    const busy = thread !== undefined && this.options.conversation.active(thread);
    const turn = thread ? this.options.conversation.reserve(thread) : NO_RESERVATION;
    const id = thread ? sessionIdFor(thread) : undefined;
    // Also behind other messages (an unread one, people talking): a recorded starter still comes first.
    const claims = id !== undefined && where!.addressed !== 'follow-up' && this.starting.take(id, thread!.user);
    const starting = this.starting;
    return {
      ...(thread ? { thread } : {}),
      turn,
      busy,
      cancel() {
        turn.cancel();
        for (const o of others) o.cancel();
      },
      settle() {
        if (claims) starting.release(id);
      },
    };
  }

  /**
   * Everything after arrival. Never rejects: failures are logged or answered. `message` may be
   * built here (reading a payload may await or throw): the place taken on arrival is given up
   * whatever happens, so a malformed payload never holds its thread's line.
   */
  async handle(arrival: Arrival, build: InboundMessage | (() => InboundMessage | Promise<InboundMessage>), platform: PlatformThread, admitted = false): Promise<void> {
    const { logger } = this.options;
    let message: InboundMessage | undefined;
    try {
      const read = typeof build === 'function' ? await build() : build;
      message = read;
      if (read.addressed === 'follow-up' && !(await this.answersFollowUp(read.thread, arrival.busy))) return;
      await this.options.deliveries.once(read.key, () => this.options.deliveries.track(this.respond(arrival, read, platform, admitted)));
    } catch (err) {
      const where = message ? { channel: message.thread.channel, message: message.id } : { channel: arrival.thread?.channel, unread: true };
      logger.error({ err: String(err), platform: this.options.platform, ...where }, `${this.label}: message failed`);
    } finally {
      arrival.cancel();
      arrival.settle();
    }
  }

  /** Whether a follow-up without a mention is for the bot (the reply rule); the others are context for the next turn. */
  private async answersFollowUp(thread: ThreadRef, busy: boolean): Promise<boolean> {
    const rule = this.options.replyRule;
    if (rule === 'none') return false;
    const id = sessionIdFor(thread);
    const record = await this.options.registry.get(id).catch((err: unknown) => {
      this.options.logger.warn({ err: String(err), channel: thread.channel }, `${this.label}: could not check whether a thread has a session`);
      return undefined;
    });
    const starter = record?.startedBy ?? (busy ? this.starting.starter(id) : undefined);
    if (starter === undefined) return false;
    return rule === 'all' || starter === thread.user;
  }

  private get label(): string {
    return this.options.platform.charAt(0).toUpperCase() + this.options.platform.slice(1);
  }

  private async respond(arrival: Arrival, message: InboundMessage, platform: PlatformThread, admitted: boolean): Promise<void> {
    const { conversation, journal, logger } = this.options;
    // A message bringing files or a quoted message runs a turn even without words: admitted (and counted) as one.
    const carries = (message.quoted?.length ?? 0) > 0 || (platform.download !== undefined && (message.files?.length ?? 0) > 0);
    // A message answered after its author connected GitHub was admitted (and counted) when it came;
    // whether they may still talk here is asked again (access may have changed meanwhile).
    const refused = admitted ? conversation.accessRefusal(message.thread) : undefined;
    const admission = refused ? { ok: false as const, reply: refused } : admitted ? { ok: true as const } : await conversation.admit(message.thread, message.text, { carries });
    if (!admission.ok) {
      arrival.cancel();
      if (admission.reply) await platform.deliver(message.thread, admission.reply);
      return;
    }
    const parsed = parseInput(message.text);
    const quoted = message.quoted ?? [];
    const files = platform.download ? (message.files ?? []) : [];
    const isTurn = parsed.kind === 'prompt' && (parsed.text !== '' || quoted.length > 0 || files.length > 0);
    // Per-user: someone whose GitHub account is not connected is asked to connect it, privately,
    // and the message is answered once they have (it takes its place in the thread's line then).
    if (isTurn) {
      const tell = (reply: Reply) => platform.deliver(message.thread, reply);
      const signIn = await conversation.signIn(message.thread, tell);
      if (signIn) {
        arrival.cancel();
        await tell(await signIn.said);
        void signIn.linked.then((linked) => {
          // Admitted (and counted) once already, when it first came.
          if (linked) return this.handle(this.arrive({ thread: message.thread, addressed: message.addressed }), { ...message, key: `${message.key}:signed-in` }, platform, true);
        });
        return;
      }
    }
    let thread = message.thread;
    if (platform.open) {
      const opened = await platform.open().catch((err: unknown) => {
        logger.error({ err: String(err), channel: thread.channel }, `${this.label}: could not open a thread`);
        return undefined;
      });
      if (!opened) return platform.deliver(thread, { kind: 'error', text: '⚠️ I could not open a thread for this. Please try again.' });
      thread = opened;
    }
    if (!isTurn) arrival.cancel();
    if (parsed.kind === 'command' && parsed.command.kind === 'forget') return platform.confirmForget(thread);
    if (!isTurn) return platform.deliver(thread, await conversation.handleMessage(thread, message.text, { admitted: true, tell: (reply) => platform.deliver(thread, reply) }));

    const id = sessionIdFor(thread);
    const safely = (what: string, work: () => Promise<void>) =>
      work().catch((err: unknown) => logger.warn({ err: String(err), channel: thread.channel, thread: thread.thread }, `${this.label}: could not ${what}`));
    const turn = { key: message.key, platform: this.options.platform, channel: thread.channel, thread: thread.thread, message: message.id, sessionId: id };
    const begun = safely('journal the turn', () => journal.begin(turn));
    // One write, after the first: a crash before it is mended by finding the placeholder in the thread.
    const placed = (placeholder: string) => void begun.then(() => safely('journal the placeholder', () => journal.begin({ ...turn, placeholder })));
    // Asked before the turn is queued: a turn waiting for a person holds this message back, and the thread hears why.
    const view = platform.answer(thread, conversation.awaitingApproval(thread));
    // Downloaded while the turn waits its turn; the person hears at once of files that are not read.
    const gathering = files.length ? gatherFiles(files, (f, max) => platform.download!(f, max), conversation.fileLimits) : undefined;
    void gathering?.then((got) => (got.skipped.length ? safely('say which files were not read', () => platform.deliver(thread, { kind: 'notice', text: skippedNote(got.skipped) })) : undefined));
    // A thread this message opened (a Discord channel mention) is claimed here: it had no place to take on arrival.
    const firstHere = !conversation.active(thread) && this.starting.take(id, thread.user);
    const answer = conversation
      .handleMessage(thread, parsed.text, {
        onDelta: (d) => view.onDelta(d),
        onProgress: (p) => view.onProgress(p),
        reservation: arrival.turn,
        admitted: true,
        messageId: message.id,
        quoted,
        ...(gathering ? { files: gathering } : {}),
        context: (since) => this.context(platform, thread, message.id, since),
      })
      .finally(() => {
        if (firstHere) this.starting.release(id);
      });
    view.start(placed);
    await begun;
    const reply = await answer;
    if (isPrivate(reply)) {
      // For the author only (their GitHub account was refused): the thread sees that much, no more.
      await view.finish({ kind: 'notice', text: '🔑 Not answered: I told the person who asked why, privately.' });
      await platform.deliver(thread, reply);
    } else await view.finish(reply);
    await safely('close the journal entry', () => journal.end(message.key));
  }

  /**
   * What the session has not heard: the thread before `before` (its first turn: `since`
   * undefined) or after the last turn's message. Fetched inside the thread's line, so a turn sees
   * exactly what came between it and the one before. A platform that cannot be asked costs the
   * context, never the turn.
   */
  private async context(platform: PlatformThread, thread: ThreadRef, before: string, since: string | undefined): Promise<ThreadContext | undefined> {
    const budget = this.options.contextBudget ?? DEFAULT_CONTEXT_BUDGET;
    if (budget.messages === 0) return undefined;
    const messages = await platform.messages({ ...(since ? { after: since } : {}), before }).catch((err: unknown) => {
      this.options.logger.warn({ err: String(err), channel: thread.channel, thread: thread.thread }, `${this.label}: could not read the thread's earlier messages; answering without them`);
      return [];
    });
    const heard = sinceForgotten(messages).filter((m) => !m.own);
    if (heard.length === 0) return undefined;
    const context = withinBudget(since ? 'since' : 'thread', heard, budget);
    // The files of the messages kept come along, newest first when there are more than a message may bring.
    const files = context.messages.flatMap((m) => m.attachments ?? []);
    if (files.length === 0 || !platform.download) return context;
    const limits = this.options.conversation.fileLimits;
    const attached = await gatherFiles(files.slice(-limits.perMessage), (f, max) => platform.download!(f, max), limits);
    return { ...context, attached };
  }
}

/**
 * Who is starting a thread whose first turn is not recorded yet. Several messages of the same
 * person may hold the claim at once (a mention behind another of theirs): it ends with the last.
 */
class StarterClaims {
  private readonly claims = new Map<SessionId, { user: string; held: number }>();

  /** Claims the thread for `user`, or joins their claim; false when someone else holds it. */
  take(id: SessionId, user: string): boolean {
    const claim = this.claims.get(id);
    if (claim && claim.user !== user) return false;
    if (claim) claim.held++;
    else this.claims.set(id, { user, held: 1 });
    return true;
  }

  release(id: SessionId): void {
    const claim = this.claims.get(id);
    if (claim && --claim.held === 0) this.claims.delete(id);
  }

  starter(id: SessionId): string | undefined {
    return this.claims.get(id)?.user;
  }
}

/** A thread whose session was forgotten starts again after the bot said so: what came before is forgotten too. */
function sinceForgotten(messages: readonly ContextMessage[]): readonly ContextMessage[] {
  const forgotten = messages.findLastIndex((m) => m.own === true && m.text.startsWith(FORGOTTEN_MARK));
  return forgotten < 0 ? messages : messages.slice(forgotten + 1);
}
