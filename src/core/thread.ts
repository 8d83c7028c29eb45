/**
 * A chat thread, independent of the platform it lives on, and the Copilot session id it maps to.
 *
 * The id is `<platform>-<workspace>-<channel>-<thread>`; when the thread *is* a channel
 * (a Discord thread, a DM, a console thread) the channel part is dropped:
 * `<platform>-<workspace>-<thread>`. The SDK accepts only `[A-Za-z0-9_-]`, so each part is
 * encoded:
 *   - a part made of letters, digits and dots that starts with a letter or digit keeps its
 *     characters, with `.` written as `_` (Slack's `1700000050.000100` → `1700000050_000100`);
 *   - any other part is written as `_` followed by the lowercase hex of its UTF-8 bytes.
 * The two forms never meet (one starts with `_`, the other never does), `-` only separates,
 * so the mapping is injective, and `describeSessionId` can read an id back.
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
const ENCODED_PART = /^(?:[A-Za-z0-9][A-Za-z0-9_]*|_(?:[0-9a-f]{2})*)$/;
const SESSION_ID = /^[A-Za-z0-9_-]+$/;

export function encodePart(part: string): string {
  if (PLAIN.test(part)) return part.replaceAll('.', '_');
  return `_${Buffer.from(part, 'utf8').toString('hex')}`;
}

export function decodePart(part: string): string {
  if (part.startsWith('_')) return Buffer.from(part.slice(1), 'hex').toString('utf8');
  return part.replaceAll('_', '.');
}

export function sessionIdFor(ref: Pick<ThreadRef, 'platform' | 'workspace' | 'channel' | 'thread'>): SessionId {
  if (!PLATFORM.test(ref.platform)) throw new ThreadIdError(`invalid platform name: ${JSON.stringify(ref.platform.slice(0, 20))}`);
  const parts = ref.channel === ref.thread ? [ref.workspace, ref.thread] : [ref.workspace, ref.channel, ref.thread];
  const id = [ref.platform, ...parts.map(encodePart)].join('-');
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
