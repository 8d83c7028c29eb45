/**
 * Secrets the bot keeps for people and workspaces (their tokens), sealed under TOKEN_ENCRYPTION_KEY
 * before they reach the store (infra/keyring.ts): the store only ever holds `ct1.…` values, and
 * one record's value does not open under another's name. Without a key nothing can be kept.
 */
import type Keyv from 'keyv';
import { KeyError, sealedWith, seal, unseal, type Keyring } from '../infra/keyring.js';
import type { StoreCalls } from '../infra/store-calls.js';
import { entries } from './keyv.js';

export interface Rotation {
  /** Sealed again under the current key. */
  resealed: number;
  /** Already under the current key. */
  current: number;
  /** Changed or deleted by someone else while rotating (left as they now are). */
  changed: number;
  /** Names whose value no key in the ring opens (left as they are). */
  unreadable: string[];
}

export interface SecretVault {
  /** The current key's id; undefined without TOKEN_ENCRYPTION_KEY. */
  readonly keyId: string | undefined;
  put(name: string, value: string): Promise<void>;
  get(name: string): Promise<string | undefined>;
  delete(name: string): Promise<boolean>;
  /** Every secret sealed again under the current key, so previous keys can be dropped. */
  rotate(): Promise<Rotation>;
}

const NO_KEY = 'TOKEN_ENCRYPTION_KEY is not set: nothing secret can be kept (copilot-threads keys new prints a key)';

export class KeyvSecretVault implements SecretVault {
  constructor(
    private readonly keyv: () => Promise<Keyv<string>>,
    private readonly calls: StoreCalls,
    private readonly ring: Keyring | undefined,
    /** STORE_NAMESPACE: sealed into every value, so deployments sharing a key cannot swap records. */
    private readonly namespace: string,
  ) {}

  private scoped(name: string): string {
    return `${this.namespace}/${name}`;
  }

  get keyId(): string | undefined {
    return this.ring?.current;
  }

  private keys(): Keyring {
    if (!this.ring) throw new KeyError(NO_KEY);
    return this.ring;
  }

  async put(name: string, value: string): Promise<void> {
    const sealed = seal(this.keys(), this.scoped(name), value);
    const keyv = await this.keyv();
    await this.calls.run('write', () => keyv.set(name, sealed));
  }

  async get(name: string): Promise<string | undefined> {
    const ring = this.keys();
    const keyv = await this.keyv();
    const sealed = await this.calls.run('read', () => keyv.get(name));
    return sealed === undefined ? undefined : unseal(ring, this.scoped(name), sealed);
  }

  async delete(name: string): Promise<boolean> {
    const keyv = await this.keyv();
    return this.calls.run('write', () => keyv.delete(name));
  }

  async rotate(): Promise<Rotation> {
    const ring = this.keys();
    const keyv = await this.keyv();
    const all = await this.calls.run('list', () => entries(keyv));
    const out: Rotation = { resealed: 0, current: 0, changed: 0, unreadable: [] };
    for (const [name, sealed] of all) {
      if (sealedWith(sealed) === ring.current) {
        out.current++;
        continue;
      }
      let value: string;
      try {
        value = unseal(ring, this.scoped(name), sealed);
      } catch {
        out.unreadable.push(name);
        continue;
      }
      // Written back only if nobody changed or deleted it since the listing (a revoked token must not
      // come back). keyv has no compare-and-set: the window is this read and the write after it.
      if ((await this.calls.run('read', () => keyv.get(name))) !== sealed) {
        out.changed++;
        continue;
      }
      await this.put(name, value);
      out.resealed++;
    }
    return out;
  }
}
