/**
 * OpenTelemetry: the built bot exports one trace per message to a local OTLP receiver: the
 * platform event, the turn, the Copilot runtime's own spans (joined through the SDK's trace
 * context) and the platform replies, for Slack and Discord alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, startStack, type Stack } from '../../testkit/bot-process.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../testkit/otlp-receiver.js';
import { T1 } from '../../testkit/discord-harness.js';
import { startTracing } from '../../src/infra/tracing.js';

let otlp: OtlpReceiver;
let stack: Stack;
beforeAll(async () => {
  otlp = await startOtlpReceiver();
  stack = await startStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, SLACK_STREAMING: 'native' } });
});
afterAll(async () => {
  await stack?.close();
  await otlp?.close();
});

const SERVER = 2;
const CLIENT = 3;
const inTrace = (traceId: string) => otlp.spans.filter((s) => s.traceId === traceId);
const childrenOf = (span: ReceivedSpan) => otlp.spans.filter((s) => s.traceId === span.traceId && s.parentSpanId === span.spanId);

describe('tracing (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('exports one trace per message: event → turn → Copilot runtime, and the platform replies', async () => {
    const bot = await stack.startBot();
    await stack.slackEvent({ type: 'app_mention', user: 'UHUMAN', text: '<@UBOT> traced hello', ts: '1700000900.000100', channel: 'C222' });
    stack.discordSay('traced on discord', { channel: T1 });
    // The spans arrive in batches; the runtime exports its own.
    await expect.poll(() => otlp.spans.filter((s) => s.name === 'copilot_threads.turn').length, { timeout: 30_000 }).toBe(2);
    await expect.poll(() => otlp.spans.filter((s) => s.name === 'invoke_agent').length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    bot.child.kill('SIGTERM');
    expect((await exitOf(bot)).code).toBe(0);
    expect(otlp.unreadable).toEqual([]);

    const slack = otlp.spans.find((s) => s.name === 'slack.message')!;
    expect(slack).toMatchObject({ service: 'copilot-threads', kind: SERVER, parentSpanId: undefined, attributes: { 'slack.channel': 'C222', 'slack.ts': '1700000900.000100' } });
    const slackTurn = childrenOf(slack).find((s) => s.name === 'copilot_threads.turn')!;
    expect(slackTurn.attributes).toMatchObject({ 'copilot_threads.platform': 'slack', 'copilot_threads.outcome': 'answered', 'copilot_threads.session': 'slack-T111-C222-1700000900_000100' });
    expect(slackTurn.attributes['copilot_threads.queue_wait_ms']).toEqual(expect.any(Number));
    // The runtime's spans are in the same trace, under the turn.
    const agent = childrenOf(slackTurn).find((s) => s.name === 'invoke_agent');
    expect(agent?.service).toBe('github-copilot');
    expect(inTrace(slack.traceId).some((s) => s.service === 'github-copilot' && /^chat /.test(s.name))).toBe(true);
    // The replies: Slack's streaming calls, each a client span of the message.
    const calls = childrenOf(slack).filter((s) => s.kind === CLIENT).map((s) => s.name);
    expect(calls).toEqual(expect.arrayContaining(['slack chat.startStream', 'slack chat.stopStream']));

    const discord = otlp.spans.find((s) => s.name === 'discord.message' && s.attributes['discord.channel'] === T1)!;
    expect(discord).toMatchObject({ kind: SERVER, parentSpanId: undefined });
    const discordTurn = inTrace(discord.traceId).find((s) => s.name === 'copilot_threads.turn');
    expect(discordTurn?.attributes).toMatchObject({ 'copilot_threads.platform': 'discord', 'copilot_threads.outcome': 'answered' });
    expect(inTrace(discord.traceId).some((s) => s.name === 'discord reply' && s.kind === CLIENT)).toBe(true);
    expect(inTrace(discord.traceId).some((s) => s.name === 'invoke_agent')).toBe(true);
    // Two messages, two traces.
    expect(discord.traceId).not.toBe(slack.traceId);
  });

  it("with tools on, the sandboxed runtime's spans reach the collector through the gateway's trace route, in the message's trace", async () => {
    const bot = await stack.startBot({ COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none' });
    await stack.slackEvent({ type: 'app_mention', user: 'UHUMAN', text: '<@UBOT> traced in the sandbox', ts: '1700000950.000100', channel: 'C222' });
    const turn = () => otlp.spans.find((s) => s.name === 'copilot_threads.turn' && s.attributes['copilot_threads.session'] === 'slack-T111-C222-1700000950_000100');
    await expect.poll(() => turn() !== undefined && childrenOf(turn()!).some((s) => s.name === 'invoke_agent'), { timeout: 30_000 }).toBe(true);
    bot.child.kill('SIGTERM');
    expect((await exitOf(bot)).code).toBe(0);
  });

  it('is off without an endpoint', () => {
    expect(startTracing({}).enabled).toBe(false);
    expect(startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
  });
});
