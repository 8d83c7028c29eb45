/**
 * Access control for a whole workspace (ALLOWED_USERS, ALLOWED_CHANNELS, DISCORD_ALLOWED_ROLES)
 * and limits (MAX_PROMPT_CHARS, USER_MESSAGES_PER_MINUTE), on the real runtime and store: whoever
 * is refused causes no model call and no session, and hears why once per thread.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { sessionIdFor, type ThreadRef } from '../../src/core/thread.js';
import { StoreUnavailableError } from '../../src/infra/store-calls.js';
import { localThread, slackThread, startHarness, testLogger, type Harness } from '../../testkit/harness.js';

let h: Harness | undefined;
let other: App | undefined;
afterEach(async () => {
  await other?.shutdown(0);
  await h?.close();
  h = other = undefined;
});

const discordThread = (thread: string, o: { user?: string; parent?: string; roles?: string[] } = {}): ThreadRef => ({
  platform: 'discord',
  workspace: '100000000000000001',
  channel: thread,
  thread,
  user: o.user ?? '300000000000000001',
  ...(o.parent ? { parent: o.parent } : {}),
  ...(o.roles ? { roles: o.roles } : {}),
});

/** Refused with no trace: no model call, no session, no registry record. */
async function untouched(h: Harness, thread: ThreadRef): Promise<void> {
  expect(h.model.requests).toHaveLength(0);
  expect(await h.app.agent.exists(sessionIdFor(thread))).toBe(false);
  expect(await h.app.store.registry.get(sessionIdFor(thread))).toBeUndefined();
}

describe('who may talk to the bot', () => {
  it('ALLOWED_USERS: others are refused, once per thread, privately; listed people and admins are answered', async () => {
    h = await startHarness({ env: { ALLOWED_USERS: 'slack:UALLOWED', ADMIN_USERS: 'slack:UADMIN' } });
    const c = h.app.conversation;
    const t = slackThread('1.1', 'USTRANGER');
    const first = await c.admit(t, 'hello');
    expect(first).toMatchObject({ ok: false, reply: { kind: 'refusal', text: expect.stringMatching(/only answer the people/) } });
    expect(await c.admit(t, 'hello?')).toEqual({ ok: false, reply: undefined });
    // Another thread: told again.
    expect(await c.admit(slackThread('2.2', 'USTRANGER'), 'hi')).toMatchObject({ ok: false, reply: { kind: 'refusal' } });
    // Without the adapter asking first, the core refuses too (and says so).
    expect(await c.handleMessage(t, 'hello')).toMatchObject({ kind: 'refusal' });
    expect(await c.handleMessage(t, 'history')).toMatchObject({ kind: 'refusal' });
    expect(await c.runCommand(t, { kind: 'sessions' })).toMatchObject({ kind: 'refusal' });
    await untouched(h, t);

    expect(await c.handleMessage(slackThread('1.1', 'UALLOWED'), 'hello')).toMatchObject({ kind: 'answer', text: 'you said: hello' });
    expect(await c.handleMessage(slackThread('3.3', 'UADMIN'), 'hello')).toMatchObject({ kind: 'answer' });
    // The operator at the console always passes.
    expect(await c.handleMessage(localThread('ops'), 'hello')).toMatchObject({ kind: 'answer' });
  });

  it('ALLOWED_CHANNELS: only those channels; a Discord thread counts by its parent channel', async () => {
    h = await startHarness({ env: { ALLOWED_CHANNELS: 'slack:CYES,discord:700000000000000001' } });
    const c = h.app.conversation;
    const elsewhere = slackThread('1.1', 'U1', 'T1', 'CNO');
    expect(await c.admit(elsewhere, 'hello')).toMatchObject({ ok: false, reply: { text: expect.stringMatching(/not enabled in this channel/) } });
    const thread = discordThread('800000000000000009', { parent: '700000000000000002' });
    expect((await c.admit(thread, 'hello')).ok).toBe(false);
    await untouched(h, elsewhere);
    expect(await c.handleMessage(slackThread('1.1', 'U1', 'T1', 'CYES'), 'hello')).toMatchObject({ kind: 'answer' });
    expect(await c.handleMessage(discordThread('800000000000000001', { parent: '700000000000000001' }), 'hello')).toMatchObject({ kind: 'answer' });
  });

  it('DISCORD_ALLOWED_ROLES: members of those roles pass; people without them are refused', async () => {
    h = await startHarness({ env: { DISCORD_ALLOWED_ROLES: '600000000000000001' } });
    const c = h.app.conversation;
    expect((await c.admit(discordThread('800000000000000003', { roles: ['600000000000000009'] }), 'hello')).ok).toBe(false);
    expect((await c.admit(discordThread('800000000000000003'), 'hello')).ok).toBe(false);
    expect(await c.handleMessage(discordThread('800000000000000003', { roles: ['600000000000000001'] }), 'hello')).toMatchObject({ kind: 'answer' });
  });
});

describe('limits', () => {
  it('MAX_PROMPT_CHARS: a longer prompt gets a reply saying so, and no turn', async () => {
    h = await startHarness({ env: { MAX_PROMPT_CHARS: '20' } });
    const t = localThread('long');
    const reply = await h.app.conversation.handleMessage(t, 'x'.repeat(21));
    expect(reply).toMatchObject({ kind: 'refusal', text: expect.stringMatching(/21 characters long; I take at most 20/) });
    await untouched(h, t);
    expect(await h.app.conversation.handleMessage(t, 'x'.repeat(20))).toMatchObject({ kind: 'answer' });
  });

  it('USER_MESSAGES_PER_MINUTE: past the budget a person is told when to try again, on every instance sharing the store; others are unaffected', async () => {
    h = await startHarness({ env: { USER_MESSAGES_PER_MINUTE: '3' } });
    other = await createApp(loadConfig({ ...h.env, COPILOT_HOME: path.join(h.dir, 'other') }, { needModel: true }), testLogger());
    const busy = slackThread('5.5', 'UBUSY');
    const replies = [];
    for (const app of [h.app, other, h.app]) replies.push(await app.conversation.handleMessage(busy, `m${replies.length}`));
    expect(replies.map((r) => r.kind)).toEqual(['answer', 'answer', 'answer']);
    const fourth = await other.conversation.handleMessage(busy, 'one too many');
    expect(fourth).toMatchObject({ kind: 'refusal', text: expect.stringMatching(/3 messages in the last minute.*try again in \d+ s/) });
    expect(h.model.requests.map((r) => r.userTexts.at(-1))).not.toContain('one too many');
    // Commands are not prompts; another person has a budget of their own.
    expect((await h.app.conversation.handleMessage(busy, 'history')).kind).toBe('history');
    expect(await h.app.conversation.handleMessage(slackThread('5.5', 'UCALM'), 'hello')).toMatchObject({ kind: 'answer' });
  });

  it('a thread whose registry record is gone may be forgotten by an admin only', async () => {
    h = await startHarness({ env: { ADMIN_USERS: 'slack:UADMIN' } });
    const c = h.app.conversation;
    const t = slackThread('9.9', 'USTARTER');
    await c.handleMessage(t, 'keep me');
    await h.app.store.registry.delete(sessionIdFor(t));
    expect((await c.handleMessage(slackThread('9.9', 'USTARTER'), 'forget')).text).toMatch(/Only the person who started/);
    expect((await c.handleMessage(slackThread('9.9', 'UPASSERBY'), 'forget')).text).toMatch(/Only the person who started/);
    expect(await h.app.agent.exists(sessionIdFor(t))).toBe(true);
    expect((await c.handleMessage(slackThread('9.9', 'UADMIN'), 'forget')).kind).toBe('forgotten');
    expect(await h.app.agent.exists(sessionIdFor(t))).toBe(false);
    // Nothing there at all: said so, to anyone.
    expect((await c.handleMessage(slackThread('8.8', 'UPASSERBY'), 'forget')).text).toMatch(/no Copilot session to forget/);
  });

  it('a store that cannot count the budget (it is down) is said like any storage failure, never swallowed', async () => {
    h = await startHarness({ env: { USER_MESSAGES_PER_MINUTE: '20' } });
    h.app.store.limits.take = () => Promise.reject(new StoreUnavailableError(h!.config.storeUrl, new Error('connect ECONNREFUSED')));
    const t = slackThread('7.7', 'UANY');
    const admission = await h.app.conversation.admit(t, 'hello');
    expect(admission).toMatchObject({ ok: false, reply: { kind: 'error', text: expect.stringMatching(/storage is unavailable/) } });
    expect(await h.app.conversation.handleMessage(t, 'hello')).toMatchObject({ kind: 'error', text: expect.stringMatching(/storage is unavailable/) });
    expect(h.model.requests).toHaveLength(0);
  });
});
