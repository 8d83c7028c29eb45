/**
 * A person's message to the bot (a mention, a DM, or a follow-up in a thread that has a
 * session) → one answer in that thread. The message's place in its thread (for its turn and for
 * its placeholder) is taken on arrival, before any await; then it is claimed (one handler across
 * instances) and journaled until its answer is delivered, so a crash never loses it silently.
 */
import type { WebClient } from '@slack/web-api';
import { parseInput } from '../../src/core/commands.js';
import type { Reservation } from '../../src/core/queue.js';
import { INTERRUPTED_NOTICE, isPrivate, type Reply } from '../../src/core/reply.js';
import { sessionIdFor, type ThreadRef } from '../../src/core/thread.js';
import { confirmForgetBlocks, feedbackBlocks, historyBlocks, sessionListBlocks, slackNames, textSections } from './blocks.js';
import { StreamReplier, type Replier } from './stream.js';
import type { ThreadNames } from '../../src/core/listing.js';
import { openingOf } from '../../src/store/registry.js';
import type { SlackContext } from './context.js';
import { toMrkdwn } from './mrkdwn.js';
import { describe, THINKING, ThreadReplier } from './replier.js';
import { stripMention, type SlackMessageLike } from './thread.js';

/** A message's places in its thread's lines: its turn, and its "thinking" placeholder. */
export interface Arrival {
  thread: ThreadRef;
  turn: Reservation;
  post: Reservation;
  cancel(): void;
}

/** Call synchronously when the event arrives: the thread's order is fixed here. */
export function arrive(ctx: SlackContext, thread: ThreadRef): Arrival {
  const turn = ctx.conversation.reserve(thread);
  const post = ctx.posts.reserve(`${thread.channel}/${thread.thread}`);
  return {
    thread,
    turn,
    post,
    cancel() {
      turn.cancel();
      post.cancel();
    },
  };
}

/** Slack's AI assistant pane: a status line while a turn runs, and the thread's title. */
export interface AssistantSurface {
  setStatus(status: string): Promise<unknown>;
  setTitle(title: string): Promise<unknown>;
}

export async function handleIncoming(ctx: SlackContext, client: WebClient, event: SlackMessageLike, arrival: Arrival, surface?: AssistantSurface): Promise<void> {
  const text = stripMention(event.text ?? '', ctx.botUserId);
  const key = `slack:${arrival.thread.workspace}:${event.channel}:${event.ts}`;
  try {
    await ctx.deliveries.once(key, () => ctx.deliveries.track(respondTo(ctx, client, arrival, text, { key, ts: event.ts }, surface)));
  } finally {
    arrival.cancel();
  }
}

async function respondTo(ctx: SlackContext, client: WebClient, arrival: Arrival, text: string, message: { key: string; ts: string }, surface?: AssistantSurface): Promise<void> {
  const { thread } = arrival;
  const admission = await ctx.conversation.admit(thread, text);
  if (!admission.ok) {
    arrival.cancel();
    if (admission.reply) await deliver(client, thread, admission.reply, slackNames(ctx.teamUrl));
    return;
  }
  const parsed = parseInput(text);
  if (parsed.kind !== 'prompt' || !parsed.text) arrival.cancel();
  if (parsed.kind === 'command' && parsed.command.kind === 'forget') {
    await ephemeral(client, thread, 'Forget this thread?', confirmForgetBlocks({ c: thread.channel, t: thread.thread }));
    return;
  }
  if (parsed.kind !== 'prompt' || !parsed.text) {
    const reply = await ctx.conversation.handleMessage(thread, text, { admitted: true });
    await deliver(client, thread, reply, slackNames(ctx.teamUrl));
    return;
  }
  const journal = ctx.journal;
  const safely = (what: string, work: () => Promise<void>) =>
    work().catch((err: unknown) => ctx.logger.warn({ err: describe(err), channel: thread.channel, thread: thread.thread }, `Slack: could not ${what}`));
  const turn = { key: message.key, platform: 'slack', channel: thread.channel, thread: thread.thread, message: message.ts, sessionId: sessionIdFor(thread) };
  const begun = safely('journal the turn', () => journal.begin(turn));
  // One write, after the first: a crash before it is mended by finding the placeholder in the thread.
  const placed = (ts: string) => void begun.then(() => safely('journal the placeholder', () => journal.begin({ ...turn, placeholder: ts })));
  const replier: Replier =
    ctx.streaming === 'native'
      ? new StreamReplier(client, { channel: thread.channel, threadTs: thread.thread, teamId: thread.workspace, userId: thread.user }, ctx.logger, feedbackBlocks(), placed)
      : new ThreadReplier(client, thread.channel, thread.thread, ctx.logger, placed, feedbackBlocks());
  // Asked before the turn is queued: a turn waiting for a person holds this message back, and the thread hears why.
  const behindApproval = ctx.conversation.awaitingApproval(thread);
  const status = (what: string) => void (surface ? safely('set the assistant status', async () => void (await surface.setStatus(what))) : undefined);
  const answer = ctx.conversation.handleMessage(thread, parsed.text, {
    onDelta: (d) => replier.onDelta(d),
    onProgress: (p) => {
      replier.onProgress(p);
      if (p.kind === 'tool') status(p.phase === 'start' ? `is running ${p.name}…` : 'is thinking…');
    },
    reservation: arrival.turn,
    admitted: true,
  });
  status('is thinking…');
  replier.start(arrival.post, behindApproval);
  await begun;
  const reply = await answer;
  await replier.finish(reply.text);
  if (surface) {
    status('');
    // A new assistant thread is named after what it was started with.
    if (reply.kind === 'answer' && reply.created) await safely('title the assistant thread', async () => void (await surface.setTitle(openingOf(parsed.text))));
  }
  await safely('close the journal entry', () => journal.end(message.key));
}

/**
 * After a crash: each turn that never got its answer is told so, in its placeholder or its thread.
 * A placeholder the journal did not learn of (the crash came right after posting it) is found
 * among the bot's messages in the thread, after the person's message, still "thinking".
 */
export async function recoverInterrupted(ctx: SlackContext, client: WebClient): Promise<void> {
  const turns = await ctx.journal.interrupted('slack').catch((err: unknown) => {
    ctx.logger.warn({ err: describe(err) }, 'Slack: could not read the turns interrupted by the last stop');
    return [];
  });
  const text = toMrkdwn(INTERRUPTED_NOTICE);
  for (const t of turns) {
    try {
      if (!(await ctx.journal.claimNotice(t.key))) continue;
      const placeholder = t.placeholder ?? (await firstThinkingAfter(client, ctx.botUserId, t.channel, t.thread, t.message));
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
        : textSections(reply.text);
  await ephemeral(client, thread, reply.text.slice(0, 200), blocks);
}

async function ephemeral(client: WebClient, thread: ThreadRef, fallback: string, blocks: unknown[]): Promise<void> {
  await client.chat.postEphemeral({ channel: thread.channel, thread_ts: thread.thread, user: thread.user, text: toMrkdwn(fallback), blocks: blocks as never });
}
