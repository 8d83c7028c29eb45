/**
 * Message timestamps as Slack makes them (`<seconds>.<microseconds>`, from the clock, each one
 * later than the last): shared by the fake Slack (the bot's posts) and the harness (people's
 * messages), so a thread's messages are ordered as they were written, as on Slack.
 */
let last = 0;

export function slackTs(): string {
  last = Math.max(last + 1, Date.now() * 1000);
  return `${Math.floor(last / 1e6)}.${String(last % 1e6).padStart(6, '0')}`;
}
