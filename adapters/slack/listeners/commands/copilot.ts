/**
 * `/copilot history|forget|sessions|usage|login|logout|whoami|model|agent|repo|schedule|schedules|unschedule|help [thread link] [page|name|…]`. Acked at once (Slack allows 3 s),
 * answered privately through `respond()`. Slack sends no thread with a slash command, so without
 * a thread link `history` and `forget` list this channel's threads that have sessions.
 */
import type { App, RespondFn } from '@slack/bolt';
import { COMMAND_HELP, parseInput, SCHEDULE_ID } from '../../../../src/core/commands/parse.js';
import { accountBlocks, confirmForgetBlocks, scheduleBlocks, sessionListBlocks, slackNames, textSections, threadListBlocks } from '../../blocks.js';
import type { SlackContext } from '../../context.js';
import { errorReference, failureNotice, type Reply } from '../../../../src/core/reply.js';
import { respondPrivately, showHistory, type Actor } from '../../actions.js';
import { describe } from '../../replier.js';
import { toMrkdwn } from '../../mrkdwn.js';
import { parsePermalink, workspaceOf } from '../../thread.js';

/** Markdown, like every core reply. */
export const SLASH_HELP = [
  '**Copilot in this workspace** keeps one session per thread. Mention me in a thread to talk.',
  ...COMMAND_HELP.map(([usage, what]) => `• \`/copilot ${usage.replace('[page]', '[thread link] [page]').replace('[name]', '[thread link] [name]').replace(/^(repo|schedule|schedules)\b ?/, '$1 <thread link> ').trimEnd()}\`: ${what}`),
  'In a thread you can also write `@copilot history`, `@copilot forget`, `@copilot model [name]`, `@copilot agent [name]`, `@copilot repo …`, `@copilot schedule "<when>" <prompt>`, `@copilot schedules` or `@copilot help`.',
].join('\n');

export function copilotCommand(app: App, ctx: SlackContext): void {
  app.command('/copilot', async ({ command, ack, respond, context }) => {
    await ack();
    const workspace = workspaceOf(context) ?? command.team_id;
    const who: Actor = { workspace, user: command.user_id };
    try {
      await ctx.deliveries.track(run(ctx, respond, who, command.channel_id, command.text ?? ''));
    } catch (err) {
      const ref = errorReference();
      ctx.logger.error({ err: describe(err), channel: command.channel_id, ref }, 'Slack: /copilot failed');
      await respondPrivately(respond, toMrkdwn(failureNotice(ref))).catch(() => undefined);
    }
  });
}

async function run(ctx: SlackContext, respond: RespondFn, who: Actor, channel: string, text: string): Promise<void> {
  const [sub = 'help', link, page, ...extra] = text.trim().split(/\s+/).filter(Boolean);
  const usage = () => respondPrivately(respond, toMrkdwn(`Usage:\n${SLASH_HELP}`));
  switch (sub.toLowerCase()) {
    case 'help':
      return respondPrivately(respond, toMrkdwn(SLASH_HELP), textSections(SLASH_HELP));
    case 'sessions': {
      const reply = await ctx.conversation.runCommand({ platform: 'slack', workspace: who.workspace, channel, thread: channel, user: who.user }, { kind: 'sessions' });
      if (reply.kind !== 'sessions') return respondPrivately(respond, toMrkdwn(reply.text), textSections(reply.text));
      return respondPrivately(respond, `Threads with a Copilot session: ${reply.records.length}`, sessionListBlocks(reply.records, slackNames(ctx.teams.urlOf(who.workspace))));
    }
    case 'usage': {
      const reply = await ctx.conversation.runCommand({ platform: 'slack', workspace: who.workspace, channel, thread: channel, user: who.user }, { kind: 'usage' });
      return respondPrivately(respond, toMrkdwn(reply.text), textSections(reply.text));
    }
    case 'login':
    case 'logout':
    case 'whoami': {
      if (link !== undefined) return usage();
      // A sign-in's outcome comes later, through the same private channel (Slack keeps it open 30 minutes).
      const tell = (r: Reply) => respondPrivately(respond, toMrkdwn(r.text), accountBlocks(r));
      const reply = await ctx.conversation.runCommand({ platform: 'slack', workspace: who.workspace, channel, thread: channel, user: who.user }, { kind: sub.toLowerCase() as 'login' | 'logout' | 'whoami' }, tell);
      return tell(reply);
    }
    case 'history':
    case 'forget': {
      if (extra.length || (page !== undefined && !/^[1-9]\d{0,5}$/.test(page))) return usage();
      if (!link) {
        const records = await ctx.registry.list({ platform: 'slack', workspace: who.workspace, channel });
        return respondPrivately(respond, `Threads with a Copilot session in this channel: ${records.length}`, threadListBlocks(records, channel, slackNames(ctx.teams.urlOf(who.workspace))));
      }
      const target = parsePermalink(link);
      if (!target) return respondPrivately(respond, 'That is not a Slack thread link. Use “Copy link” on the thread’s first message.');
      // Acting on another channel's thread from here would let anyone read any channel's history.
      if (target.channel !== channel) return respondPrivately(respond, `Run this in <#${target.channel}>, where that thread is.`);
      const t = { c: target.channel, t: target.thread };
      if (sub.toLowerCase() === 'forget') return respondPrivately(respond, 'Forget this thread?', confirmForgetBlocks(t));
      return showHistory(ctx, respond, who, { ...t, p: page ? Number(page) : 0 });
    }
    case 'model':
    case 'agent': {
      const what = sub.toLowerCase() as 'model' | 'agent';
      // Slack sends no thread with a slash command: the thread's link says which (or it is said in the thread).
      if (!link) return respondPrivately(respond, toMrkdwn(`Slack does not tell me which thread a slash command comes from. In the thread, write \`@Copilot ${what}\` (or \`@Copilot ${what} NAME\`), or give the thread's link here: \`/copilot ${what} <thread link> [name]\`.`));
      if (extra.length) return usage();
      const target = parsePermalink(link);
      if (!target) return respondPrivately(respond, 'That is not a Slack thread link. Use “Copy link” on the thread’s first message.');
      if (target.channel !== channel) return respondPrivately(respond, `Run this in <#${target.channel}>, where that thread is.`);
      const parsed = parseInput(`${what}${page ? ` ${page}` : ''}`, { explicit: true });
      if (parsed.kind !== 'command') return respondPrivately(respond, toMrkdwn(parsed.kind === 'invalid' ? parsed.message : SLASH_HELP));
      const reply = await ctx.conversation.runCommand({ platform: 'slack', workspace: who.workspace, channel, thread: target.thread, user: who.user }, parsed.command);
      return respondPrivately(respond, toMrkdwn(reply.text), textSections(reply.text));
    }
    case 'repo': {
      // As model and agent: Slack says no thread, so the thread's link does (or it is said in the thread).
      if (!link) return respondPrivately(respond, toMrkdwn('Slack does not tell me which thread a slash command comes from. In the thread, write `@Copilot repo` (or `@Copilot repo owner/name [ref]`, `repo pull`, `repo remove`), or give the thread\'s link here: `/copilot repo <thread link> [owner/name or URL] [ref]`.'));
      const target = parsePermalink(link);
      if (!target) return respondPrivately(respond, 'That is not a Slack thread link. Use “Copy link” on the thread’s first message.');
      if (target.channel !== channel) return respondPrivately(respond, `Run this in <#${target.channel}>, where that thread is.`);
      const parsed = parseInput(['repo', ...[page, ...extra].filter((w): w is string => w !== undefined)].join(' '), { explicit: true });
      if (parsed.kind !== 'command') return respondPrivately(respond, toMrkdwn(parsed.kind === 'invalid' ? parsed.message : SLASH_HELP));
      const reply = await ctx.conversation.runCommand({ platform: 'slack', workspace: who.workspace, channel, thread: target.thread, user: who.user }, parsed.command);
      return respondPrivately(respond, toMrkdwn(reply.text), textSections(reply.text));
    }
    case 'schedule':
    case 'schedules':
    case 'unschedule': {
      const what = sub.toLowerCase();
      // `unschedule ID` needs no thread: a person stops their own schedules from anywhere.
      const bare = link?.replace(/^`|`$/g, '');
      const linkless = what === 'unschedule' && bare !== undefined && SCHEDULE_ID.test(bare);
      if (what === 'unschedule' && !linkless && (!link || !parsePermalink(link))) return respondPrivately(respond, toMrkdwn('Usage: `/copilot unschedule <id>`, with the 8-character id `schedules` shows (`/copilot schedules <thread link>`, or `@Copilot schedules` in the thread).'));
      if (!link || (!linkless && !parsePermalink(link))) {
        if (!link) return respondPrivately(respond, toMrkdwn(`Slack does not tell me which thread a slash command comes from. In the thread, write \`@Copilot ${what === 'schedule' ? 'schedule "every weekday at 09:00" …' : what}\`, or give the thread's link here: \`/copilot ${what} <thread link>${what === 'schedule' ? ' "<when>" <prompt>' : ''}\`.`));
      }
      const target = linkless ? { channel, thread: channel } : parsePermalink(link);
      if (!target) return respondPrivately(respond, 'That is not a Slack thread link. Use “Copy link” on the thread’s first message.');
      if (target.channel !== channel) return respondPrivately(respond, `Run this in <#${target.channel}>, where that thread is.`);
      // The words after the link, as typed: a schedule's prompt keeps its lines.
      const rest = linkless ? bare : text.trim().replace(/^\S+\s+\S+\s*/, '');
      const parsed = parseInput(`${what} ${rest}`, { explicit: true });
      if (parsed.kind !== 'command') return respondPrivately(respond, toMrkdwn(parsed.kind === 'invalid' ? parsed.message : SLASH_HELP));
      const reply = await ctx.conversation.runCommand({ platform: 'slack', workspace: who.workspace, channel, thread: target.thread, user: who.user }, parsed.command);
      if (reply.kind === 'schedules') return respondPrivately(respond, toMrkdwn(reply.text), scheduleBlocks(reply, { c: channel, t: target.thread }));
      return respondPrivately(respond, toMrkdwn(reply.text), textSections(reply.text));
    }
    default:
      return usage();
  }
}
