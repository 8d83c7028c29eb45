/**
 * People's linked GitHub accounts (COPILOT_AUTH=per-user), in two parts: who is linked to whom
 * (`identities` namespace, plain: `users list` reads it without the key), and their tokens
 * (the secret vault, sealed under TOKEN_ENCRYPTION_KEY, one record per person). A link with no
 * readable token is no link. Web-flow sign-ins waiting for GitHub's redirect (`state:<nonce>`)
 * live here too, for ten minutes, so any instance can finish one.
 */
import type Keyv from 'keyv';
import type { Grant } from '../infra/github-oauth.js';
import type { StoreCalls } from '../infra/store-calls.js';
import { entries } from './keyv.js';
import type { SecretVault } from './secrets.js';

/** `platform:user`: the chat person an account is linked for. */
export type Person = string;

export interface LinkedAccount {
  person: Person;
  login: string;
  /** GitHub's numeric user id: a login can be renamed, the id cannot. */
  githubId: number;
  /** The GitHub host the token is for (`github.com`, a GHES host). */
  host: string;
  linkedAt: string;
  /** When the current access token stops working (ISO); absent: it does not expire. */
  expiresAt?: string;
  /** When the refresh token stops working: the person has to connect again after it. */
  refreshExpiresAt?: string;
}

/** A web-flow sign-in GitHub has not sent back yet: whose it is. */
export interface PendingSignIn {
  person: Person;
  createdAt: string;
}

export interface IdentityStore {
  get(person: Person): Promise<{ account: LinkedAccount; grant: Grant } | undefined>;
  /** Links (or updates) an account: the token first, then the record that says it is there. */
  put(account: LinkedAccount, grant: Grant): Promise<void>;
  /** Unlinks; false when there was nothing. */
  delete(person: Person): Promise<boolean>;
  list(): Promise<LinkedAccount[]>;
  /** A web-flow sign-in started: its state nonce, for `ttlMs`. */
  expect(state: string, pending: PendingSignIn, ttlMs: number): Promise<void>;
  /** The sign-in a state names, left in place (to show whose it is); undefined when unknown or expired. */
  peek(state: string): Promise<PendingSignIn | undefined>;
  /** The sign-in a state names, taken (a state works once); undefined when unknown or expired. */
  take(state: string): Promise<PendingSignIn | undefined>;
}

const tokenName = (person: Person) => `github:${person}`;

export class KeyvIdentityStore implements IdentityStore {
  constructor(
    private readonly open: () => Promise<Keyv<LinkedAccount | PendingSignIn>>,
    private readonly vault: SecretVault,
    private readonly calls: StoreCalls,
  ) {}

  async get(person: Person): Promise<{ account: LinkedAccount; grant: Grant } | undefined> {
    const keyv = await this.open();
    const account = (await this.calls.run('read', () => keyv.get(`user:${person}`))) as LinkedAccount | undefined;
    if (!account) return undefined;
    const token = await this.vault.get(tokenName(person));
    if (token === undefined) return undefined;
    return { account, grant: JSON.parse(token) as Grant };
  }

  async put(account: LinkedAccount, grant: Grant): Promise<void> {
    const keyv = await this.open();
    await this.vault.put(tokenName(account.person), JSON.stringify(grant));
    await this.calls.run('write', () => keyv.set(`user:${account.person}`, account));
  }

  async delete(person: Person): Promise<boolean> {
    // The token goes first: a crash between the two leaves a record without a token, which is no link.
    const keyv = await this.open();
    const token = await this.vault.delete(tokenName(person));
    const record = await this.calls.run('write', () => keyv.delete(`user:${person}`));
    return token || record;
  }

  async list(): Promise<LinkedAccount[]> {
    const keyv = await this.open();
    const all = await this.calls.run('list', () => entries(keyv));
    return all.filter(([key]) => key.startsWith('user:')).map(([, value]) => value as LinkedAccount);
  }

  async expect(state: string, pending: PendingSignIn, ttlMs: number): Promise<void> {
    const keyv = await this.open();
    await this.calls.run('write', () => keyv.set(`state:${state}`, pending, ttlMs));
  }

  async peek(state: string): Promise<PendingSignIn | undefined> {
    const keyv = await this.open();
    return (await this.calls.run('read', () => keyv.get(`state:${state}`)));
  }

  async take(state: string): Promise<PendingSignIn | undefined> {
    const keyv = await this.open();
    const pending = (await this.calls.run('read', () => keyv.get(`state:${state}`))) as PendingSignIn | undefined;
    if (!pending) return undefined;
    // Deleted by whoever gets there first: a state replayed (or raced) finds nothing.
    return (await this.calls.run('write', () => keyv.delete(`state:${state}`))) ? pending : undefined;
  }
}
