/**
 * Payloads meant for another app, or for a command this app does not have (a shared workspace
 * routes them all to every request URL it was given): acknowledged at once and logged at debug,
 * never left to Bolt's "unhandled request" (3 s of waiting, a 404 and an error line).
 */
import type { AnyMiddlewareArgs, App } from '@slack/bolt';
import type { SlackContext } from '../context.js';
import { THREAD_HISTORY_CALLBACK } from './shortcuts/thread_history.js';

/** Every action id this app puts on a button starts so (see `blocks.ts`, `approvals.ts`). */
const OUR_ACTIONS = /^(?:copilot_|approval_)/;
const OUR_COMMAND = '/copilot';

type Body = { type?: string; command?: string; callback_id?: string; actions?: Array<{ action_id?: string }>; view?: { callback_id?: string } };

/** What a payload is, when it is not for this app; undefined when it is (or is an event, which Bolt acknowledges itself). */
export function foreignPayload(body: Body): string | undefined {
  if (body.command !== undefined) return body.command === OUR_COMMAND ? undefined : `the slash command ${body.command}`;
  switch (body.type) {
    case 'block_actions':
      return (body.actions ?? []).some((a) => OUR_ACTIONS.test(a.action_id ?? '')) ? undefined : `another app's button (${body.actions?.[0]?.action_id ?? '?'})`;
    case 'message_action':
    case 'shortcut':
      return body.callback_id === THREAD_HISTORY_CALLBACK ? undefined : `another app's shortcut (${body.callback_id ?? '?'})`;
    case 'view_submission':
    case 'view_closed':
    case 'block_suggestion':
      return `another app's ${body.type} (${body.view?.callback_id ?? '?'})`;
    default:
      return undefined;
  }
}

export function foreignPayloads(app: App, ctx: SlackContext): void {
  app.use(async (args: AnyMiddlewareArgs & { next: () => Promise<void> }) => {
    const what = foreignPayload(args.body as Body);
    if (!what) return args.next();
    const ack = (args as { ack?: (answer?: unknown) => Promise<void> }).ack;
    await ack?.();
    ctx.logger.debug({ payload: what }, 'Slack: a payload for another app acknowledged and ignored');
  });
}
