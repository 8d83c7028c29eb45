/**
 * Each person is themselves (COPILOT_AUTH=per-user): a chat person links their GitHub account
 * once, and every turn they write runs on their own Copilot seat with their own token. This
 * module holds the links' life: connecting (GitHub's device flow, or the web flow where the bot
 * has a public address), the token a turn is given (refreshed before it expires), and the ends of
 * a link (logout, an administrator's revoke, GitHub refusing it). What the person hears is said
 * through `tell`, privately. Tokens are never logged and never leave this module except as the
 * credentials of their owner's turn.
 */
import { randomBytes } from 'node:crypto';
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
/** How long an instance waits for another one refreshing the same person's token. */
const REFRESH_WAIT_MS = 10_000;

/** A sign-in under way: what to show the person now, and whether it ends linked. */
export interface SignIn {
  said: Promise<Reply>;
  linked: Promise<boolean>;
}

export type CredentialsCheck = { ok: true; credentials: Credentials } | { ok: false; reply: Reply; reconnect: boolean };

export class Accounts {
  /** Sign-ins running here, one per person: a second message joins the first (one code, not two). */
  private readonly signIns = new Map<Person, SignIn>();
  private readonly refreshing = new Map<Person, Promise<Grant | undefined>>();
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
    let grant: Grant | undefined = linked.grant;
    if (grant.expiresAt !== undefined && grant.expiresAt - this.now() < this.options.refreshMarginMs) grant = await this.refreshOnce(person, linked.account, grant);
    if (!grant) return { ok: false, reconnect: true, reply: { kind: 'account', text: reconnectText(linked.account.login) } };
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
   * The runtime refused a person's token mid-turn (revoked or expired at GitHub): the link ends,
   * and they are asked to connect again.
   */
  async rejected(thread: ThreadRef, login: string): Promise<void> {
    const person = personOf(thread);
    if (await this.options.store.delete(person)) this.options.audit.record({ kind: 'revoke', actor: 'system', detail: { person, login, via: 'refused by GitHub' } });
  }

  /**
   * GitHub sent a person back from the web flow's consent page (`GET /auth/github/callback`):
   * the state names whose sign-in it is (once, for ten minutes). What the browser shows.
   */
  async finishWebSignIn(state: string, code: string): Promise<{ ok: boolean; text: string }> {
    const pending = state ? await this.options.store.take(state) : undefined;
    if (!pending || this.now() - Date.parse(pending.createdAt) > WEB_SIGN_IN_MS) {
      return { ok: false, text: 'This sign-in link has expired or was already used. Ask the bot again in the chat (`login`).' };
    }
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
    const code = await github.startDevice(this.now());
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
          continue;
        case 'slow-down':
          interval = poll.intervalSeconds;
          continue;
        case 'denied':
          await tell({ kind: 'account', text: 'You declined the connection on GitHub, so I did not answer. Say `login` to try again.' });
          return false;
        case 'expired':
          break;
        case 'granted': {
          const account = await this.link(person, poll.grant, 'device');
          await tell({ kind: 'account', text: `✅ Connected as **@${account.login}**. Your turns now run on your own Copilot seat.` });
          return true;
        }
      }
      break;
    }
    await tell({ kind: 'account', text: '⌛ The code expired before your GitHub account was connected, so I did not answer. Send your message again to get a new code.' });
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
      const linked = await this.options.store.get(person).catch(() => undefined);
      if (linked && Date.parse(linked.account.linkedAt) >= started - 1000) {
        await tell({ kind: 'account', text: `✅ Connected as **@${linked.account.login}**. Your turns now run on your own Copilot seat.` });
        return true;
      }
    }
    await tell({ kind: 'account', text: '⌛ The sign-in link expired before your GitHub account was connected, so I did not answer. Send your message again to get a new link.' });
    return false;
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

  /** One refresh per person at a time, here and across instances; undefined: the link is over. */
  private refreshOnce(person: Person, account: LinkedAccount, grant: Grant): Promise<Grant | undefined> {
    let running = this.refreshing.get(person);
    if (!running) {
      running = this.refresh(person, account, grant).finally(() => this.refreshing.delete(person));
      this.refreshing.set(person, running);
    }
    return running;
  }

  private async refresh(person: Person, account: LinkedAccount, grant: Grant): Promise<Grant | undefined> {
    const { store, github, logger, audit } = this.options;
    const stillWorks = () => (grant.expiresAt ?? Infinity) > this.now();
    if (!grant.refreshToken || (grant.refreshExpiresAt !== undefined && grant.refreshExpiresAt <= this.now())) {
      if (stillWorks()) return grant;
      await store.delete(person);
      audit.record({ kind: 'revoke', actor: 'system', detail: { person, login: account.login, via: 'expired' } });
      return undefined;
    }
    if (!(await this.options.claimOnce(`github-refresh:${person}`, REFRESH_WAIT_MS))) {
      // Another instance is refreshing it: its result is read from the store.
      for (let waited = 0; waited < REFRESH_WAIT_MS; waited += 500) {
        await this.sleep(500, this.stopping.signal);
        const now = await store.get(person);
        if (!now) return undefined;
        if (now.grant.accessToken !== grant.accessToken) return now.grant;
      }
      return stillWorks() ? grant : undefined;
    }
    try {
      const fresh = await github.refresh(grant.refreshToken, this.now());
      // The record is written again as it is now (a logout meanwhile wins: nothing to refresh then).
      if (!(await store.get(person))) return undefined;
      await store.put({ ...account, ...expiries(fresh) }, fresh);
      logger.info({ person, login: account.login }, 'GitHub token refreshed');
      return fresh;
    } catch (err) {
      if (err instanceof GrantRefusedError) {
        await store.delete(person);
        audit.record({ kind: 'revoke', actor: 'system', detail: { person, login: account.login, via: `refresh refused (${err.code})` } });
        return undefined;
      }
      logger.warn({ err: String(err), person }, 'GitHub token refresh failed; the current token is used while it works');
      return stillWorks() ? grant : undefined;
    }
  }
}

const NOT_CONNECTED = 'Your GitHub account is not connected to me, so I cannot run Copilot for you.';

function reconnectText(login: string): string {
  return `🔌 Your GitHub connection (@${login}) has ended: it was revoked or has expired. Connect again to go on (I will answer your message once you have).`;
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
