/** A card surface for the core's tool approvals that records what a platform would show. */
import path from 'node:path';
import type { ApprovalCards, ApprovalRequest } from '../src/core/approvals/desk.js';
import type { ThreadRef } from '../src/core/thread.js';
import { startHarness, type Harness } from './harness.js';
import { toolScript } from './model-server.js';

export interface RecordedCards extends ApprovalCards {
  posted: ApprovalRequest[];
  updated: ApprovalRequest[];
  /** Resolves with the next card posted. */
  next(): Promise<ApprovalRequest>;
}

export function recordCards(): RecordedCards {
  const posted: ApprovalRequest[] = [];
  const updated: ApprovalRequest[] = [];
  let waiting: Array<(r: ApprovalRequest) => void> = [];
  return {
    posted,
    updated,
    async post(request) {
      posted.push(request);
      const w = waiting;
      waiting = [];
      for (const resolve of w) resolve(request);
      return { where: 'test' };
    },
    async update(request) {
      updated.push(request);
    },
    next() {
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** A harness with bash, web_fetch and view enabled (the first two need approval) and recorded cards for `local` threads. */
export async function startApprovalHarness(env: Record<string, string> = {}): Promise<{ h: Harness; cards: RecordedCards; workspace: string }> {
  const h = await startHarness({ env: { COPILOT_TOOLS: 'bash,web_fetch,view', APPROVAL_TIMEOUT_SECONDS: '600', ...env }, script: toolScript });
  const cards = recordCards();
  h.app.conversation.useApprovalCards('local', cards);
  return { h, cards, workspace: path.join(h.config.copilotHome, 'workspace') };
}

/** The same thread, clicked by someone else. */
export const clicker = (thread: ThreadRef, user: string): ThreadRef => ({ ...thread, user });
