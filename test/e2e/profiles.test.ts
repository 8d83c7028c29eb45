/**
 * Channel profiles, models and agents through the real runtime: the model server records which
 * model each turn asked for and what the system prompt held (CHANNEL_CONFIG, AGENTS_DIR,
 * COPILOT_MODELS; `model` and `agent` in a thread; a reload).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { textOf, type ModelRequest } from '../../testkit/model-server.js';
import { slackThread, startHarness, type Harness } from '../../testkit/harness.js';
import { sessionIdFor } from '../../src/core/thread.js';
import { ProfileError } from '../../src/profiles.js';

let h: Harness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const CHANNELS = `channels:
  "*":
    instructions: Always end with the word EVERYWHERE.
  "slack:C2":
    model: model-c
    agent: reviewer
    instructions: You serve the payments team.
    allowedUsers: [slack:U1]
`;

const REVIEWER = `---
name: reviewer
description: Reviews changes for risk
---
You are REVIEWER-AGENT. Point out risks first.
`;

async function start(env: Record<string, string> = {}, channels = CHANNELS): Promise<Harness> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profiles-e2e-'));
  fs.writeFileSync(path.join(dir, 'channels.yaml'), channels);
  fs.mkdirSync(path.join(dir, 'agents', 'skills', 'release'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'agents', 'reviewer.md'), REVIEWER);
  fs.writeFileSync(path.join(dir, 'agents', 'skills', 'release', 'SKILL.md'), '---\ndescription: Cutting a release\n---\nRELEASE-SKILL: tag with vX.Y.Z, then run make release.\n');
  return startHarness({ env: { COPILOT_MODELS: 'model-b,model-c', CHANNEL_CONFIG: path.join(dir, 'channels.yaml'), AGENTS_DIR: path.join(dir, 'agents'), ...env } });
}

/** Everything the model was given but the conversation: the system prompt, with the agent's. */
function systemOf(req: ModelRequest): string {
  return req.messages.filter((m) => m.role === 'system').map((m) => textOf(m.content)).join('\n');
}

function last(h: Harness): ModelRequest {
  return h.model.requests.at(-1)!;
}

describe('channel profiles, models and agents', () => {
  it("a channel's model, agent and instructions reach the model; the bot's elsewhere", async () => {
    h = await start();
    const c = h.app.conversation;
    expect(await c.handleMessage(slackThread('1.1', 'U1', 'T1', 'C1'), 'hello')).toMatchObject({ kind: 'answer', text: 'you said: hello' });
    expect(last(h).model).toBe('test-model');
    expect(systemOf(last(h))).toContain('Always end with the word EVERYWHERE.');
    expect(systemOf(last(h))).not.toContain('REVIEWER-AGENT');
    // Skills of AGENTS_DIR go with every session's instructions.
    expect(systemOf(last(h))).toMatch(/<skill name="release" description="Cutting a release">\nRELEASE-SKILL: tag with vX\.Y\.Z/);

    expect(await c.handleMessage(slackThread('2.1', 'U1', 'T1', 'C2'), 'review this')).toMatchObject({ kind: 'answer' });
    expect(last(h).model).toBe('model-c');
    expect(systemOf(last(h))).toContain('You serve the payments team.');
    expect(systemOf(last(h))).toContain('REVIEWER-AGENT');
  });

  it("allowedUsers: someone else is refused in that channel, and answered elsewhere", async () => {
    h = await start();
    const c = h.app.conversation;
    const before = h.model.requests.length;
    expect(await c.handleMessage(slackThread('2.2', 'U2', 'T1', 'C2'), 'let me in')).toMatchObject({ kind: 'refusal', text: expect.stringMatching(/in this channel I only answer the people it has been set up for/) });
    expect(h.model.requests.length).toBe(before);
    expect(await c.handleMessage(slackThread('1.2', 'U2', 'T1', 'C1'), 'hi')).toMatchObject({ kind: 'answer' });
    // Nor does someone not answered there decide a tool approval there.
    expect(await c.decideApproval(slackThread('2.2', 'U2', 'T1', 'C2'), 'any-request', 'once')).toEqual({ ok: false, text: expect.stringMatching(/set up for/) });
    expect(await c.decideApproval(slackThread('2.2', 'U1', 'T1', 'C2'), 'any-request', 'once')).not.toEqual({ ok: false, text: expect.stringMatching(/set up for/) });
  });

  it('model NAME switches the thread (its session goes on), is shown in history, and default goes back', async () => {
    h = await start();
    const c = h.app.conversation;
    const thread = slackThread('1.3', 'U1', 'T1', 'C1');
    // Before its first turn a thread is nobody's: no switch, and no record that would make the chooser its starter.
    expect((await c.handleMessage({ ...thread, user: 'U3' }, 'model model-b')).text).toMatch(/no Copilot session yet: ask your first question/);
    expect(await h.app.store.registry.get(sessionIdFor(thread))).toBeUndefined();
    await c.handleMessage(thread, 'alpha');
    expect(last(h).model).toBe('test-model');

    const shown = await c.handleMessage(thread, 'model');
    expect(shown.text).toMatch(/This thread uses \*\*test-model\*\* \(the bot's default\)/);
    expect(shown.text).toMatch(/Also on offer: `model-b`, `model-c`/);

    expect((await c.handleMessage(thread, 'model model-z')).text).toMatch(/There is no model `model-z` here\. On offer: `test-model`, `model-b`, `model-c`/);
    // Only the thread's starter (or an admin) switches it.
    expect((await c.handleMessage({ ...thread, user: 'U3' }, 'model model-b')).text).toMatch(/Only the person who started this thread’s session/);

    expect((await c.handleMessage(thread, '/model model-b')).text).toMatch(/This thread now uses \*\*model-b\*\*/);
    expect(await h.app.store.registry.get(sessionIdFor(thread))).toMatchObject({ model: 'model-b', turns: 1 });
    expect(await c.handleMessage(thread, 'beta')).toMatchObject({ kind: 'answer', text: 'you said: beta | earlier: alpha', created: false });
    expect(last(h).model).toBe('model-b');
    expect((await c.handleMessage(thread, 'history')).text).toMatch(/model model-b \(chosen here\)/);

    // Remembered across a restart.
    await h.restart();
    await h.app.conversation.handleMessage(thread, 'gamma');
    expect(last(h).model).toBe('model-b');

    expect((await h.app.conversation.handleMessage(thread, 'model default')).text).toMatch(/back to the bot's default model: \*\*test-model\*\*/);
    await h.app.conversation.handleMessage(thread, 'delta');
    expect(last(h).model).toBe('test-model');
  });

  it("a place's own agents and skills: the others are neither offered nor given there", async () => {
    h = await start({}, 'channels:\n  "slack:C4":\n    agents: []\n    skills: []\n');
    const c = h.app.conversation;
    const thread = slackThread('4.1', 'U1', 'T1', 'C4');
    await c.handleMessage(thread, 'hello');
    expect(systemOf(last(h))).not.toContain('RELEASE-SKILL');
    expect((await c.handleMessage(thread, 'agent')).text).toMatch(/No custom agents are on offer here/);
    expect((await c.handleMessage(thread, 'agent reviewer')).text).toMatch(/There is no agent `reviewer` here/);
    await c.handleMessage(slackThread('1.7', 'U1', 'T1', 'C1'), 'elsewhere');
    expect(systemOf(last(h))).toContain('RELEASE-SKILL');
  });

  it('agent NAME switches to a custom agent of AGENTS_DIR, and default leaves it', async () => {
    h = await start();
    const c = h.app.conversation;
    const thread = slackThread('1.4', 'U1', 'T1', 'C1');
    const listed = await c.handleMessage(thread, 'agent');
    expect(listed.text).toMatch(/This thread uses no custom agent\. Agents here:\n• `reviewer`: Reviews changes for risk/);
    await c.handleMessage(thread, 'one');
    expect(systemOf(last(h))).not.toContain('REVIEWER-AGENT');
    expect((await c.handleMessage(thread, 'agent reviewer')).text).toMatch(/This thread now uses \*\*reviewer\*\*/);
    await c.handleMessage(thread, 'two');
    expect(systemOf(last(h))).toContain('REVIEWER-AGENT');
    expect((await c.handleMessage(thread, 'agent default')).text).toMatch(/back to the bot's default agent: no custom agent/);
    await c.handleMessage(thread, 'three');
    expect(systemOf(last(h))).not.toContain('REVIEWER-AGENT');
    expect(last(h).model).toBe('test-model');
  });

  it("a channel's tools narrow the bot's: the model is offered only those", async () => {
    h = await start({ COPILOT_TOOLS: 'grep,glob,view', COPILOT_TOOLS_APPROVAL: 'none', TOOLS_SANDBOX: 'off' }, 'channels:\n  "slack:C3":\n    tools: [grep]\n');
    const c = h.app.conversation;
    const toolsOf = (req: ModelRequest) => (req.tools ?? []).map((t) => t.function.name).sort();
    await c.handleMessage(slackThread('3.1', 'U1', 'T1', 'C3'), 'narrow');
    expect(toolsOf(last(h)).filter((t) => ['grep', 'glob', 'view'].includes(t))).toEqual(['grep']);
    await c.handleMessage(slackThread('1.6', 'U1', 'T1', 'C1'), 'wide');
    expect(toolsOf(last(h)).filter((t) => ['grep', 'glob', 'view'].includes(t))).toEqual(['glob', 'grep', 'view']);
  });

  it('a reload takes new files for the next turn; a mistake keeps the old ones', async () => {
    h = await start();
    const c = h.app.conversation;
    const thread = slackThread('1.5', 'U1', 'T1', 'C1');
    await c.handleMessage(thread, 'before');
    expect(last(h).model).toBe('test-model');

    fs.writeFileSync(path.join(dir!, 'channels.yaml'), 'channels:\n  "slack:C1":\n    model: model-b\n    instructions: Now a RELOADED rule.\n');
    await h.app.profiles.reload();
    await c.handleMessage(thread, 'after');
    expect(last(h).model).toBe('model-b');
    expect(systemOf(last(h))).toContain('Now a RELOADED rule.');
    expect(systemOf(last(h))).not.toContain('EVERYWHERE');

    fs.writeFileSync(path.join(dir!, 'channels.yaml'), 'channels:\n  "slack:C1":\n    model: model-b\n    tools: [bash]\n');
    await expect(h.app.profiles.reload()).rejects.toThrow(ProfileError);
    await c.handleMessage(thread, 'still');
    expect(last(h).model).toBe('model-b');
    expect(systemOf(last(h))).toContain('Now a RELOADED rule.');
  });
});
