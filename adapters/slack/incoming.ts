/**
 * A person's message on Slack → the core's inbound pipeline (`src/core/inbound.ts`), with Slack's
 * side of it: the thread's earlier messages, placeholders and streams, ephemerals, the assistant
 * pane's status and title. Also: telling threads whose turn a crash cut off.
 */
import type { WebClient } from '@slack/web-api';
import type { Addressed, AnswerView, InboundMessage, PlatformThread } from '../../src/core/inbound.js';
import type { Reservation } from '../../src/core/queue.js';
import { INTERRUPTED_NOTICE, isPrivate, type Reply } from '../../src/core/reply.js';
import type { ThreadRef } from '../../src/core/thread.js';
import { accountBlocks, confirmForgetBlocks, feedbackBlocks, historyBlocks, scheduleBlocks, sessionListBlocks, slackNames } from './blocks.js';
import { StreamReplier, type Replier } from './stream.js';
import type { ThreadNames } from '../../src/core/listing.js';
import { openingOf } from '../../src/core/ports.js';
import type { SlackContext } from './context.js';
import { toMrkdwn } from './mrkdwn.js';
import { describe, THINKING, ThreadReplier } from './replier.js';
import { filesOf, quotedIn, stripMention, type EventBot, type SlackMessageLike } from './thread.js';
import { downloadCapped, FileHostError } from '../shared/download.js';
import { threadMessages } from './thread-messages.js';

/** Slack's AI assistant pane: a status line while a turn runs, and the thread's title. */
export interface AssistantSurface {
  setStatus(status: string): Promise<unknown>;
  setTitle(title: string): Promise<unknown>;
}

/**
 * Hands a person's message to the core's pipeline. Call synchronously when the event arrives:
 * the message's place in its thread (its turn, and its placeholder) is taken here.
 */
export function receive(ctx: SlackContext, client: WebClient, bot: EventBot, event: SlackMessageLike, thread: ThreadRef, addressed: Addressed, surface?: AssistantSurface): Promise<void> {
  const post = ctx.posts.reserve(`${thread.channel}/${thread.thread}`);
  const arrival = ctx.inbound.arrive({ thread, addressed }, post);
  const at = { post, text: '', ...(surface ? { surface } : {}) };
  // Read inside the pipeline: a payload that cannot be read gives its place in line back.
  const message = (): InboundMessage => {
    at.text = stripMention(event.text ?? '', bot.userId);
    return { key: `slack:${thread.workspace}:${event.channel}:${event.ts}`, thread, id: event.ts, text: at.text, addressed, quoted: quotedIn(event), files: filesOf(event) };
  };
  return ctx.inbound.handle(arrival, message, slackThread(ctx, client, bot, thread, at));
}

/** The core's calls, made on Slack (see `PlatformThread`). */
export function slackThread(ctx: SlackContext, client: WebClient, bot: EventBot, where: ThreadRef, at: { post: Reservation; text: string; surface?: AssistantSurface }): PlatformThread {
  const names = slackNames(ctx.teams.urlOf(where.workspace));
  return {
    messages: (range) => threadMessages(client, ctx.people, bot.userId, where.channel, where.thread, range),
    download: (file, maxBytes) =>
      downloadCapped(file.id, { origins: ctx.fileOrigins, headers: { authorization: `Bearer ${bot.token}` }, maxBytes, timeoutMs: ctx.downloadTimeoutMs }).catch((err: unknown) => {
        if (err instanceof FileHostError) ctx.logger.warn({ file: file.name, reason: err.message }, 'Slack: a file was not downloaded (the bot token goes only to Slack’s file hosts)');
        throw err;
      }),
    deliver: (thread, reply) => deliver(client, thread, reply, names),
    confirmForget: (thread) => ephemeral(client, thread, 'Forget this thread?', confirmForgetBlocks({ c: thread.channel, t: thread.thread })),
    answer: (thread, behindApproval) => answerView(ctx, client, thread, behindApproval, at),
  };
}

function answerView(ctx: SlackContext, client: WebClient, thread: ThreadRef, behindApproval: boolean, at: { post: Reservation; text: string; surface?: AssistantSurface }): AnswerView {
  const { surface } = at;
  let placed: (ts: string) => void = () => undefined;
  const replier: Replier =
    ctx.streaming === 'native'
      ? new StreamReplier(client, { channel: thread.channel, threadTs: thread.thread, teamId: thread.workspace, userId: thread.user }, ctx.logger, feedbackBlocks(), (ts) => placed(ts))
      : new ThreadReplier(client, thread.channel, thread.thread, ctx.logger, (ts) => placed(ts), feedbackBlocks());
  const safely = (what: string, work: () => Promise<unknown>) =>
    work().then(
      () => undefined,
      (err: unknown) => ctx.logger.warn({ err: describe(err), channel: thread.channel, thread: thread.thread }, `Slack: could not ${what}`),
    );
  let shown = '';
  const status = (what: string) => {
    shown = what;
    if (surface) void safely('set the assistant status', () => surface.setStatus(what));
  };
  // Slack clears an assistant status after 2 minutes and ends an idle stream after a few: a long
  // turn says it still runs, every `keepAliveMs`, with the time it has taken.
  let alive: NodeJS.Timeout | undefined;
  const began = Date.now();
  return {
    onDelta: (d) => replier.onDelta(d),
    onProgress: (p) => {
      replier.onProgress(p);
      if (p.kind === 'tool') status(p.phase === 'start' ? `is running ${p.name}…` : 'is thinking…');
    },
    start(onPlaced) {
      placed = onPlaced;
      status('is thinking…');
      replier.start(at.post, behindApproval);
      alive = setInterval(() => {
        replier.keepAlive?.(elapsedText(Date.now() - began));
        if (shown) status(shown);
      }, ctx.keepAliveMs);
      alive.unref();
    },
    async finish(reply) {
      clearInterval(alive);
      await replier.finish(reply.text);
      if (!surface) return;
      status('');
      // A new assistant thread is named after what it was started with.
      if (reply.kind === 'answer' && reply.created) await safely('title the assistant thread', () => surface.setTitle(openingOf(at.text)));
    },
  };
}

/**
 * After a crash: each turn that never got its answer is told so, in its placeholder or its thread.
 * A placeholder the journal did not learn of (the crash came right after posting it) is found
 * among the bot's messages in the thread, after the person's message, still "thinking".
 */
export async function recoverInterrupted(ctx: SlackContext): Promise<void> {
  const turns = await ctx.journal.interrupted('slack').catch((err: unknown) => {
    ctx.logger.warn({ err: describe(err) }, 'Slack: could not read the turns interrupted by the last stop');
    return [];
  });
  const text = toMrkdwn(INTERRUPTED_NOTICE);
  for (const t of turns) {
    try {
      // Each turn's workspace has its own bot (installs): told with that workspace's token.
      const team = await ctx.teams.get(workspaceOfKey(t.key));
      if (!team) {
        ctx.logger.info({ channel: t.channel, thread: t.thread }, 'Slack: an interrupted turn of a workspace the app is no longer in is left untold');
        if (t.sessionId) await ctx.conversation.expireAbandonedApprovals(t.sessionId, t.instance);
        await ctx.journal.end(t.key);
        continue;
      }
      if (!(await ctx.journal.claimNotice(t.key))) continue;
      const client = team.client;
      const placeholder = t.placeholder ?? (await firstThinkingAfter(client, team.botUserId, t.channel, t.thread, t.message));
      // A native stream cut off by the crash may refuse edits: then the notice is a message of its own.
      const updated = placeholder ? await client.chat.update({ channel: t.channel, ts: placeholder, text }).then(() => true, () => false) : false;
      if (!updated) await client.chat.postMessage({ channel: t.channel, thread_ts: t.thread, text });
      if (t.sessionId) await ctx.conversation.expireAbandonedApprovals(t.sessionId, t.instance);
      await ctx.journal.end(t.key);
      ctx.logger.info({ channel: t.channel, thread: t.thread, since: t.startedAt }, 'Slack: told a thread its answer was interrupted');
    } catch (err) {
      ctx.logger.warn({ err: describe(err), channel: t.channel, thread: t.thread }, 'Slack: could not tell a thread its answer was interrupted');
    }
  }
}

/** `slack:<workspace>:<channel>:<ts>`: the workspace of a journal entry (its key, see `receive`). */
function workspaceOfKey(key: string): string {
  return key.split(':')[1] ?? '';
}

/** The bot's first message in a thread after `after` that still shows the thinking placeholder. */
async function firstThinkingAfter(client: WebClient, botUserId: string, channel: string, thread: string, after: string): Promise<string | undefined> {
  const res = await client.conversations.replies({ channel, ts: thread, oldest: after, limit: 200 });
  return (res.messages ?? [])
    .filter((m) => m.user === botUserId && m.text === THINKING && m.ts !== undefined && Number(m.ts) > Number(after))
    .map((m) => m.ts!)
    .sort((a, b) => Number(a) - Number(b))[0];
}

/** Private replies go to the asker only; the rest to the thread. */
async function deliver(client: WebClient, thread: ThreadRef, reply: Reply, names: ThreadNames): Promise<void> {
  if (!isPrivate(reply)) {
    await client.chat.postMessage({ channel: thread.channel, thread_ts: thread.thread, text: toMrkdwn(reply.text) });
    return;
  }
  const blocks =
    reply.kind === 'history'
      ? historyBlocks(reply.text, { c: thread.channel, t: thread.thread }, reply.page.page, reply.page.pages)
      : reply.kind === 'sessions'
        ? sessionListBlocks(reply.records, names)
        : reply.kind === 'schedules'
          ? scheduleBlocks(reply, { c: thread.channel, t: thread.thread })
          : accountBlocks(reply);
  await ephemeral(client, thread, reply.text.slice(0, 200), blocks);
}

async function ephemeral(client: WebClient, thread: ThreadRef, fallback: string, blocks: unknown[]): Promise<void> {
  await client.chat.postEphemeral({ channel: thread.channel, thread_ts: thread.thread, user: thread.user, text: toMrkdwn(fallback), blocks: blocks as never });
}

/** `2m 14s`, `45s`. */
export function elapsedText(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
