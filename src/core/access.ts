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
import type { ThreadRef } from '../domain.js';

export interface AccessRules {
  users: ReadonlySet<string>;
  channels: ReadonlySet<string>;
  discordRoles: ReadonlySet<string>;
  admins: ReadonlySet<string>;
}

export type AccessDecision = { allowed: true } | { allowed: false; because: 'channel' | 'person' };

export function accessRules(config: { users: readonly string[]; channels: readonly string[]; discordRoles: readonly string[] }, admins: readonly string[]): AccessRules {
  return { users: new Set(config.users), channels: new Set(config.channels), discordRoles: new Set(config.discordRoles), admins: new Set(admins) };
}

export function decideAccess(rules: AccessRules, thread: ThreadRef): AccessDecision {
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
  return { allowed: true };
}

export function refusalText(decision: Extract<AccessDecision, { allowed: false }>): string {
  return decision.because === 'channel'
    ? '🙏 Sorry, I am not enabled in this channel. Ask the people who run me if you need me here.'
    : '🙏 Sorry, I only answer the people this bot has been opened to. Ask the people who run me for access.';
}

export function tooLongText(length: number, max: number): string {
  return `✂️ That message is ${length.toLocaleString('en-US')} characters long; I take at most ${max.toLocaleString('en-US')}. Please shorten it, or split it into parts.`;
}

export function slowDownText(perMinute: number, retryAfterMs: number): string {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return `🐢 You have sent me ${perMinute} messages in the last minute, which is my limit per person. Please try again in ${seconds} s.`;
}
