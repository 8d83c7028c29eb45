/** Everything the bot keeps outside the Copilot session folders, behind one STORE_URL. */
import { openBackend } from './keyv.js';
import { StoreCalls, StoreUnavailableError } from '../infra/store-calls.js';
import { KeyvThreadRegistry, type ThreadRecord, type ThreadRegistry } from './registry.js';
import { ClaimsDedupe, type Dedupe } from './dedupe.js';
import { claimsFor } from './claims.js';
import { KeyvTurnJournal, type Alive, type InFlightTurn, type TurnJournal } from './journal.js';
import { adoptLegacyRecords } from './migrate.js';
import { rateLimiterFor, type RateLimiter } from './rate-limit.js';
import { KeyvApprovalStore, type ApprovalStore } from './approvals.js';
import { auditLogFor, type AuditLog } from './audit.js';
import { usageStoreFor, type UsageStore } from './usage.js';
import { KeyvSecretVault, type SecretVault } from './secrets.js';
import { KeyvIdentityStore, type IdentityStore, type LinkedAccount, type PendingSignIn } from './identities.js';
import { KeyvScheduleStore, type ScheduleRun, type ScheduleStore } from './schedules.js';
import type { Schedule } from '../domain.js';
import type { Keyring } from '../infra/keyring.js';
import type Keyv from 'keyv';

export interface Store {
  registry: ThreadRegistry;
  /** Atomic claims of message deliveries (and of other one-at-a-time work, like a sweep round). */
  dedupe: Dedupe;
  journal: TurnJournal;
  /** Per-person prompt budgets, shared by every instance on this store. */
  limits: RateLimiter;
  /** Tool approval requests, decisions and per-thread grants. */
  approvals: ApprovalStore;
  /** The append-only audit trail (audit.ts). */
  audit: AuditLog;
  /** Usage per person, channel and day, and the daily budgets (usage.ts). */
  usage: UsageStore;
  /** People's and workspaces' tokens, sealed under TOKEN_ENCRYPTION_KEY (secrets.ts). */
  secrets: SecretVault;
  /** People's linked GitHub accounts, their tokens in `secrets` (identities.ts). */
  identities: IdentityStore;
  /** Scheduled prompts (schedules.ts). */
  schedules: ScheduleStore;
  /**
   * Claims a probe twice and reads the registry, within the store timeout: what every entry point
   * does before it starts, so a store that cannot be used (unreachable, wrong database,
   * read-only) stops the process with one clear line.
   */
  check(): Promise<void>;
  /** One cheap read (for /healthz); rejects with `StoreUnavailableError`. */
  ping(timeoutMs?: number): Promise<void>;
  /** Reports every store call's duration and result from now on (metrics). */
  observe(observer: (operation: string, seconds: number, ok: boolean) => void): void;
  close(): Promise<void>;
}

export const DEFAULT_STORE_TIMEOUT_MS = 5000;
/** STORE_NAMESPACE's default: Redis key prefix, Postgres schema (`copilot_threads`). */
export const DEFAULT_NAMESPACE = 'copilot-threads';

export async function openStore(url: string, timeoutMs = DEFAULT_STORE_TIMEOUT_MS, namespace = DEFAULT_NAMESPACE, ring?: Keyring): Promise<Store> {
  const calls = new StoreCalls(url, timeoutMs);
  const backend = await calls.run('open', () => openBackend(url, timeoutMs, namespace));
  const [threads, turns, instances, approvalRecords] = await calls.run('open', () =>
    Promise.all([backend.keyv<ThreadRecord>('threads'), backend.keyv<InFlightTurn>('turns'), backend.keyv<Alive>('instances'), backend.keyv<unknown>('approvals')]),
  );
  // Opened on first use: most deployments keep no secrets and link no accounts (one more connection each otherwise).
  const onFirstUse = <V>(name: string) => {
    let opening: Promise<Keyv<V>> | undefined;
    return () =>
      (opening ??= calls.run('open', () => backend.keyv<V>(name)).catch((err: unknown) => {
        // A failed open is tried again next time, not remembered.
        opening = undefined;
        throw err;
      }));
  };
  if (namespace === DEFAULT_NAMESPACE) {
    const meta = await calls.run('open', () => backend.keyv<number>('meta'));
    // Migrating may list many records: it gets its own, longer deadline.
    await new StoreCalls(url, Math.max(timeoutMs, 60_000)).run('migration', () => adoptLegacyRecords(backend, { threads: threads, turns: turns }, meta));
  }
  const registry = new KeyvThreadRegistry(threads, calls);
  const dedupe = new ClaimsDedupe(claimsFor(url, backend.raw, namespace), calls);
  const limiter = rateLimiterFor(url, backend.raw, namespace);
  const limits: RateLimiter = { take: (key, perMinute) => calls.run('rate limit', () => limiter.take(key, perMinute)) };
  const journal = new KeyvTurnJournal(turns, calls, instances, (key, ttlMs) => dedupe.claim(key, ttlMs));
  const approvals = new KeyvApprovalStore(approvalRecords, calls, (key, ttlMs) => dedupe.claim(key, ttlMs));
  const auditLog = auditLogFor(url, backend.raw, namespace);
  const audit: AuditLog = {
    append: (record) => calls.run('audit', () => auditLog.append(record)),
    list: (query) => calls.run('audit', () => auditLog.list(query)),
    prune: (before) => calls.run('audit', () => auditLog.prune(before)),
  };
  const usageStore = usageStoreFor(url, backend.raw, namespace);
  const usage: UsageStore = {
    add: (day, actor, channel, counts) => calls.run('usage', () => usageStore.add(day, actor, channel, counts)),
    take: (day, actor, what, limit) => calls.run('usage', () => usageStore.take(day, actor, what, limit)),
    list: (query) => calls.run('usage', () => usageStore.list(query)),
  };
  const secrets = new KeyvSecretVault(onFirstUse<string>('secrets'), calls, ring, namespace);
  return {
    registry,
    dedupe,
    journal,
    limits,
    approvals,
    audit,
    usage,
    secrets,
    identities: new KeyvIdentityStore(onFirstUse<LinkedAccount | PendingSignIn>('identities'), secrets, calls),
    schedules: new KeyvScheduleStore(onFirstUse<Schedule | ScheduleRun>('schedules'), calls),
    async check() {
      const probe = `probe:${process.pid}:${Date.now()}`;
      if (!(await dedupe.claim(probe, 60_000)) || (await dedupe.claim(probe, 60_000))) {
        throw new StoreUnavailableError(url, new Error('a claim written could not be read back'));
      }
      await calls.run('read', () => threads.get(probe));
    },
    async ping(ms = timeoutMs) {
      await new StoreCalls(url, ms).run('ping', () => threads.get('healthz'));
    },
    observe(observer) {
      calls.observer = observer;
    },
    close: () => {
      journal.close();
      return backend.close();
    },
  };
}
