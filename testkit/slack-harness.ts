/**
 * The bot as `npm start` wires it for Slack (real store, real runtime, real Bolt on the bot's
 * HTTP server), talking to the fake Slack API, with helpers that send requests signed as Slack does.
 */
import { slackTs } from './slack-ts.js';
import querystring from 'node:querystring';
import { createSlackAdapter, type SlackAdapter } from '../adapters/slack/index.js';
import { startHttpServer, type HttpServer, type Route } from '../src/infra/http-server.js';
import { startFakeSlack, signed, type FakeSlack } from './fake-slack.js';
import { startHarness, testLogger, type Harness } from './harness.js';
import type { ModelScript } from './model-server.js';

export const SECRET = 'test-signing-secret';

export interface SlackHarness {
  h: Harness;
  slack: FakeSlack;
  adapter: SlackAdapter;
  http: HttpServer;
  url: string;
  post(path: string, raw: string, contentType: string, extra?: Record<string, string>, secret?: string): Promise<Response>;
  event(event: Record<string, unknown>, options?: { eventId?: string; team?: string; retryNum?: number; enterprise?: string }): Promise<Response>;
  command(text: string, options?: { channel?: string; user?: string; team?: string; responseId?: string }): Promise<Response>;
  interact(payload: Record<string, unknown>): Promise<Response>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

let eventSeq = 0;

export async function startSlackHarness(options: { env?: Record<string, string>; script?: ModelScript; keepAliveMs?: number } = {}): Promise<SlackHarness> {
  const slack = await startFakeSlack();
  const h = await startHarness({
    // The edit path unless a test asks for native streaming (test/slack/streaming.test.ts).
    env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, SLACK_STREAMING: 'edit', ...options.env },
    script: options.script,
  });
  const routes: Route[] = [];
  const http = await startHttpServer({ port: 0, host: '127.0.0.1', routes });
  const adapterFor = async () => {
    const adapter = await createSlackAdapter({
      config: h.config.slack!,
      conversation: h.app.conversation,
      registry: h.app.store.registry,
      dedupe: h.app.store.dedupe,
      journal: h.app.store.journal,
      logger: testLogger(),
      metrics: h.app.metrics,
      ...(options.keepAliveMs ? { keepAliveMs: options.keepAliveMs } : {}),
    });
    routes.length = 0;
    routes.push(adapter.route!);
    await adapter.start();
    return adapter;
  };
  const url = `http://127.0.0.1:${http.port}`;
  const s: SlackHarness = {
    h,
    slack,
    http,
    url,
    adapter: await adapterFor(),
    post: (path, raw, contentType, extra = {}, secret = SECRET) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { ...signed(raw, contentType, secret), ...extra }, body: raw }),
    event(event, o = {}) {
      const team = o.team ?? 'T111';
      // What a person posts is in the channel's history, as on Slack (a retry of an event is not a second post).
      if ((event.type === 'message' || event.type === 'app_mention') && !o.retryNum) slack.said(event);
      const body = {
        token: 'x',
        ...(team ? { team_id: team } : {}),
        ...(o.enterprise ? { enterprise_id: o.enterprise } : {}),
        api_app_id: 'A111',
        type: 'event_callback',
        event_id: o.eventId ?? `Ev${++eventSeq}`,
        event_time: 1700000100,
        authorizations: [{ enterprise_id: o.enterprise ?? null, team_id: team || null, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
        event: { event_ts: event.ts, ...(team ? { team } : {}), ...event },
      };
      const retry: Record<string, string> = o.retryNum ? { 'x-slack-retry-num': String(o.retryNum), 'x-slack-retry-reason': 'http_timeout' } : {};
      return s.post('/slack/events', JSON.stringify(body), 'application/json', retry);
    },
    command(text, o = {}) {
      const form = {
        token: 'x',
        command: '/copilot',
        text,
        team_id: o.team ?? 'T111',
        team_domain: 'test',
        channel_id: o.channel ?? 'C222',
        channel_name: 'general',
        user_id: o.user ?? 'UHUMAN',
        user_name: 'human',
        api_app_id: 'A111',
        is_enterprise_install: 'false',
        response_url: slack.responseUrl(o.responseId ?? 'cmd'),
        trigger_id: 'trig',
      };
      return s.post('/slack/events', querystring.stringify(form), 'application/x-www-form-urlencoded');
    },
    interact(payload) {
      return s.post('/slack/events', `payload=${encodeURIComponent(JSON.stringify(payload))}`, 'application/x-www-form-urlencoded');
    },
    async restart() {
      await s.adapter.stop();
      await h.restart();
      s.adapter = await adapterFor();
    },
    async close() {
      await s.adapter.stop().catch(() => undefined);
      await http.close();
      await h.close();
      await slack.close();
    },
  };
  return s;
}

/** A mention of the bot, in a thread (`thread_ts`) or at top level. */
export function mention(text: string, o: { ts?: string; thread_ts?: string; channel?: string; user?: string } = {}): Record<string, unknown> {
  return {
    type: 'app_mention',
    user: o.user ?? 'UHUMAN',
    text: `<@UBOT> ${text}`,
    ts: o.ts ?? nextTs(),
    ...(o.thread_ts ? { thread_ts: o.thread_ts } : {}),
    channel: o.channel ?? 'C222',
  };
}

export function message(text: string, o: { ts?: string; thread_ts?: string; channel?: string; user?: string; channel_type?: string; subtype?: string; bot_id?: string } = {}): Record<string, unknown> {
  return {
    type: 'message',
    user: o.user ?? 'UHUMAN',
    text,
    ts: o.ts ?? nextTs(),
    channel: o.channel ?? 'C222',
    channel_type: o.channel_type ?? 'channel',
    ...(o.thread_ts ? { thread_ts: o.thread_ts } : {}),
    ...(o.subtype ? { subtype: o.subtype } : {}),
    ...(o.bot_id ? { bot_id: o.bot_id } : {}),
  };
}

/** A new message's ts, after every message before it (the bot's included). */
export const nextTs = slackTs;
