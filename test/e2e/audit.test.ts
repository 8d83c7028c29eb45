/**
 * The audit trail, end to end on each store: a tool asked for and decided in a thread, a person
 * not allowed to use the bot, and a thread forgotten are each one record naming who, kept in the
 * store for the admin CLI (admin-cli.test.ts reads them back as an operator).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sessionIdFor } from '../../src/core/thread.js';
import { localThread, slackThread, type Harness } from '../../testkit/harness.js';
import { startApprovalHarness } from '../../testkit/approval-cards.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the audit trail', () => {
  it('records who asked for a tool, what it would run, who decided, refusals, and who forgot the thread', async () => {
    const started = await startApprovalHarness({ ALLOWED_USERS: 'slack:UANA' });
    h = started.h;
    const { cards } = started;
    const thread = localThread('audited', 'ana');
    const id = sessionIdFor(thread);

    const card = cards.next();
    const answer = h.app.conversation.handleMessage(thread, 'run audited');
    expect(await h.app.conversation.decideApproval(thread, (await card).id, 'once')).toEqual({ ok: true });
    expect((await answer).text).toContain('made-audited');

    const denied = cards.next();
    const fetching = h.app.conversation.handleMessage(thread, 'fetch http://127.0.0.1:9/secret?token=abc123');
    await h.app.conversation.decideApproval(thread, (await denied).id, 'deny');
    await fetching;

    // Someone not on ALLOWED_USERS (the console's own user is always allowed: a Slack thread here).
    // The refusal's record is written in the background: flushed below.
    const bob = slackThread('1700000000.000100', 'UBOB');
    expect(await h.app.conversation.handleMessage(bob, 'let me in')).toMatchObject({ kind: 'refusal' });
    // Refused again at once: told again, but the trail keeps one record a minute per person and reason.
    expect(await h.app.conversation.handleMessage(bob, 'let me in, please')).toMatchObject({ kind: 'refusal' });

    expect(await h.app.conversation.runCommand(thread, { kind: 'forget' })).toMatchObject({ kind: 'forgotten' });
    await h.app.audit.flush();

    const trail = await h.app.store.audit.list();
    expect(trail.map((r) => [r.kind, r.actor, r.session ?? '-'])).toEqual([
      ['tool.request', 'local:ana', id],
      ['tool.decision', 'local:ana', id],
      ['tool.request', 'local:ana', id],
      ['tool.decision', 'local:ana', id],
      ['access.refused', 'slack:UBOB', '-'],
      ['forget', 'local:ana', id],
    ]);
    expect(trail[0]!.detail).toMatchObject({ tool: 'bash', decision: 'asked', detail: expect.stringContaining('echo made-audited > audited.txt') });
    expect(trail[1]!.detail).toMatchObject({ tool: 'bash', outcome: 'approved', requestedBy: 'local:ana' });
    expect(trail[2]!.detail).toMatchObject({ tool: 'web_fetch', decision: 'asked' });
    // What is kept is masked: the URL's token is not in the store.
    expect(JSON.stringify(trail)).not.toContain('abc123');
    expect(trail[3]!.detail).toMatchObject({ tool: 'web_fetch', outcome: 'denied' });
    expect(trail[4]!.detail).toMatchObject({ because: 'not allowed', workspace: 'T1', channel: 'C1' });
    expect(trail[5]!.detail).toEqual({ via: 'thread' });
    expect(trail.every((r) => !Number.isNaN(Date.parse(r.at)))).toBe(true);
  });
});
