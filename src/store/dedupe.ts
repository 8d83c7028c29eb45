/**
 * Delivery de-duplication: a platform may deliver one message twice (retries, Slack's
 * `app_mention` + `message` pair), to this process or to another instance. The first to claim a
 * message's key handles it; the claim is atomic on the store's engine (see `claims.ts`).
 */
import type { DeliveryClaims } from './claims.js';
import type { StoreCalls } from '../infra/store-calls.js';

export interface Dedupe {
  /** True for the first claim of `key` anywhere; false for every duplicate. */
  claim(key: string, ttlMs?: number): Promise<boolean>;
}

/** Longer than any platform retries (Slack's last retry comes after ~5 minutes). */
export const DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;

export class ClaimsDedupe implements Dedupe {
  constructor(
    private readonly claims: DeliveryClaims,
    private readonly calls: StoreCalls,
  ) {}

  claim(key: string, ttlMs = DEDUPE_TTL_MS): Promise<boolean> {
    return this.calls.run('claim', () => this.claims.claim(key, ttlMs));
  }
}
