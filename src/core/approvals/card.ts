/**
 * What an approval card says, in Markdown pieces every platform renders its own way: the tool,
 * exactly what it would run (exact-text.ts), who may decide and until when, or the decision.
 */
import type { ApprovalRequest } from '../../store/approvals.js';
import { concernNotice, exactText } from '../exact-text.js';
import { maskSecrets } from '../redact.js';

/** Longest command, path or URL kept in a thread's approval record (history); cards show more, see exact-text.ts. */
export const DETAIL_MAX_CHARS = 800;

/** Who besides admins may decide: the thread's starter; older requests, the person who asked. Undefined: admins only. */
export function deciderOf(request: ApprovalRequest): string | undefined {
  return request.approvers === 'admins' ? undefined : (request.decider ?? request.requestedBy);
}

function hhmm(iso: string): string {
  return `${iso.slice(11, 16)} UTC`;
}

/** "approved once by U1 at 12:03 UTC", for cards, click answers and history. */
export function decisionLine(r: Pick<ApprovalRequest, 'tool' | 'decision'>, mention: (user: string) => string): string {
  const d = r.decision;
  if (!d) return 'waiting for a decision';
  const by = d.by ? ` by ${mention(d.by)}` : '';
  switch (d.outcome) {
    case 'approved':
      return `✅ approved once${by} at ${hhmm(d.at)}`;
    case 'always':
      return `✅ approved${by} at ${hhmm(d.at)}, and \`${r.tool}\` is allowed for their messages in the rest of this thread`;
    case 'granted':
      return `✅ allowed: \`${r.tool}\` was approved for this thread${by}`;
    case 'denied':
      return `🚫 denied${by} at ${hhmm(d.at)}`;
    case 'timeout':
      return `⌛ nobody decided in time, so it was denied (${hhmm(d.at)})`;
    case 'expired':
      return `⌛ expired: ${d.reason ?? 'no decision'}; nothing ran. Ask again if you still need it`;
  }
}

/** What a card says, in Markdown pieces every platform renders its own way. */
export interface CardView {
  title: string;
  /** The command line, path or URL as the card can show it (put it in a code block): see exact-text.ts. */
  detail: string;
  /** Plain words on what the card cannot show as it is (then `attachment` has the whole text). */
  notice: string | undefined;
  /** The whole exact text, as a file to go with the card. */
  attachment: { name: string; content: string } | undefined;
  intention: string | undefined;
  /** Who may decide and until when, or the decision. */
  status: string;
  /** Buttons are shown only while this is true. */
  open: boolean;
}

export function approvalCard(r: ApprovalRequest, mention: (user: string) => string): CardView {
  const exact = exactText(r.detail, maskSecrets(r.detail) !== r.detail);
  const decider = deciderOf(r);
  return {
    title: `🔐 Copilot wants to use \`${r.tool}\``,
    detail: exact.shown || '(no arguments)',
    notice: concernNotice(exact),
    attachment: exact.attach ? { name: `${r.tool}-request-${r.id.slice(0, 8)}.txt`, content: r.detail } : undefined,
    intention: r.intention,
    status: r.decision
      ? decisionLine(r, mention).replace(/^(\S+) (\S)/, (_m, icon: string, c: string) => `${icon} ${c.toUpperCase()}`)
      : `${decider ? `Only ${mention(decider)} (who started this thread) or a bot admin can decide` : 'Only a bot admin can decide'}. No decision by ${hhmm(r.expiresAt)} means no.`,
    open: r.decision === undefined,
  };
}

/** Masks what looks like a secret (tokens, keys, passwords, credentials in URLs) and shortens the rest. */
export function displayDetail(detail: string): string {
  return clipText(maskSecrets(detail), DETAIL_MAX_CHARS);
}

export function clipText(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length - max} more characters)` : s;
}
