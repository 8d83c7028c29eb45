/**
 * How a list of threads reads to a person: where the thread is and who started it in the
 * platform's own terms (mentions that do not ping), the opening words of its first message, a link
 * that opens it, and when it was last used in words ("3 days ago"). Pure; each platform supplies
 * its `ThreadNames`.
 */
import type { ThreadRecord } from '../store/registry.js';

export interface ThreadNames {
  /** The channel or conversation the thread is in, as the platform shows it (`<#C123>`). */
  place(record: ThreadRecord): string;
  /** A person, shown without notifying them. */
  person(user: string): string;
  /** Marks up a link with a label in the platform's syntax; undefined when there is no link. */
  link(record: ThreadRecord, label: string): string | undefined;
  /** Escapes text people wrote (the opening words) so it shows literally. */
  literal(text: string): string;
}

/** For the console and the CLI: ids as they are, Markdown links. */
export const PLAIN_NAMES: ThreadNames = {
  place: (r) => (r.direct ? 'a direct message' : r.platform === 'local' ? `thread “${r.thread}”` : r.parent ?? r.channel),
  person: (u) => u,
  link: (r, label) => (r.link ? `[${label}](${r.link})` : undefined),
  literal: (t) => t,
};

const UNITS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];
const RELATIVE = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "just now", "5 minutes ago", "yesterday", "3 weeks ago"; a time ahead of `now` (clock skew) reads as just now. */
export function relativeTime(then: string | Date, now: Date): string {
  const at = typeof then === 'string' ? new Date(then) : then;
  if (Number.isNaN(at.getTime())) return 'at an unknown time';
  const ago = now.getTime() - at.getTime();
  for (const [unit, ms] of UNITS) {
    if (ago >= ms) return RELATIVE.format(-Math.floor(ago / ms), unit);
  }
  return 'just now';
}

/** `2026-12-01 14:05 UTC`: the one absolute format, for when relative is not enough. */
export function absoluteTime(then: string | Date | undefined): string {
  if (then === undefined) return '-';
  const at = typeof then === 'string' ? new Date(then) : then;
  return Number.isNaN(at.getTime()) ? '-' : `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function turnsLabel(turns: number): string {
  return `${turns} turn${turns === 1 ? '' : 's'}`;
}

/** One thread in a list: `<#C1> · “How do I deploy…” · started by <@U1> · 4 turns · 3 days ago · open`. */
export function threadLine(record: ThreadRecord, now: Date, names: ThreadNames): string {
  const parts = [names.place(record)];
  if (record.opening) parts.push(`“${names.literal(record.opening)}”`);
  parts.push(`started by ${names.person(record.startedBy)}`, turnsLabel(record.turns), relativeTime(record.lastActiveAt, now));
  const link = names.link(record, 'open thread');
  if (link) parts.push(link);
  return parts.join(' · ');
}
