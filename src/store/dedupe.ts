/**
 * Delivery de-duplication: a platform may deliver one message twice (retries, or Slack's
 * `app_mention` + `message` pair). A key is remembered only once its message is safely queued,
 * so a crash before that lets the retry through.
 */
import type Keyv from 'keyv';
import type { StoreCalls } from './keyv.js';

export interface Dedupe {
  seen(key: string): Promise<boolean>;
  remember(key: string): Promise<void>;
}

/** Platforms stop retrying long before this. */
export const DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;

export class KeyvDedupe implements Dedupe {
  constructor(
    private readonly keyv: Keyv<number>,
    private readonly calls: StoreCalls,
  ) {}

  async seen(key: string): Promise<boolean> {
    return (await this.calls.run('read', () => this.keyv.get(key))) !== undefined;
  }

  async remember(key: string): Promise<void> {
    await this.calls.run('write', () => this.keyv.set(key, Date.now(), DEDUPE_TTL_MS));
  }
}
