/**
 * Block Kit for what the bot shows privately: history pages, the list of a channel's threads,
 * and the forget confirmation. Limits are Slack's, named next to the code that obeys them.
 */
import type { Reply } from '../../src/core/reply.js';
import { SCHEDULE_ID } from '../../src/core/commands/parse.js';
import type { ThreadRecord } from '../../src/core/ports.js';
import { threadLine, type ThreadNames } from '../../src/core/listing.js';
import { chunkMarkdown } from '../shared/chunk.js';
import { defuseBroadcasts, escapeMrkdwn, toMrkdwn } from './mrkdwn.js';
import { permalink } from './thread.js';

/** Section text limit is 3,000 characters; a message takes at most 50 blocks. */
export const SECTION_TEXT_LIMIT = 2900;
export const MAX_BLOCKS = 50;
/** Markdown per thread message; mrkdwn escaping grows it, Slack's hard limit is 40,000. */
export const MESSAGE_MARKDOWN_LIMIT = 3000;
export const LISTED_THREADS = 15;

export type Block = Record<string, unknown>;

export const ACTION = {
  history: 'copilot_history',
  forget: 'copilot_forget',
  transcript: 'copilot_transcript',
  unschedule: 'copilot_unschedule',
  /** A button that opens a page (GitHub's sign-in): Slack still sends its click, which is only acknowledged. */
  link: 'copilot_link',
} as const;

export interface ThreadTarget {
  /** channel */
  c: string;
  /** thread ts */
  t: string;
  /** page (history only) */
  p?: number;
  /** schedule id (unschedule only) */
  s?: string;
}

export function encodeTarget(target: ThreadTarget): string {
  return JSON.stringify(target);
}

export function decodeTarget(value: string | undefined): ThreadTarget | undefined {
  try {
    const v = JSON.parse(value ?? '') as ThreadTarget;
    if (typeof v.c === 'string' && /^[A-Z0-9]+$/.test(v.c) && typeof v.t === 'string' && /^\d+\.\d+$/.test(v.t) && (v.s === undefined || (typeof v.s === 'string' && SCHEDULE_ID.test(v.s)))) return v;
  } catch {
    // fall through
  }
  return undefined;
}

export function textSections(markdown: string): Block[] {
  return chunkMarkdown(markdown, SECTION_TEXT_LIMIT)
    .map((chunk) => ({ type: 'section', text: { type: 'mrkdwn', text: toMrkdwn(chunk) } }))
    .slice(0, MAX_BLOCKS - 2);
}

/** A reply about the person's GitHub account: its words, and a button that opens GitHub's page. */
export function accountBlocks(reply: Reply): Block[] {
  const sections = textSections(reply.text);
  if (reply.kind !== 'account' || !reply.link) return sections;
  return [...sections, { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: reply.link.label }, url: reply.link.url, action_id: ACTION.link, style: 'primary' }] }];
}

function button(text: string, actionId: string, value: string, extra: Block = {}): Block {
  return { type: 'button', text: { type: 'plain_text', text, emoji: true }, action_id: actionId, value, ...extra };
}

export function forgetConfirm(): Block {
  return {
    title: { type: 'plain_text', text: 'Forget this thread?' },
    text: { type: 'mrkdwn', text: "This deletes the thread's Copilot session for good. The next mention starts from scratch." },
    confirm: { type: 'plain_text', text: 'Forget it' },
    deny: { type: 'plain_text', text: 'Keep it' },
    style: 'danger',
  };
}

export function forgetButton(target: ThreadTarget): Block {
  return button('Forget…', ACTION.forget, encodeTarget({ c: target.c, t: target.t }), { style: 'danger', confirm: forgetConfirm() });
}

export function historyBlocks(markdown: string, target: ThreadTarget, page: number, pages: number): Block[] {
  const nav: Block[] = [];
  if (page > 1) nav.push(button('◀ Older', `${ACTION.history}:older`, encodeTarget({ ...target, p: page - 1 })));
  if (page < pages) nav.push(button('Newer ▶', `${ACTION.history}:newer`, encodeTarget({ ...target, p: page + 1 })));
  nav.push(button('Download transcript', ACTION.transcript, encodeTarget({ c: target.c, t: target.t })));
  return [...textSections(markdown), { type: 'actions', elements: nav }];
}

/**
 * Places and people as Slack shows them: `<#C…>` and `<@U…>` render as names, and in the
 * private (ephemeral) lists they appear in they notify nobody.
 */
export function slackNames(teamUrl: string | undefined): ThreadNames {
  return {
    place: (r) => (r.direct ? 'a direct message' : `<#${r.channel}>`),
    person: (u) => (/^[UW][A-Z0-9]+$/.test(u) ? `<@${u}>` : escapeMrkdwn(u)),
    link: (r, label) => {
      const url = r.link ?? permalink(teamUrl, r.channel, r.thread);
      return url ? `<${url}|${label}>` : undefined;
    },
    literal: (t) => defuseBroadcasts(escapeMrkdwn(t)),
  };
}

/** `/copilot history` without a thread: this channel's threads, each with its History and Forget buttons. */
export function threadListBlocks(records: readonly ThreadRecord[], channel: string, names: ThreadNames, now = new Date()): Block[] {
  if (records.length === 0) return textSections('No thread in this channel has a Copilot session yet.');
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*Threads with a Copilot session in <#${channel}>* (newest first)` } }];
  for (const r of records.slice(0, LISTED_THREADS)) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: threadLine(r, now, names) } });
    const target = { c: r.channel, t: r.thread };
    blocks.push({ type: 'actions', elements: [button('History', ACTION.history, encodeTarget({ ...target, p: 0 })), forgetButton(target)] });
  }
  if (records.length > LISTED_THREADS) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${records.length - LISTED_THREADS} older threads.` }] });
  return blocks;
}

/** `/copilot sessions`: the workspace's threads the asker may see, one line each, linked. */
export function sessionListBlocks(records: readonly ThreadRecord[], names: ThreadNames, now = new Date()): Block[] {
  if (records.length === 0) return textSections('No thread in this workspace has a Copilot session.');
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*Threads with a Copilot session* (${records.length}, newest first)` } }];
  let section: string[] = [];
  let shown = 0;
  const flush = () => {
    if (section.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: section.join('\n') } });
    section = [];
  };
  for (const r of records) {
    const line = `• ${threadLine(r, now, names)}`;
    if ([...section, line].join('\n').length > SECTION_TEXT_LIMIT) {
      flush();
      // One block stays free for the "…and N older" line.
      if (blocks.length >= MAX_BLOCKS - 1) break;
    }
    section.push(line);
    shown++;
  }
  flush();
  if (records.length > shown) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${records.length - shown} older threads.` }] });
  return blocks;
}

export const FEEDBACK_ACTION = 'copilot_feedback';

/** Slack's own 👍/👎 under an answer; a click says which thread by where the message is. */
export function feedbackBlocks(): Block[] {
  return [
    {
      type: 'context_actions',
      elements: [
        {
          type: 'feedback_buttons',
          action_id: FEEDBACK_ACTION,
          positive_button: { text: { type: 'plain_text', text: '👍' }, accessibility_label: 'This answer was helpful', value: 'up' },
          negative_button: { text: { type: 'plain_text', text: '👎' }, accessibility_label: 'This answer was not helpful', value: 'down' },
        },
      ],
    },
  ];
}

/** A thread's schedules: a line each (its author named, not notified: the list is private), a Cancel button on those the asker may stop. */
export function scheduleBlocks(reply: Extract<Reply, { kind: 'schedules' }>, target: ThreadTarget): Block[] {
  // A private list: the asker's own count elsewhere is theirs to see.
  if (reply.items.length === 0) return textSections([reply.text, reply.footer].filter(Boolean).join('\n'));
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*Schedules of this thread* (${reply.items.length})` } }];
  // One block each; the heading and the footer take two.
  for (const item of reply.items.slice(0, MAX_BLOCKS - 2)) {
    if (blocks.length >= MAX_BLOCKS - 1) break;
    const text = `${toMrkdwn(item.line)} · by ${slackNames(undefined).person(item.by)}`;
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text },
      ...(item.cancellable ? { accessory: button('Cancel', ACTION.unschedule, encodeTarget({ c: target.c, t: target.t, s: item.id }), { style: 'danger' }) } : {}),
    });
  }
  if (reply.footer) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: toMrkdwn(reply.footer) }] });
  return blocks;
}

export function confirmForgetBlocks(target: ThreadTarget): Block[] {
  return [
    { type: 'section', text: { type: 'mrkdwn', text: "Forget this thread? Its Copilot session will be deleted for good." } },
    { type: 'actions', elements: [forgetButton(target)] },
  ];
}
