/**
 * Tool approval on Discord, through real discord.js against the fake gateway and REST: the card
 * with buttons in the thread, clicks by the starter, by someone else and forged ones, the card
 * edited to show who decided, and "always in this thread".
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceFile, workspaceText } from '../../testkit/process.js';
import { APPROVAL_BUTTON } from '../../adapters/discord/approvals.js';
import { WAITING_FOR_APPROVAL } from '../../src/core/reply.js';
import { IDS } from '../../testkit/fake-discord.js';
import { interactionMessages, startDiscordHarness, T1, T2, type DiscordHarness } from '../../testkit/discord-harness.js';
import { toolScript } from '../../testkit/model-server.js';

let d: DiscordHarness | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});


interface Card {
  message: string;
  content: string;
  customIds: string[];
}

/** The approval card in a channel, as last sent or edited. */
function card(d: DiscordHarness, channel: string): Card | undefined {
  let found: Card | undefined;
  for (const c of d.discord.calls) {
    if (c.status !== 200) continue;
    const body = c.body as { content?: string; components?: Array<{ components?: Array<{ custom_id?: string }> }> };
    const ids = (body.components ?? []).flatMap((r) => r.components ?? []).map((b) => b.custom_id ?? '');
    if (c.method === 'POST' && c.path === `/channels/${channel}/messages` && ids.some((i) => i.startsWith(APPROVAL_BUTTON))) {
      found = { message: String((c.response as { id?: string } | undefined)?.id ?? ''), content: String(body.content), customIds: ids };
    } else if (c.method === 'PATCH' && found && c.path === `/channels/${channel}/messages/${found.message}`) {
      found = { ...found, content: String(body.content), customIds: ids };
    }
  }
  return found;
}

async function refusal(d: DiscordHarness, token: string): Promise<string> {
  await expect.poll(() => interactionMessages(d.discord, token).length).toBeGreaterThan(0);
  const m = interactionMessages(d.discord, token)[0]!;
  expect(m.flags).toBe(64);
  return m.content;
}

async function start() {
  d = await startDiscordHarness({ env: { COPILOT_TOOLS: 'bash' }, script: toolScript });
  return { d, workspace: path.join(d.h.config.copilotHome, 'workspace') };
}

describe('Discord approval cards', () => {
  it('shows the command with three buttons; a stranger is refused privately, the starter approves, the card says who', async () => {
    const { d, workspace } = await start();
    d.say('run dmark', { channel: T1 });
    await expect.poll(() => card(d, T1)).toBeDefined();
    const posted = card(d, T1)!;
    expect(posted.content).toContain('echo made-dmark > dmark.txt && cat dmark.txt');
    expect(posted.content).toContain(`Only <@${IDS.human}> (who started this thread) or a bot admin can decide`);
    expect(posted.customIds.map((i) => i.split(':')[2])).toEqual(['once', 'always', 'deny']);

    const stranger = d.press(posted.customIds[0]!, { user: IDS.other, channel: T1, ephemeral: false });
    expect(await refusal(d, stranger.token)).toMatch(/^Not yours to approve/);
    expect(fs.existsSync(workspaceFile(workspace, 'dmark.txt'))).toBe(false);

    d.press(posted.customIds[0]!, { channel: T1, ephemeral: false });
    await expect.poll(() => d.sent(T1).some((t) => t.includes('tool answer: made-dmark'))).toBe(true);
    expect(fs.readFileSync(workspaceFile(workspace, 'dmark.txt'), 'utf8')).toBe('made-dmark\n');
    const decided = card(d, T1)!;
    expect(decided.customIds).toEqual([]);
    expect(decided.content).toMatch(new RegExp(`✅ Approved once by <@${IDS.human}> at \\d\\d:\\d\\d UTC`));
  });

  it('"always in this thread": the next request there runs without a card; a message sent meanwhile is told it waits', async () => {
    const { d, workspace } = await start();
    d.say('run first', { channel: T1 });
    await expect.poll(() => card(d, T1)).toBeDefined();
    d.say('meanwhile', { channel: T1 });
    await expect.poll(() => d.sent(T1)).toContain(WAITING_FOR_APPROVAL);
    d.press(card(d, T1)!.customIds[1]!, { channel: T1, ephemeral: false });
    await expect.poll(() => d.sent(T1)).toContain('you said: meanwhile');
    expect(card(d, T1)!.content).toMatch(/allowed for their messages in the rest of this thread/);
    d.say('run second', { channel: T1 });
    await expect.poll(() => d.sent(T1).some((t) => t.includes('tool answer: made-second'))).toBe(true);
    expect(fs.existsSync(workspaceFile(workspace, 'second.txt'))).toBe(true);
    const cards = d.discord.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${T1}/messages` && JSON.stringify(c.body).includes(APPROVAL_BUTTON));
    expect(cards).toHaveLength(1);
  });

  it('refuses forged clicks: a real request pressed in another thread, a malformed id', async () => {
    const { d, workspace } = await start();
    d.say('run forged', { channel: T1 });
    await expect.poll(() => card(d, T1)).toBeDefined();
    const [once, , deny] = card(d, T1)!.customIds;
    const elsewhere = d.press(once!, { channel: T2, ephemeral: false });
    expect(await refusal(d, elsewhere.token)).toBe('That button is not valid here.');
    const malformed = d.press(`${APPROVAL_BUTTON}sometimes:x`, { channel: T1, ephemeral: false });
    expect(await refusal(d, malformed.token)).toBe('That button is not valid here.');
    expect(card(d, T1)!.customIds).toHaveLength(3);
    expect(fs.existsSync(workspaceFile(workspace, 'forged.txt'))).toBe(false);
    d.press(deny!, { channel: T1, ephemeral: false });
    await expect.poll(() => d.sent(T1).some((t) => /denied permission to use bash/.test(t))).toBe(true);
    expect(fs.existsSync(workspaceFile(workspace, 'forged.txt'))).toBe(false);
  });

  it('a command that turns text around (U+202E) or runs long: the card shows it with escapes, says so, and the exact text is attached to the card', async () => {
    const { d, workspace } = await start();
    const command = `echo "\u202Etxt.sh" > bidi.txt # ${'x'.repeat(900)}`;
    d.say(`exact ${Buffer.from(command).toString('hex')}`, { channel: T1 });
    await expect.poll(() => card(d, T1)).toBeDefined();
    const posted = card(d, T1)!;
    expect(posted.content).toContain('echo "\\u202etxt.sh" > bidi.txt # xxx');
    expect(posted.content).toMatch(/Read the attached file before deciding[\s\S]*9\d\d characters long[\s\S]*reverse how text is displayed/);
    expect(posted.content.length).toBeLessThanOrEqual(2000);
    const sent = d.discord.calls.find((c) => c.method === 'POST' && c.path === `/channels/${T1}/messages` && String((c.body as { content?: string }).content).includes('wants to use'))!;
    const files = String((sent.body as { _files?: string })._files);
    expect(files).toMatch(/filename="bash-request-[0-9a-f]{8}\.txt"/);
    expect(files).toContain(command);
    d.press(posted.customIds[0]!, { channel: T1, ephemeral: false });
    await expect.poll(() => workspaceText(workspace, 'bidi.txt')).toBe('\u202Etxt.sh\n');
    // The edit that records the decision keeps the attachment (it sends no new files).
    const edit = d.discord.calls.filter((c) => c.method === 'PATCH' && c.path.startsWith(`/channels/${T1}/messages/`)).at(-1)!;
    expect((edit.body as { attachments?: unknown }).attachments).toBeUndefined();
  });
});
