/**
 * The Slack adapter on Bolt: every Slack thread is a Copilot session. HTTP mode mounts Bolt's
 * receiver on the bot's own server at `/slack/events`; Socket Mode connects out with the app
 * token. `auth.test` runs once at start: it names the bot (to strip its mention) and a bad
 * token stops start-up with one clear line.
 */
import { channelIdsByName } from './channel-names.js';
import { App, HTTPReceiver, LogLevel, type HTTPReceiverOptions, type Logger as BoltLogger } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { SlackConfig } from '../../src/config.js';
import type { Conversation } from '../../src/core/conversation.js';
import type { Route } from '../../src/infra/http-server.js';
import type { Logger } from '../../src/infra/log.js';
import type { Dedupe, SecretVault, ThreadRegistry, TurnJournal } from '../../src/core/ports.js';
import { SlackInstallations } from './installations.js';
import { installedTeams, oneTeam, type Teams } from './teams.js';
import { uninstalls } from './listeners/events/uninstalls.js';
import manifest from './manifest.json' with { type: 'json' };
import { KeyedQueue } from '../../src/core/queue.js';
import { withDeadline } from '../../src/infra/deadline.js';
import { recoverInterrupted } from './incoming.js';
import { startRecovery } from '../shared/recovery.js';
import { slackVisibility } from './visibility.js';
import { slackScheduledRuns, slackTimeZones } from './schedules.js';
import type { ScheduledRunner } from '../../src/core/schedules/scheduler.js';
import type { SlackContext } from './context.js';
import { Deliveries } from '../../src/core/deliveries.js';
import { Inbound } from '../../src/core/inbound.js';
import { People } from './thread-messages.js';
import { allowedOrigins } from '../shared/download.js';
import { htmlPage } from '../shared/page.js';
import { buttons } from './listeners/actions/buttons.js';
import { feedbackButtons } from './listeners/actions/feedback.js';
import { approvalButtons, slackApprovalCards } from './approvals.js';
import { copilotCommand } from './listeners/commands/copilot.js';
import { appMention } from './listeners/events/app_mention.js';
import { appHomeOpened } from './listeners/events/app_home_opened.js';
import { assistant } from './listeners/assistant.js';
import { message } from './listeners/events/message.js';
import { threadHistory } from './listeners/shortcuts/thread_history.js';
import { foreignPayloads } from './listeners/foreign.js';
import { describe } from './replier.js';
import type { PlatformMetrics } from '../../src/infra/metrics.js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { inSpan } from '../../src/infra/tracing.js';

export const SLACK_EVENTS_PATH = '/slack/events';
/** Installs in several workspaces: the page that sends a person to Slack's consent screen, and where Slack returns. */
export const SLACK_INSTALL_PATH = '/slack/install';
export const SLACK_REDIRECT_PATH = '/slack/oauth_redirect';
/** What the app asks of each workspace: the manifest's bot scopes. */
const BOT_SCOPES: string[] = manifest.oauth_config.scopes.bot;
const DEFAULT_SLACK_API = 'https://slack.com/api/';
const KEEP_ALIVE_MS = 60_000;
/** How long Socket Mode may take to connect at start. */
const SOCKET_START_MS = 30_000;

export interface SlackDeps {
  config: SlackConfig;
  conversation: Conversation;
  registry: ThreadRegistry;
  dedupe: Dedupe;
  journal: TurnJournal;
  logger: Logger;
  /** How often a long turn says it still runs (default a minute: Slack clears a status after two); tests use less. */
  keepAliveMs?: number;
  /** Web API retry policy; tests use fewer retries. */
  retries?: number;
  metrics?: PlatformMetrics;
  /** Where workspaces' installs are kept, sealed (SLACK_CLIENT_ID…). */
  secrets?: SecretVault;
}

export interface SlackAdapter {
  /** With SLACK_BOT_TOKEN: the bot's user and team; undefined with installs (each workspace has its own). */
  botUserId: string | undefined;
  teamId: string | undefined;
  /** HTTP mode: serves `/slack/events` on the bot's server. */
  route: Route | undefined;
  start(): Promise<void>;
  /** Waits for answers being posted, then disconnects. */
  stop(): Promise<void>;
  /** Runs scheduled prompts of Slack threads (the entry point hands it to the core's scheduler). */
  scheduledRuns: ScheduledRunner;
  /** CHANNEL_CONFIG's `slack:#name` places: channel names (lower case, no `#`) → the ids of the channels so named. */
  channelIds(names: readonly string[]): Promise<Map<string, string[]>>;
}

export class SlackStartError extends Error {
  override name = 'SlackStartError';
}

export async function createSlackAdapter(deps: SlackDeps): Promise<SlackAdapter> {
  const { config, logger } = deps;
  const clientOptions: WebClientOptions = {
    ...(config.apiUrl ? { slackApiUrl: config.apiUrl.endsWith('/') ? config.apiUrl : `${config.apiUrl}/` } : {}),
    // Slack's 429s are waited out (Retry-After); other failures get a few quick retries, and no
    // call waits longer than the timeout (the client's default is to wait forever).
    retryConfig: { retries: deps.retries ?? 2, factor: 2, minTimeout: 500, maxTimeout: 5000 },
    timeout: config.timeoutMs,
    // Bolt's respond() (response_url posts) uses this fetch too, and sets no timeout of its own.
    fetch: countedFetch(timedFetch(config.timeoutMs), deps.metrics),
    logger: boltLogger(logger),
  };
  const clientFor = (token: string) => new WebClient(token, clientOptions);
  // One bot for every workspace (SLACK_BOT_TOKEN), checked now; or each workspace's own install.
  const installations = config.install ? new SlackInstallations(requireSecrets(deps), config.install.allowedTeams, clientFor) : undefined;
  const single = installations ? undefined : await checkToken(clientFor(config.botToken!), config);
  const teams: Teams = single
    ? oneTeam({ client: single.client, token: config.botToken!, botUserId: single.auth.user_id!, url: single.auth.url })
    : installedTeams(installations!, clientFor);
  if (installations) await checkReachable(clientFor(''), config);
  if (config.install?.allowedTeams.includes('*')) logger.warn('SLACK_ALLOWED_TEAMS=*: any Slack workspace that can reach /slack/install may install the app and use it');

  const socketMode = config.appToken !== undefined;
  const install = config.install;
  const receiver = socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: config.signingSecret!,
        endpoints: SLACK_EVENTS_PATH,
        processBeforeResponse: false,
        logger: boltLogger(logger),
        ...(install && installations
          ? {
              clientId: install.clientId,
              clientSecret: install.clientSecret,
              stateSecret: install.stateSecret,
              scopes: BOT_SCOPES,
              installationStore: installations,
              installerOptions: {
                installPath: SLACK_INSTALL_PATH,
                redirectUriPath: SLACK_REDIRECT_PATH,
                // The install page asks nothing: it sends the person to Slack's consent screen at once.
                directInstall: true,
                // oauth.v2.access goes where every Web API call goes (SLACK_API_URL in tests).
                clientOptions: { ...clientOptions },
                ...(config.apiUrl ? { authorizationUrl: new URL('/oauth/v2/authorize', config.apiUrl).toString() } : {}),
                callbackOptions: installCallbacks(logger),
              },
            }
          : {}),
      });
  const app = new App({
    ...(single ? { token: config.botToken, botId: single.auth.bot_id, botUserId: single.auth.user_id } : {}),
    clientOptions,
    logger: boltLogger(logger),
    ...(socketMode ? { appToken: config.appToken, socketMode: true } : { receiver }),
  });
  const deliveries = new Deliveries(deps.dedupe, logger, () => deps.metrics?.deduplicatedDelivery('slack'));
  const ctx: SlackContext = {
    conversation: deps.conversation,
    registry: deps.registry,
    deliveries,
    inbound: new Inbound({
      platform: 'slack',
      conversation: deps.conversation,
      registry: deps.registry,
      deliveries,
      journal: deps.journal,
      logger,
      replyRule: config.replyWithoutMention,
      contextBudget: deps.conversation.contextBudget,
    }),
    people: new People(),
    teams,
    fileOrigins: allowedOrigins(['files.slack.com'], config.apiUrl),
    downloadTimeoutMs: Math.max(30_000, config.timeoutMs),
    keepAliveMs: deps.keepAliveMs ?? KEEP_ALIVE_MS,
    journal: deps.journal,
    posts: new KeyedQueue<string>(),
    logger,
    streaming: config.streaming,
    suggestedPrompts: config.suggestedPrompts,
  };
  for (const register of [foreignPayloads, assistant, appHomeOpened, appMention, message, copilotCommand, buttons, approvalButtons, feedbackButtons, threadHistory]) register(app, ctx);
  if (installations) uninstalls(app, ctx, installations, clientFor);
  deps.conversation.useVisibility('slack', slackVisibility(teams, logger));
  deps.conversation.useTimeZones('slack', slackTimeZones(ctx));
  deps.conversation.useApprovalCards('slack', slackApprovalCards(teams));
  // An event from a workspace without an install (or not allowed) fails Bolt's lookup: said once a
  // minute, as a warning, not once per message at error level.
  let quietUntil = 0;
  app.error(async (err) => {
    if ((err as { code?: string }).code === 'slack_bolt_authorization_error') {
      if (Date.now() < quietUntil) return;
      quietUntil = Date.now() + 60_000;
      logger.warn({ err: describe(err) }, 'Slack: an event from a workspace the app is not installed in (or not allowed: SLACK_ALLOWED_TEAMS) was ignored; more are not logged for a minute');
      return;
    }
    logger.error({ err: describe(err) }, 'Slack: unhandled listener error');
  });

  let stopRecovery = (): void => undefined;
  return {
    botUserId: single?.auth.user_id,
    teamId: single?.auth.team_id,
    scheduledRuns: slackScheduledRuns(ctx),
    route: receiver
      ? (req, res) => {
          const path = (req.url ?? '').split('?')[0];
          // Events and clicks; with installs, also the install page and Slack's return from it.
          if (path !== SLACK_EVENTS_PATH && !(installations && (path === SLACK_INSTALL_PATH || path === SLACK_REDIRECT_PATH))) return false;
          receiver.requestListener(req, res);
          return true;
        }
      : undefined,
    async start() {
      if (socketMode) {
        // Bolt keeps retrying a socket that never opens: give up with a line that names the fix.
        await withDeadline(app.start(), SOCKET_START_MS, 'the Socket Mode connection').catch(async (err: unknown) => {
          await withDeadline(app.stop(), 2000, 'Socket Mode stop').catch(() => undefined);
          throw new SlackStartError(`Slack Socket Mode did not connect: ${describe(err)} (check SLACK_APP_TOKEN${config.apiUrl ? ' and SLACK_API_URL' : ''})`);
        });
      }
      logger.info(single ? { mode: socketMode ? 'socket' : 'http', bot: single.auth.user_id, team: single.auth.team_id } : { mode: 'http', installs: `${SLACK_INSTALL_PATH} (each workspace its own token)` }, 'Slack adapter ready');
      stopRecovery = startRecovery(ctx.deliveries, () => recoverInterrupted(ctx));
    },
    channelIds(names) {
      // Each workspace of an install has its own channels (and token): a name would be ambiguous there.
      if (!single) return Promise.reject(new SlackStartError('CHANNEL_CONFIG names Slack channels (slack:#name), which needs one workspace (SLACK_BOT_TOKEN): with installs in several workspaces, name channels by id'));
      return channelIdsByName(single.client, names);
    },
    async stop() {
      stopRecovery();
      await ctx.deliveries.settled();
      if (socketMode) await app.stop().catch((err: unknown) => logger.warn({ err: describe(err) }, 'Slack: stop failed'));
    },
  };
}

function requireSecrets(deps: SlackDeps): SecretVault {
  if (!deps.secrets) throw new SlackStartError('installs in several workspaces need the store\'s sealed secrets (TOKEN_ENCRYPTION_KEY)');
  return deps.secrets;
}

/** SLACK_BOT_TOKEN's `auth.test`: names the bot (to strip its mention); a bad token stops start-up with one clear line. */
async function checkToken(client: WebClient, config: SlackConfig) {
  try {
    const auth = await client.auth.test();
    if (!auth.user_id) throw new SlackStartError('Slack auth.test returned no bot user id (is SLACK_BOT_TOKEN a bot token?)');
    return { client, auth };
  } catch (err) {
    if (err instanceof SlackStartError) throw err;
    throw unreachable(err, config) ?? new SlackStartError(`Slack auth.test failed: ${describe(err)} (check SLACK_BOT_TOKEN${config.apiUrl ? ' and SLACK_API_URL' : ''})`);
  }
}

/** With installs there is no token to check at start: that Slack answers at all is. */
async function checkReachable(client: WebClient, config: SlackConfig): Promise<void> {
  await client.api.test().catch((err: unknown) => {
    const down = unreachable(err, config);
    if (down) throw down;
  });
}

/** A network failure is not a bad token: says where the bot could not get to. */
function unreachable(err: unknown, config: SlackConfig): SlackStartError | undefined {
  const e = err as { code?: string; original?: { message?: string; cause?: { code?: string; message?: string } } };
  if (e.code !== 'slack_webapi_request_error') return undefined;
  const cause = e.original?.cause?.code ?? e.original?.cause?.message ?? e.original?.message ?? 'no answer';
  return new SlackStartError(`cannot reach Slack at ${config.apiUrl ?? DEFAULT_SLACK_API}: ${cause} (check the network${config.apiUrl ? ' and SLACK_API_URL' : ''})`);
}

/** What the person installing sees after Slack's consent screen, and what the log says. */
function installCallbacks(logger: Logger): NonNullable<NonNullable<HTTPReceiverOptions['installerOptions']>['callbackOptions']> {
  return {
    success: (installation, _options, _req, res) => {
      const where = installation.isEnterpriseInstall ? { enterprise: installation.enterprise?.id } : { team: installation.team?.id };
      logger.info(where, 'Slack: installed in a workspace');
      htmlPage(res, 200, 'Copilot is installed', 'Mention the bot in a thread to talk to it. You can close this tab.');
    },
    failure: (error, _options, _req, res) => {
      logger.warn({ err: describe(error) }, 'Slack: an install did not complete');
      if (/SLACK_ALLOWED_TEAMS/.test(describe(error))) return void htmlPage(res, 403, 'Not installed', 'This workspace may not install this app. Ask the people who run it to allow it.');
      htmlPage(res, 400, 'Not installed', 'Slack did not complete the install. Please start again from the install link.');
    },
  };
}

/**
 * Counts every Web API call (and response_url post) by method and status; a Slack `ok: false`
 * answer counts as an error though its HTTP status is 200.
 */
export function countedFetch(inner: typeof fetch, metrics: PlatformMetrics | undefined): typeof fetch {
  return (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = url.pathname.includes('/api/') ? url.pathname.split('/api/')[1]! : 'response_url';
    // A span per call, inside the message's trace (the URL's path names the method; no query, no token).
    return inSpan(`slack ${method}`, { 'slack.method': method }, async (span) => {
      try {
        const res = await inner(input, init);
        const slackOk = res.ok && (await res.clone().json().then((b: unknown) => (b as { ok?: boolean }).ok !== false, () => true));
        metrics?.apiCall('slack', method, res.status, slackOk);
        span.setAttribute('http.response.status_code', res.status);
        if (!slackOk) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.status}` });
        return res;
      } catch (err) {
        metrics?.apiCall('slack', method, 0, false);
        throw err;
      }
    }, SpanKind.CLIENT);
  };
}

/** `fetch` that gives up after `ms`, on top of any signal the caller passes. */
export function timedFetch(ms: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(ms);
    return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
}

function boltLogger(logger: Logger): BoltLogger {
  // The adapter's logger already names the component: Bolt's lines say where they come from.
  const log = logger.child({ source: 'bolt' });
  let level = LogLevel.INFO;
  const text = (msgs: unknown[]) => msgs.map((m) => (typeof m === 'string' ? m : describe(m) || String(m))).join(' ');
  return {
    debug: (...m: unknown[]) => log.debug(text(m)),
    info: (...m: unknown[]) => log.debug(text(m)),
    warn: (...m: unknown[]) => log.warn(text(m)),
    error: (...m: unknown[]) => log.error(text(m)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
