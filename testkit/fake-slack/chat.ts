/** `chat.*`: messages, updates, ephemerals, and native streaming (which Slack may close under a long stream). */
import { slackTs as nextTs } from '../slack-ts.js';
import type { Methods, SlackState } from './state.js';

export function chatMethods(state: SlackState): Methods {
  return {
    'chat.postMessage': (args) => ({ ok: true, channel: args.channel, ts: nextTs(), message: { text: args.text } }),
    'chat.update': (args) => ({ ok: true, channel: args.channel, ts: args.ts }),
    'chat.postEphemeral': () => ({ ok: true, message_ts: nextTs() }),
    'chat.startStream': (args) => {
      if (!args.thread_ts) return { ok: false, error: 'invalid_arguments' };
      if (!String(args.channel).startsWith('D') && (!args.recipient_user_id || !args.recipient_team_id)) return { ok: false, error: 'missing_recipient_user_id' };
      const ts = nextTs();
      state.streams.set(ts, { open: true, appends: 0 });
      return { ok: true, channel: args.channel, ts };
    },
    'chat.appendStream': (args) => {
      const stream = state.streams.get(String(args.ts));
      if (!stream?.open) return { ok: false, error: 'message_not_in_streaming_state' };
      if (state.closeAfter !== undefined && stream.appends >= state.closeAfter) {
        stream.open = false;
        return { ok: false, error: 'message_not_in_streaming_state' };
      }
      stream.appends++;
      return { ok: true, channel: args.channel, ts: args.ts };
    },
    'chat.stopStream': (args) => {
      const stream = state.streams.get(String(args.ts));
      if (!stream?.open) return { ok: false, error: 'message_not_in_streaming_state' };
      stream.open = false;
      return { ok: true, channel: args.channel, ts: args.ts, message: { blocks: args.blocks } };
    },
  };
}
