/** What a person would see in a Slack thread, rebuilt from the calls the fake API recorded. */
import type { FakeSlack } from './fake-slack.js';

export interface Visible {
  ts: string;
  text: string;
}

/** The bot's messages in a thread, each with its latest text after `chat.update`s. */
export function threadMessages(slack: FakeSlack, channel: string, thread: string): Visible[] {
  const messages = new Map<string, Visible>();
  for (const call of slack.calls) {
    if (!call.result) continue;
    if (call.method === 'chat.postMessage' && call.args.channel === channel && call.args.thread_ts === thread) {
      const ts = String(call.result.ts);
      messages.set(ts, { ts, text: String(call.args.text) });
    } else if (call.method === 'chat.update' && call.args.channel === channel) {
      const m = messages.get(String(call.args.ts));
      if (m) m.text = String(call.args.text);
    }
  }
  return [...messages.values()];
}

export function threadTexts(slack: FakeSlack, channel: string, thread: string): string[] {
  return threadMessages(slack, channel, thread).map((m) => m.text);
}
