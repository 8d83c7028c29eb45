/**
 * A person's message to the bot (a mention, a DM, or a follow-up in a thread that has a
 * session) → one answer in that thread. De-duplicated by message, remembered only once queued.
 */
import type { WebClient } from '@slack/web-api';
import { parseInput } from '../../src/core/commands.js';
import { isPrivate, type Reply } from '../../src/core/reply.js';
import type { ThreadRef } from '../../src/core/thread.js';
import { confirmForgetBlocks, historyBlocks, textSections } from './blocks.js';
import type { SlackContext } from './context.js';
import { toMrkdwn } from './mrkdwn.js';
import { ThreadReplier } from './replier.js';
import { slackThreadRef, stripMention, threadOf, type SlackMessageLike } from './thread.js';

export async function handleIncoming(ctx: SlackContext, client: WebClient, event: SlackMessageLike, workspace: string): Promise<void> {
  const thread = slackThreadRef(workspace, event.channel, threadOf(event), event.user!);
  const text = stripMention(event.text ?? '', ctx.botUserId);
  await ctx.deliveries.once(`slack:${workspace}:${event.channel}:${event.ts}`, (queued) =>
    ctx.deliveries.track(respondTo(ctx, client, thread, text, queued)),
  );
}

async function respondTo(ctx: SlackContext, client: WebClient, thread: ThreadRef, text: string, queued: () => Promise<void>): Promise<void> {
  const parsed = parseInput(text);
  if (parsed.kind === 'command' && parsed.command.kind === 'forget') {
    await queued();
    await ephemeral(client, thread, 'Forget this thread?', confirmForgetBlocks({ c: thread.channel, t: thread.thread }));
    return;
  }
  if (parsed.kind !== 'prompt' || !parsed.text) {
    const reply = await ctx.conversation.handleMessage(thread, text);
    await queued();
    await deliver(client, thread, reply);
    return;
  }
  const replier = new ThreadReplier(client, thread.channel, thread.thread, ctx.logger);
  // handleMessage queues the turn before its first await; only then is the delivery remembered.
  const answer = ctx.conversation.handleMessage(thread, parsed.text, { onDelta: (d) => replier.onDelta(d) });
  await queued();
  replier.start();
  const reply = await answer;
  await replier.finish(reply.text);
}

/** Private replies go to the asker only; the rest to the thread. */
async function deliver(client: WebClient, thread: ThreadRef, reply: Reply): Promise<void> {
  if (!isPrivate(reply)) {
    await client.chat.postMessage({ channel: thread.channel, thread_ts: thread.thread, text: toMrkdwn(reply.text) });
    return;
  }
  const blocks =
    reply.kind === 'history'
      ? historyBlocks(reply.text, { c: thread.channel, t: thread.thread }, reply.page.page, reply.page.pages)
      : textSections(reply.text);
  await ephemeral(client, thread, reply.text.slice(0, 200), blocks);
}

async function ephemeral(client: WebClient, thread: ThreadRef, fallback: string, blocks: unknown[]): Promise<void> {
  await client.chat.postEphemeral({ channel: thread.channel, thread_ts: thread.thread, user: thread.user, text: toMrkdwn(fallback), blocks: blocks as never });
}
