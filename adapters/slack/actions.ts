/** What the slash command, the buttons and the shortcut do to one thread, shared by all three. */
import { FORGOTTEN_MARK } from '../../src/core/reply.js';
import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { slackThreadRef } from './thread.js';
import { historyBlocks, scheduleBlocks, type Block, type ThreadTarget } from './blocks.js';
import type { SlackContext } from './context.js';
import { toMrkdwn } from './mrkdwn.js';

export interface Actor {
  workspace: string;
  user: string;
}

/** `mrkdwn` is Slack text already; convert core replies (Markdown) with `toMrkdwn` first. */
export async function respondPrivately(respond: RespondFn, mrkdwn: string, blocks?: Block[], replace = false): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: replace, text: mrkdwn.slice(0, 3000), ...(blocks ? { blocks: blocks as never } : {}) });
}

export async function showHistory(ctx: SlackContext, respond: RespondFn, who: Actor, target: ThreadTarget, replace = false): Promise<void> {
  const thread = slackThreadRef(who.workspace, target.c, target.t, who.user);
  const reply = await ctx.conversation.runCommand(thread, { kind: 'history', page: target.p ?? 0 });
  if (reply.kind !== 'history') return respondPrivately(respond, toMrkdwn(reply.text), undefined, replace);
  await respondPrivately(respond, `History of thread ${target.t}`, historyBlocks(reply.text, target, reply.page.page, reply.page.pages), replace);
}

export async function forgetThread(ctx: SlackContext, client: WebClient, respond: RespondFn, who: Actor, target: ThreadTarget): Promise<void> {
  const thread = slackThreadRef(who.workspace, target.c, target.t, who.user);
  const reply = await ctx.conversation.runCommand(thread, { kind: 'forget' });
  await respondPrivately(respond, toMrkdwn(reply.text), undefined, true);
  if (reply.kind === 'forgotten') {
    await client.chat.postMessage({
      channel: target.c,
      thread_ts: target.t,
      text: `${FORGOTTEN_MARK} <@${who.user}> made me forget this thread: its Copilot session is deleted. The next mention starts fresh.`,
    });
  }
}

export async function sendTranscript(ctx: SlackContext, client: WebClient, respond: RespondFn, who: Actor, target: ThreadTarget): Promise<void> {
  const thread = slackThreadRef(who.workspace, target.c, target.t, who.user);
  const reply = await ctx.conversation.runCommand(thread, { kind: 'history', page: 0 });
  if (reply.kind !== 'history') return respondPrivately(respond, toMrkdwn(reply.text));
  // The transcript is as private as the history view: it goes to the asker's DM with the bot.
  const dm = await client.conversations.open({ users: who.user });
  const channel = dm.channel?.id;
  if (!channel) throw new Error('conversations.open returned no channel');
  await client.filesUploadV2({
    channel_id: channel,
    content: reply.transcript,
    filename: `${reply.sessionId}.md`,
    title: `Copilot thread transcript (${target.c} ${target.t})`,
    initial_comment: `Transcript of the Copilot session for thread ${target.t} in <#${target.c}>.`,
  });
  await respondPrivately(respond, '📄 I sent you the transcript in a direct message.');
}

/** A schedule's Cancel button: stopped (or why not), and the list shown again as it is now. */
export async function cancelSchedule(ctx: SlackContext, respond: RespondFn, who: Actor, target: ThreadTarget): Promise<void> {
  if (!target.s) return respondPrivately(respond, 'That button is no longer valid.');
  const thread = slackThreadRef(who.workspace, target.c, target.t, who.user);
  const stopped = await ctx.conversation.runCommand(thread, { kind: 'unschedule', id: target.s });
  const list = await ctx.conversation.runCommand(thread, { kind: 'schedules' });
  const blocks = list.kind === 'schedules' ? scheduleBlocks(list, { c: target.c, t: target.t }) : [];
  await respondPrivately(respond, toMrkdwn(stopped.text), [{ type: 'section', text: { type: 'mrkdwn', text: toMrkdwn(stopped.text) } }, ...blocks], true);
}
