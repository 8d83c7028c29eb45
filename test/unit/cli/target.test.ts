import { describe, expect, it } from 'vitest';
import { resolveTarget, type Lookup } from '../../../src/cli/target.js';
import { localUser } from '../../../adapters/console/console.js';
import { sessionIdFor, ThreadIdError, type SessionId } from '../../../src/core/thread.js';
import type { ThreadRecord } from '../../../src/store/registry.js';

const record = (r: Partial<ThreadRecord> & Pick<ThreadRecord, 'sessionId' | 'platform' | 'channel' | 'thread'>): ThreadRecord => ({
  workspace: 'T1',
  startedBy: 'U1',
  createdAt: '2026-11-01T00:00:00Z',
  lastActiveAt: '2026-11-01T00:00:00Z',
  turns: 1,
  ...r,
});

function lookup(records: ThreadRecord[], onDisk: string[] = []): Lookup {
  const known = new Set([...records.map((r) => r.sessionId as string), ...onDisk]);
  return { records: async () => records, sessionIds: async () => onDisk, known: async (id) => known.has(id) };
}

describe('which session an operator means', () => {
  const slack = record({ sessionId: 'slack-T1-C0123-1700000050_000100' as SessionId, platform: 'slack', channel: 'C0123', thread: '1700000050.000100' });
  const mine = sessionIdFor({ platform: 'local', workspace: localUser(), channel: 'readme-demo', thread: 'readme-demo' });

  it('takes a session id as it is', async () => {
    expect(await resolveTarget('slack-T1-C0123-1700000050_000100', lookup([slack]))).toBe(slack.sessionId);
  });

  it('finds a Slack thread by its permalink, the parent’s or a reply’s, with or without Slack’s <…> wrapping', async () => {
    const l = lookup([slack]);
    expect(await resolveTarget('https://acme.slack.com/archives/C0123/p1700000050000100', l)).toBe(slack.sessionId);
    expect(await resolveTarget('<https://acme.slack.com/archives/C0123/p1700000099000200?thread_ts=1700000050.000100&cid=C0123>', l)).toBe(slack.sessionId);
    // A session the registry lost is still found on disk by its id.
    expect(await resolveTarget('https://acme.slack.com/archives/C0999/p1700000050000100', lookup([], ['slack-T9-C0999-1700000050_000100']))).toBe('slack-T9-C0999-1700000050_000100');
    await expect(resolveTarget('https://acme.slack.com/archives/C0777/p1700000050000100', l)).rejects.toThrow(/no session for the Slack thread C0777/);
  });

  it('reads a Discord thread or DM link', async () => {
    const guild = '100000000000000001';
    const thread = '300000000000000001';
    expect(await resolveTarget(`https://discord.com/channels/${guild}/${thread}`, lookup([]))).toBe(`discord-${guild}-${thread}`);
    // A message's link inside the thread, from the canary client.
    expect(await resolveTarget(`https://canary.discord.com/channels/${guild}/${thread}/400000000000000001`, lookup([]))).toBe(`discord-${guild}-${thread}`);
    expect(await resolveTarget('https://discord.com/channels/@me/500000000000000001', lookup([]))).toBe('discord-dm-500000000000000001');
  });

  it('finds a console thread by its name: yours first, anyone’s if only one has it', async () => {
    expect(await resolveTarget('readme-demo', lookup([], [mine]))).toBe(mine);
    const bob = record({ sessionId: 'local-bob-notes' as SessionId, platform: 'local', workspace: 'bob', channel: 'notes', thread: 'notes' });
    expect(await resolveTarget('notes', lookup([bob]))).toBe('local-bob-notes');
    const eve = { ...bob, sessionId: 'local-eve-notes' as SessionId, workspace: 'eve' };
    await expect(resolveTarget('notes', lookup([bob, eve]))).rejects.toThrow(/several console threads are named "notes"/);
    // Said outright: `local:NAME`, also for a name that looks like a session id.
    expect(await resolveTarget('local:notes', lookup([bob]))).toBe('local-bob-notes');
    await expect(resolveTarget('local:nothing-here', lookup([bob]))).rejects.toThrow(/no console thread named "nothing-here"/);
  });

  it('refuses what is neither', async () => {
    await expect(resolveTarget('https://example.org/x', lookup([]))).rejects.toThrow(ThreadIdError);
    await expect(resolveTarget('../../etc/passwd', lookup([]))).rejects.toThrow(/not a session id, thread link or console thread/);
  });
});
