/**
 * Who may talk to the bot (ALLOWED_USERS, ALLOWED_CHANNELS, DISCORD_ALLOWED_ROLES), and the limits
 * on what they send (MAX_PROMPT_CHARS, USER_MESSAGES_PER_MINUTE). Pure: the decision takes the
 * rules and a thread; the caller does the I/O (the refusal once per thread, the rate count).
 *
 * - Admins (ADMIN_USERS) and the console (`local`, an operator at the host's terminal) always pass.
 * - With a channel list, only threads in those channels pass; a Discord thread counts by its own id
 *   or its parent channel's. Direct messages are channels too: list them, or they are refused.
 * - With a people list (users, and on Discord roles), only those people pass, on every platform.
 */
import type { ChannelProfile, ThreadRef } from '../domain.js';
import { allowedByProfile } from './profiles.js';
import type { Logger } from '../infra/log.js';
import { NO_AUDIT, personOf, type AuditTrail } from './audit.js';
import type { UsageMeter } from './usage.js';
import type { RateLimiter } from '../store/rate-limit.js';
import { parseInput } from './commands/parse.js';
import type { Reply } from './reply.js';

export interface AccessRules {
  users: ReadonlySet<string>;
  channels: ReadonlySet<string>;
  discordRoles: ReadonlySet<string>;
  admins: ReadonlySet<string>;
}

export type AccessDecision = { allowed: true } | { allowed: false; because: 'channel' | 'person' | 'profile' };

export function accessRules(config: { users: readonly string[]; channels: readonly string[]; discordRoles: readonly string[] }, admins: readonly string[]): AccessRules {
  return { users: new Set(config.users), channels: new Set(config.channels), discordRoles: new Set(config.discordRoles), admins: new Set(admins) };
}

/** `profile`: the thread's channel profile (CHANNEL_CONFIG), whose `allowedUsers` narrow who is answered there. */
export function decideAccess(rules: AccessRules, thread: ThreadRef, profile?: ChannelProfile): AccessDecision {
  const person = `${thread.platform}:${thread.user}`;
  if (thread.platform === 'local' || rules.admins.has(person)) return { allowed: true };
  if (rules.channels.size > 0) {
    const places = [thread.channel, thread.parent].filter((c): c is string => c !== undefined);
    if (!places.some((c) => rules.channels.has(`${thread.platform}:${c}`))) return { allowed: false, because: 'channel' };
  }
  if (rules.users.size > 0 || rules.discordRoles.size > 0) {
    const byRole = thread.platform === 'discord' && (thread.roles ?? []).some((r) => rules.discordRoles.has(r));
    if (!rules.users.has(person) && !byRole) return { allowed: false, because: 'person' };
  }
  if (profile && !allowedByProfile(profile, person)) return { allowed: false, because: 'profile' };
  return { allowed: true };
}

export function refusalText(decision: Extract<AccessDecision, { allowed: false }>): string {
  switch (decision.because) {
    case 'channel':
      return '🙏 Sorry, I am not enabled in this channel. Ask the people who run me if you need me here.';
    case 'person':
      return '🙏 Sorry, I only answer the people this bot has been opened to. Ask the people who run me for access.';
    case 'profile':
      return '🙏 Sorry, in this channel I only answer the people it has been set up for. Ask the people who run me for access.';
  }
}

export function tooLongText(length: number, max: number): string {
  return `✂️ That message is ${length.toLocaleString('en-US')} characters long; I take at most ${max.toLocaleString('en-US')}. Please shorten it, or split it into parts.`;
}

export function slowDownText(perMinute: number, retryAfterMs: number): string {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return `🐢 You have sent me ${perMinute} messages in the last minute, which is my limit per person. Please try again in ${seconds} s.`;
}

/** Who may talk to the bot, and how much. */
export interface AccessOptions {
  rules: AccessRules;
  maxPromptChars: number;
  /** 0: no limit. */
  userMessagesPerMinute: number;
  limits: RateLimiter;
  /** True only the first time `key` is claimed anywhere within `ttlMs` (the store's atomic claim). */
  claimOnce: (key: string, ttlMs: number) => Promise<boolean>;
  /** The thread's channel profile (CHANNEL_CONFIG as loaded now); absent: none. */
  profileOf?: (thread: ThreadRef) => ChannelProfile;
}

/** How a message is asked about: from a slash command (`explicit`), refused every time (`once: false`), bringing files or a quoted message (`carries`). */
export interface AdmitHow {
  explicit?: boolean;
  once?: boolean;
  carries?: boolean;
}

/** Whether a message may go on; `reply` (private to the sender) says why not, when it should be said. */
export type Admission = { ok: true } | { ok: false; reply: Reply | undefined };

/** How the audit trail names an access refusal. */
const AUDIT_BECAUSE: Record<Extract<AccessDecision, { allowed: false }>['because'], string> = { person: 'not allowed', channel: 'channel not allowed', profile: 'not allowed in this channel' };

/** A person's refusals of one kind go to the audit trail at most this often. */
const REFUSAL_AUDIT_MS = 60_000;

/** A refusal is said once per thread and person; later messages there are ignored quietly. */
const REFUSAL_REMEMBERED_MS = 30 * 24 * 60 * 60 * 1000;

/** The rules above with their I/O: the once-per-thread refusal and the per-person budget. Absent options: everyone, no limits. */
export class AccessGate {
  constructor(
    private readonly options: AccessOptions | undefined,
    private readonly logger: Logger,
    private readonly audit: AuditTrail = NO_AUDIT,
    private readonly usage?: UsageMeter,
  ) {}

  /**
   * May this message go on? Adapters ask before they show anything (a placeholder, typing): someone
   * not allowed here hears it once per thread (`once: false`: every time), privately, and after
   * that nothing; a prompt over MAX_PROMPT_CHARS or past the sender's budget per minute gets a
   * private reply. No model call, no session, either way.
   */
  async admit(thread: ThreadRef, text: string, how: AdmitHow = {}): Promise<Admission> {
    const access = this.options;
    if (!access) return { ok: true };
    const decision = decideAccess(access.rules, thread, access.profileOf?.(thread));
    if (!decision.allowed) {
      this.logger.info({ platform: thread.platform, user: thread.user, channel: thread.channel, because: decision.because }, 'message refused: not allowed');
      this.refused(thread, AUDIT_BECAUSE[decision.because]);
      const reply: Reply = { kind: 'refusal', text: refusalText(decision) };
      if (how.once === false) return { ok: false, reply };
      const first = await access.claimOnce(`refused:${thread.platform}:${thread.workspace}:${thread.channel}:${thread.thread}:${thread.user}`, REFUSAL_REMEMBERED_MS);
      return { ok: false, reply: first ? reply : undefined };
    }
    const parsed = parseInput(text, { explicit: how.explicit });
    // A prompt with no words still runs a turn when it brings files or a quoted message: it is counted like one.
    if (parsed.kind !== 'prompt' || (!parsed.text && !how.carries)) return { ok: true };
    if (parsed.text.length > access.maxPromptChars) return { ok: false, reply: { kind: 'refusal', text: tooLongText(parsed.text.length, access.maxPromptChars) } };
    if (access.userMessagesPerMinute > 0) {
      const take = await access.limits.take(`${thread.platform}:${thread.user}`, access.userMessagesPerMinute);
      if (!take.ok) {
        this.logger.info({ platform: thread.platform, user: thread.user }, 'message refused: rate limit');
        this.refused(thread, 'rate limit');
        return { ok: false, reply: { kind: 'refusal', text: slowDownText(access.userMessagesPerMinute, take.retryAfterMs) } };
      }
    }
    // The day's budget last: a refused message (too long, too fast) takes none of it.
    const spent = await this.usage?.take(thread, 'turns');
    if (spent !== undefined) {
      this.refused(thread, 'daily turns');
      return { ok: false, reply: { kind: 'refusal', text: `Not now: ${spent}.` } };
    }
    return { ok: true };
  }

  /** The refusal for someone not allowed here (commands: said every time), or undefined. */
  refusal(thread: ThreadRef): Reply | undefined {
    if (!this.options) return undefined;
    const decision = decideAccess(this.options.rules, thread, this.options.profileOf?.(thread));
    if (decision.allowed) return undefined;
    this.refused(thread, AUDIT_BECAUSE[decision.because]);
    return { kind: 'refusal', text: refusalText(decision) };
  }

  /** Recorded at most once a minute per person and reason: someone refused cannot flood the trail. */
  private refused(thread: ThreadRef, because: string): void {
    const record = () => this.audit.record({ kind: 'access.refused', actor: personOf(thread), detail: { because, workspace: thread.workspace, channel: thread.channel, thread: thread.thread } });
    const once = this.options?.claimOnce;
    if (!once) return record();
    void once(`audit-refused:${personOf(thread)}:${because}`, REFUSAL_AUDIT_MS).then(
      (first) => first && record(),
      // The store cannot tell: recorded (a log line at least), rather than lost.
      () => record(),
    );
  }
}
