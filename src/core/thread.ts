/**
 * A chat thread, independent of the platform it lives on, and the Copilot session id it maps to.
 *
 * The id is `<platform>-<workspace>-<channel>-<thread>`; when the thread *is* a channel
 * (a Discord thread, a DM, a console thread) the channel part is dropped:
 * `<platform>-<workspace>-<thread>`. The SDK accepts only `[A-Za-z0-9_-]`, so each part is
 * encoded:
 *   - a part made of letters, digits and dots that starts with a letter or digit keeps its
 *     characters, with `.` written as `_` (Slack's `1700000050.000100` → `1700000050_000100`);
 *   - any other part of printable ASCII is written readably: `__`, then its letters and digits as
 *     they are, `-` as `__`, and every other character as `_` and two hex digits
 *     (`readme-demo` → `__readme__demo`, `my notes` → `__my_20notes`);
 *   - anything else is `_` followed by the lowercase hex of its UTF-8 bytes.
 * The forms never meet (plain starts with a letter or digit, readable with `__`, hex with `_` and
 * a hex digit), `-` only separates, so the mapping is injective, and `describeSessionId` reads an
 * id back. Ids made before the readable form (hex for every non-plain part) still resolve: see
 * `legacySessionIdFor`.
 */

import type { SessionId, ThreadRef } from '../domain.js';

export type { Platform, SessionId, ThreadRef } from '../domain.js';

/** The runtime accepted ids of 200 characters here; longer ones would also strain path limits. */
export const MAX_SESSION_ID_LENGTH = 200;

export class ThreadIdError extends Error {
  override name = 'ThreadIdError';
}

const PLATFORM = /^[a-z][a-z0-9]{0,15}$/;
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9.]*$/;
const PRINTABLE = /^[\x20-\x7e]+$/;
const ENCODED_PART = /^(?:[A-Za-z0-9][A-Za-z0-9_]*|_(?:[0-9a-f]{2})*|__(?:[A-Za-z0-9]|__|_[0-9a-f]{2})*)$/;
const SESSION_ID = /^[A-Za-z0-9_-]+$/;

export function encodePart(part: string): string {
  if (PLAIN.test(part)) return part.replaceAll('.', '_');
  if (PRINTABLE.test(part)) return `__${[...part].map((c) => (/[A-Za-z0-9]/.test(c) ? c : c === '-' ? '__' : `_${c.charCodeAt(0).toString(16).padStart(2, '0')}`)).join('')}`;
  return hexPart(part);
}

function hexPart(part: string): string {
  return `_${Buffer.from(part, 'utf8').toString('hex')}`;
}

export function decodePart(part: string): string {
  if (part.startsWith('__')) return part.slice(2).replace(/__|_([0-9a-f]{2})/g, (_esc, hex?: string) => (hex ? String.fromCharCode(parseInt(hex, 16)) : '-'));
  if (part.startsWith('_')) return Buffer.from(part.slice(1), 'hex').toString('utf8');
  return part.replaceAll('_', '.');
}

type ThreadKey = Pick<ThreadRef, 'platform' | 'workspace' | 'channel' | 'thread'>;

export function sessionIdFor(ref: ThreadKey): SessionId {
  return idWith(ref, encodePart);
}

/**
 * The id this thread had before the readable form (every non-plain part in hex), when that differs:
 * a console thread named `readme-demo` was `local-ana-_726561646d652d64656d6f`. Such a session is
 * still the thread's (see `Conversation`).
 */
export function legacySessionIdFor(ref: ThreadKey): SessionId | undefined {
  let legacy: SessionId;
  try {
    legacy = idWith(ref, (p) => (PLAIN.test(p) ? p.replaceAll('.', '_') : hexPart(p)));
  } catch {
    return undefined;
  }
  return legacy === sessionIdFor(ref) ? undefined : legacy;
}

function idWith(ref: ThreadKey, encode: (part: string) => string): SessionId {
  if (!PLATFORM.test(ref.platform)) throw new ThreadIdError(`invalid platform name: ${JSON.stringify(ref.platform.slice(0, 20))}`);
  const parts = ref.channel === ref.thread ? [ref.workspace, ref.thread] : [ref.workspace, ref.channel, ref.thread];
  const id = [ref.platform, ...parts.map(encode)].join('-');
  if (id.length > MAX_SESSION_ID_LENGTH) {
    throw new ThreadIdError(`thread reference too long for a session id (${id.length} > ${MAX_SESSION_ID_LENGTH} characters)`);
  }
  return id as SessionId;
}

/** Checks an id typed by an operator (CLI) before it reaches the SDK or the file system. */
export function parseSessionId(text: string): SessionId {
  if (!SESSION_ID.test(text) || text.length > MAX_SESSION_ID_LENGTH) {
    throw new ThreadIdError(`not a session id: ${JSON.stringify(text.slice(0, 60))} (only A-Z a-z 0-9 _ - allowed)`);
  }
  return text as SessionId;
}

export interface SessionOrigin {
  platform: string;
  workspace: string;
  channel: string;
  thread: string;
}

/** Reads back where a session came from, or undefined for ids this app did not make. */
export function describeSessionId(id: string): SessionOrigin | undefined {
  const [platform, ...parts] = id.split('-');
  if (!platform || !PLATFORM.test(platform) || parts.length < 2 || parts.length > 3) return undefined;
  if (!parts.every((p) => ENCODED_PART.test(p))) return undefined;
  const [workspace, channel, thread] = parts.length === 3 ? parts : [parts[0], parts[1], parts[1]];
  return { platform, workspace: decodePart(workspace!), channel: decodePart(channel!), thread: decodePart(thread!) };
}
