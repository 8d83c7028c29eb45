/**
 * Each person is themselves (COPILOT_AUTH=per-user): a chat person links their GitHub account
 * once, and every turn they write runs on their own Copilot seat with their own token. This
 * module holds the links' life: connecting (GitHub's device flow, or the web flow where the bot
 * has a public address), the token a turn is given (refreshed before it expires), and the ends of
 * a link (logout, an administrator's revoke, GitHub refusing it). What the person hears is said
 * through `tell`, privately. Tokens are never logged and never leave this module except as the
 * credentials of their owner's turn.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '../../infra/log.js';
import { GitHubUnavailableError, GrantRefusedError, type DevicePoll, type DeviceCode, type Grant, type GitHubUser } from '../../infra/github-oauth.js';
import type { IdentityStore, LinkedAccount, Person } from '../../store/identities.js';
import { personOf, type AuditTrail } from '../audit.js';
import type { Reply } from '../reply.js';
import type { ThreadRef } from '../../domain.js';

export type { LinkedAccount, Person } from '../../store/identities.js';

/** What a turn runs as. */
export interface Credentials {
  login: string;
  host: string;
  token: string;
}

/** What the core needs of GitHub (infra/github-oauth.ts's `GitHubOAuth`). */
export interface GitHubAccounts {
  readonly host: string;
  startDevice(now?: number): Promise<DeviceCode>;
  pollDevice(code: DeviceCode, now?: number): Promise<DevicePoll>;
  authorizeUrl(state: string, redirectUri: string): string;
  exchangeCode(code: string, redirectUri: string, now?: number): Promise<Grant>;
  refresh(refreshToken: string, now?: number): Promise<Grant>;
  user(accessToken: string): Promise<GitHubUser>;
  revoke(accessToken: string): Promise<boolean>;
}

/** A private message to the person a sign-in is for. */
export type Tell = (reply: Reply) => Promise<void>;

export interface AccountsOptions {
  store: IdentityStore;
  github: GitHubAccounts;
  audit: AuditTrail;
  logger: Logger;
  /** The store's atomic claim: one instance refreshes a person's token at a time (refresh tokens work once). */
  claimOnce: (key: string, ttlMs: number) => Promise<boolean>;
  /** PUBLIC_URL, with GITHUB_CLIENT_SECRET: sign-ins use the web flow (`/auth/github/callback`). */
  publicUrl?: string;
  /** A token that stops working within this long is refreshed before a turn is given it. */
  refreshMarginMs: number;
  now?: () => number;
  /** Waits between polls (tests pass a quick one). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The web flow's return address on the bot's HTTP server. */
export const CALLBACK_PATH = '/auth/github/callback';
/** How long a web sign-in link works. */
export const WEB_SIGN_IN_MS = 10 * 60 * 1000;
/** How often a web sign-in waiting here looks whether it was finished (on any instance). */
const WEB_POLL_MS = 2000;
/** How long one instance's refresh of a person's token is theirs: three times a GitHub call's timeout. */
const REFRESH_CLAIM_MS = 30_000;

/** A sign-in under way: what to show the person now, and whether it ends linked. */
export interface SignIn {
  said: Promise<Reply>;
  linked: Promise<boolean>;
}

/**
 * A turn's credentials, or why there are none: never connected, the connection ended (`reconnect`),
 * or GitHub could not be asked to renew an expired token (`unavailable`: try again later, nothing ended).
 */
export type CredentialsCheck = { ok: true; credentials: Credentials } | { ok: false; reply: Reply; reconnect: boolean; unavailable?: true };

/** A refresh's outcome: the grant to use, the link over, or GitHub out of reach with the token expired. */
type Refreshed = Grant | 'ended' | 'unavailable';

export class Accounts {
  /** Sign-ins running here, one per person: a second message joins the first (one code, not two). */
  private readonly signIns = new Map<Person, SignIn>();
  private readonly refreshing = new Map<Person, Promise<Refreshed>>();
  private readonly stopping = new AbortController();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(private readonly options: AccountsOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
  }

  get webFlow(): boolean {
    return this.options.publicUrl !== undefined;
  }

  /**
   * The credentials a turn of `thread.user` runs with, refreshed first when they are about to
   * expire; or why there are none (never linked, or the link ended: `reconnect`).
   */
  async credentials(thread: ThreadRef): Promise<CredentialsCheck> {
    const person = personOf(thread);
    const linked = await this.options.store.get(person);
    if (!linked) return { ok: false, reconnect: false, reply: { kind: 'account', text: NOT_CONNECTED } };
    let grant: Refreshed = linked.grant;
    if (grant.expiresAt !== undefined && grant.expiresAt - this.now() < this.options.refreshMarginMs) grant = await this.refreshOnce(person, linked.account, grant);
    if (grant === 'ended') return { ok: false, reconnect: true, reply: { kind: 'account', text: reconnectText(linked.account.login) } };
    if (grant === 'unavailable') return { ok: false, reconnect: false, unavailable: true, reply: { kind: 'account', text: UNAVAILABLE } };
    return { ok: true, credentials: { login: linked.account.login, host: linked.account.host, token: grant.accessToken } };
  }

  /**
   * Connects the person's GitHub account. `said`: how (a code to enter, or a link), for the caller
   * to show; what comes after (connected, declined, expired) is told through `tell`. `linked`
   * resolves true once the account is linked, false when the sign-in ended otherwise (or the bot
   * stops). A sign-in already running for the person is joined: the same code, said again.
   */
  connect(thread: ThreadRef, tell: Tell): SignIn {
    const person = personOf(thread);
    const running = this.signIns.get(person);
    if (running) return running;
    let said: (reply: Reply) => void = () => undefined;
    const signIn: SignIn = { said: new Promise<Reply>((resolve) => (said = resolve)), linked: Promise.resolve(false) };
    const flow = this.webFlow ? this.webSignIn(person, said, tell) : this.deviceSignIn(person, said, tell);
    signIn.linked = flow
      .catch((err: unknown) => {
        this.options.logger.warn({ err: String(err), person }, 'GitHub sign-in failed');
        const trouble: Reply = { kind: 'account', text: '⚠️ I could not reach GitHub to connect your account. Please try again in a few minutes.' };
        // Before the prompt: that is what is said; after it, the person is told.
        said(trouble);
        void signIn.said.then((first) => (first === trouble ? undefined : tell(trouble).catch(() => undefined)));
        return false;
      })
      .finally(() => this.signIns.delete(person));
    this.signIns.set(person, signIn);
    return signIn;
  }

  /** `/copilot whoami`. */
  async whoami(thread: ThreadRef): Promise<Reply> {
    const linked = await this.options.store.get(personOf(thread));
    if (!linked) return { kind: 'account', text: `${NOT_CONNECTED} Say \`login\` to connect it.` };
    const a = linked.account;
    return { kind: 'account', text: `You are connected as **@${a.login}** on ${a.host} (since ${a.linkedAt.slice(0, 10)}). Your turns run on your own Copilot seat.` };
  }

  /** `/copilot logout`: the link and its tokens go (revoked at GitHub too where the bot can). */
  async logout(thread: ThreadRef): Promise<Reply> {
    const person = personOf(thread);
    const linked = await this.options.store.get(person);
    if (!linked) return { kind: 'account', text: 'Your GitHub account is not connected: there is nothing to disconnect.' };
    await this.unlink(person, linked.grant);
    this.options.audit.record({ kind: 'logout', actor: person, detail: { login: linked.account.login, host: linked.account.host } });
    return { kind: 'account', text: `Disconnected **@${linked.account.login}**: I no longer hold a token for you. Say \`login\` to connect again.` };
  }

  /** An administrator ends a person's link (`copilot-threads users revoke`); false when there was none. */
  async revoke(person: Person, actor: string): Promise<LinkedAccount | undefined> {
    // A token no key opens any more is still deleted (it just cannot be revoked at GitHub).
    const linked = await this.options.store.get(person).catch(() => undefined);
    const gone = await this.unlink(person, linked?.grant);
    if (!gone) return undefined;
    const account = linked?.account ?? (await this.options.store.list()).find((a) => a.person === person);
    this.options.audit.record({ kind: 'revoke', actor, detail: { person, login: account?.login, via: 'cli' } });
    return account ?? { person, login: '?', githubId: 0, host: this.options.github.host, linkedAt: '' };
  }

  list(): Promise<LinkedAccount[]> {
    return this.options.store.list();
  }

  /**
   * Copilot refused a person's token mid-turn. The link ends only if it still holds that token and
   * GitHub itself no longer takes it (and it cannot be renewed): a token that merely expired during
   * a long turn is refreshed, and one replaced meanwhile (a new login) is left alone. True: the
   * link ended, and the person has to connect again.
   */
  async rejected(thread: ThreadRef, refused: Credentials): Promise<boolean> {
    const person = personOf(thread);
    const linked = await this.options.store.get(person).catch(() => undefined);
    if (!linked || linked.grant.accessToken !== refused.token) return false;
    if (linked.grant.refreshToken) return (await this.refreshOnce(person, linked.account, linked.grant)) === 'ended';
    if ((await this.diagnose(refused)) !== 'signed-out') return false;
    if (await this.options.store.delete(person)) this.options.audit.record({ kind: 'revoke', actor: 'system', detail: { person, login: refused.login, via: 'refused by GitHub' } });
    return true;
  }

  /**
   * GitHub sent a browser back from the web flow (`GET /auth/github/callback`): whose sign-in its
   * state names, to ask the person in that browser to confirm before anything is linked. (GitHub
   * skips its consent page for someone who authorized the app before: without this step, a link
   * someone else asked for, opened by them, would silently connect their account to the asker.)
   */
  async webSignInFor(state: string): Promise<{ ok: true; who: string } | { ok: false; text: string }> {
    const pending = state ? await this.options.store.peek(state) : undefined;
    if (!pending || this.now() - Date.parse(pending.createdAt) > WEB_SIGN_IN_MS) return { ok: false, text: EXPIRED_LINK };
    return { ok: true, who: describePerson(pending.person) };
  }

  /**
   * The person confirmed (`POST /auth/github/callback`): the state is taken (it works once, for ten
   * minutes), GitHub's code exchanged, and the account linked. What the browser shows.
   */
  async finishWebSignIn(state: string, code: string): Promise<{ ok: boolean; text: string }> {
    const pending = state ? await this.options.store.take(state) : undefined;
    if (!pending || this.now() - Date.parse(pending.createdAt) > WEB_SIGN_IN_MS) return { ok: false, text: EXPIRED_LINK };
    try {
      const grant = await this.options.github.exchangeCode(code, this.callbackUrl());
      const account = await this.link(pending.person, grant, 'web');
      return { ok: true, text: `Connected as @${account.login}. You can close this tab and go back to the chat.` };
    } catch (err) {
      this.options.logger.warn({ err: String(err), person: pending.person }, 'GitHub web sign-in failed');
      return { ok: false, text: 'GitHub did not accept this sign-in. Ask the bot again in the chat (`login`).' };
    }
  }

  /**
   * Why Copilot refused an account when the runtime does not say: GitHub no longer takes the token
   * (`signed-out`), or it does and the account has no Copilot (`no-seat`). Undefined: GitHub could not be asked.
   */
  async diagnose(credentials: Credentials): Promise<'signed-out' | 'no-seat' | undefined> {
    try {
      await this.options.github.user(credentials.token);
      return 'no-seat';
    } catch (err) {
      return err instanceof GrantRefusedError ? 'signed-out' : undefined;
    }
  }

  /** Ends the sign-ins waiting here (shutdown): their messages are not answered. */
  stop(): void {
    this.stopping.abort();
  }

  private callbackUrl(): string {
    return new URL(CALLBACK_PATH, this.options.publicUrl).toString();
  }

  private async deviceSignIn(person: Person, said: (prompt: Reply) => void, tell: Tell): Promise<boolean> {
    const { github, logger } = this.options;
    const started = this.now();
    const code = await github.startDevice(started);
    const minutes = Math.max(1, Math.round((code.expiresAt - this.now()) / 60_000));
    said({
      kind: 'account',
      text: `🔑 This bot runs Copilot as *you*: connect your GitHub account first. Open ${code.verificationUri} and enter the code **${code.userCode}** (it works for ${minutes} minutes). I will answer as soon as you are connected.`,
      link: { url: code.verificationUri, label: 'Open GitHub' },
    });
    let interval = code.intervalSeconds;
    while (this.now() < code.expiresAt) {
      await this.sleep(interval * 1000, this.stopping.signal);
      if (this.stopping.signal.aborted) return false;
      let poll: DevicePoll;
      try {
        poll = await github.pollDevice(code, this.now());
      } catch (err) {
        if (!(err instanceof GitHubUnavailableError)) throw err;
        logger.warn({ err: err.message, person }, 'GitHub sign-in: a poll failed; trying again');
        continue;
      }
      switch (poll.kind) {
        case 'pending':
          // Linked meanwhile through another instance's sign-in (the person wrote there too).
          if (await this.linkedSince(person, started)) {
            notify(tell, { kind: 'account', text: connectedText((await this.options.store.get(person))!.account.login) });
            return true;
          }
          continue;
        case 'slow-down':
          interval = poll.intervalSeconds;
          continue;
        case 'denied':
          notify(tell, { kind: 'account', text: 'You declined the connection on GitHub, so I did not answer. Say `login` to try again.' });
          return false;
        case 'expired':
          break;
        case 'granted': {
          const account = await this.link(person, poll.grant, 'device');
          notify(tell, { kind: 'account', text: connectedText(account.login) });
          return true;
        }
      }
      break;
    }
    notify(tell, { kind: 'account', text: '⌛ The code expired before your GitHub account was connected, so I did not answer. Send your message again to get a new code.' });
    return false;
  }

  private async webSignIn(person: Person, said: (prompt: Reply) => void, tell: Tell): Promise<boolean> {
    const state = randomBytes(24).toString('base64url');
    const started = this.now();
    await this.options.store.expect(state, { person, createdAt: new Date(started).toISOString() }, WEB_SIGN_IN_MS);
    const url = this.options.github.authorizeUrl(state, this.callbackUrl());
    said({
      kind: 'account',
      text: `🔑 This bot runs Copilot as *you*: connect your GitHub account first (the link works for 10 minutes, once). I will answer as soon as you are connected.`,
      link: { url, label: 'Connect GitHub' },
    });
    // The callback may reach any instance: the link is looked for in the store.
    while (this.now() - started < WEB_SIGN_IN_MS) {
      await this.sleep(WEB_POLL_MS, this.stopping.signal);
      if (this.stopping.signal.aborted) return false;
      if (await this.linkedSince(person, started)) {
        notify(tell, { kind: 'account', text: connectedText((await this.options.store.get(person))!.account.login) });
        return true;
      }
    }
    notify(tell, { kind: 'account', text: '⌛ The sign-in link expired before your GitHub account was connected, so I did not answer. Send your message again to get a new link.' });
    return false;
  }

  /** Whether the person's account was linked since `since` (here or by another instance). */
  private async linkedSince(person: Person, since: number): Promise<boolean> {
    const linked = await this.options.store.get(person).catch(() => undefined);
    return linked !== undefined && Date.parse(linked.account.linkedAt) >= since - 1000;
  }

  private async link(person: Person, grant: Grant, via: 'device' | 'web'): Promise<LinkedAccount> {
    const user = await this.options.github.user(grant.accessToken);
    const account: LinkedAccount = {
      person,
      login: user.login,
      githubId: user.id,
      host: this.options.github.host,
      linkedAt: new Date(this.now()).toISOString(),
      ...expiries(grant),
    };
    await this.options.store.put(account, grant);
    this.options.audit.record({ kind: 'login', actor: person, detail: { login: user.login, host: account.host, via } });
    return account;
  }

  private async unlink(person: Person, grant: Grant | undefined): Promise<boolean> {
    const gone = await this.options.store.delete(person);
    if (grant) {
      await this.options.github.revoke(grant.accessToken).catch((err: unknown) => this.options.logger.warn({ err: String(err), person }, 'could not revoke a token at GitHub (it is deleted here)'));
    }
    return gone;
  }

  /** One refresh per person at a time, here and across instances. */
  private refreshOnce(person: Person, account: LinkedAccount, grant: Grant): Promise<Refreshed> {
    let running = this.refreshing.get(person);
    if (!running) {
      running = this.refresh(person, account, grant).finally(() => this.refreshing.delete(person));
      this.refreshing.set(person, running);
    }
    return running;
  }

  private async refresh(person: Person, account: LinkedAccount, grant: Grant): Promise<Refreshed> {
    const { store, github, logger } = this.options;
    const stillWorks = () => (grant.expiresAt ?? Infinity) > this.now();
    if (!grant.refreshToken || (grant.refreshExpiresAt !== undefined && grant.refreshExpiresAt <= this.now())) {
      if (stillWorks()) return grant;
      return (await this.endIf(person, grant, account.login, 'expired')) ? 'ended' : this.current(person);
    }
    // Refresh tokens work once: instances take turns, the claim outlasting a refresh that times out.
    // Claimed per refresh token: whoever uses it first, anywhere, is the only one who can.
    const claim = `github-refresh:${person}:${createHash('sha256').update(grant.refreshToken).digest('hex').slice(0, 16)}`;
    if (!(await this.options.claimOnce(claim, REFRESH_CLAIM_MS))) {
      for (let waited = 0; waited < REFRESH_CLAIM_MS; waited += 500) {
        await this.sleep(500, this.stopping.signal);
        const now = await store.get(person).catch(() => undefined);
        if (!now) return 'ended';
        if (now.grant.accessToken !== grant.accessToken) return now.grant;
      }
      return stillWorks() ? grant : 'unavailable';
    }
    try {
      const fresh = await github.refresh(grant.refreshToken, this.now());
      // Written only over the grant it replaces: a logout (or a new login) meanwhile wins.
      const now = await store.get(person);
      if (!now || now.grant.refreshToken !== grant.refreshToken) return now ? now.grant : 'ended';
      await store.put({ ...account, ...expiries(fresh) }, fresh);
      logger.info({ person, login: account.login }, 'GitHub token refreshed');
      return fresh;
    } catch (err) {
      // Only GitHub saying the grant is gone ends the link; anything else (a wrong client secret,
      // an outage, a timeout) leaves it, and the current token is used while it works.
      if (err instanceof GrantRefusedError && err.code === 'bad_refresh_token') {
        return (await this.endIf(person, grant, account.login, 'refresh refused (bad_refresh_token)')) ? 'ended' : this.current(person);
      }
      logger.warn({ err: String(err), person }, 'GitHub token refresh failed; the current token is used while it works');
      return stillWorks() ? grant : 'unavailable';
    }
  }

  /** Ends the link if it still holds `grant` (not one renewed or replaced meanwhile); true when it did. */
  private async endIf(person: Person, grant: Grant, login: string, via: string): Promise<boolean> {
    const now = await this.options.store.get(person).catch(() => undefined);
    if (!now || now.grant.accessToken !== grant.accessToken) return false;
    await this.options.store.delete(person);
    this.options.audit.record({ kind: 'revoke', actor: 'system', detail: { person, login, via } });
    return true;
  }

  private async current(person: Person): Promise<Refreshed> {
    return (await this.options.store.get(person).catch(() => undefined))?.grant ?? 'ended';
  }
}

const EXPIRED_LINK = 'This sign-in link has expired or was already used. Ask the bot again in the chat (`login`).';

/** `slack:U123` as a person reads it on the confirmation page. */
function describePerson(person: Person): string {
  const [platform = '', ...rest] = person.split(':');
  const name = { slack: 'Slack', discord: 'Discord', local: 'console' }[platform] ?? platform;
  return `the ${name} user ${rest.join(':')}`;
}

const NOT_CONNECTED = 'Your GitHub account is not connected to me, so I cannot run Copilot for you.';

function reconnectText(login: string): string {
  return `🔌 Your GitHub connection (@${login}) has ended: it was revoked or has expired. Connect again to go on.`;
}

const UNAVAILABLE = '⚠️ Your GitHub token has expired and GitHub cannot be reached to renew it right now. Your connection is kept: please try again in a few minutes.';

function connectedText(login: string): string {
  return `✅ Connected as **@${login}**. Your turns now run on your own Copilot seat.`;
}

/** Says something after the prompt; a message that cannot be delivered changes nothing of the sign-in. */
function notify(tell: Tell, reply: Reply): void {
  void tell(reply).catch(() => undefined);
}

function expiries(grant: Grant): Pick<LinkedAccount, 'expiresAt' | 'refreshExpiresAt'> {
  return {
    ...(grant.expiresAt ? { expiresAt: new Date(grant.expiresAt).toISOString() } : {}),
    ...(grant.refreshExpiresAt ? { refreshExpiresAt: new Date(grant.refreshExpiresAt).toISOString() } : {}),
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
