/**
 * The pictures of the README and docs/, made from what the fakes recorded while the real Bolt, discord.js and the
 * console ran: a Slack thread with a streamed answer, Slack's `/copilot sessions`, the assistant
 * pane, a Discord thread and list, and the console at a terminal. Drawn into a temp folder on every
 * run (so drawing them is tested); `UPDATE_PICTURES=1 npx vitest run test/e2e/pictures.test.ts
 * --project sqlite` writes them to docs/pictures/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ASSISTANT_GREETING } from '../../adapters/slack/listeners/assistant.js';
import { echoReply, toolScript, type ModelRequest, type ModelReply } from '../../testkit/model-server.js';
import { mention, nextTs, startSlackHarness } from '../../testkit/slack-harness.js';
import { threadMessages } from '../../testkit/slack-view.js';
import { startDiscordHarness, T1, T2, TEXT } from '../../testkit/discord-harness.js';
import { IDS } from '../../testkit/fake-discord.js';
import { processFixture } from '../../testkit/process.js';
import { onTerminal, plain } from '../../testkit/terminal.js';
import { chatSvg, terminalSvg, type ChatMessage } from '../../testkit/picture.js';

const out = process.env.UPDATE_PICTURES === '1' ? path.resolve('docs/pictures') : fs.mkdtempSync(path.join(os.tmpdir(), 'ct-pictures-'));
fs.mkdirSync(out, { recursive: true });
afterAll(() => {
  if (process.env.UPDATE_PICTURES !== '1') fs.rmSync(out, { recursive: true, force: true });
});

function save(name: string, svg: string): string {
  fs.writeFileSync(path.join(out, name), `${svg}\n`);
  return svg;
}

const DEPLOY = [
  'Run the migration first, then roll the web tier:',
  '',
  '```sh',
  'npm run migrate -- --env staging',
  'kubectl rollout restart deploy/web -n staging',
  '```',
  '',
  'Watch `kubectl rollout status` until it reports **success**.',
].join('\n');

const script = (req: ModelRequest): ModelReply | Promise<ModelReply> => {
  const last = req.userTexts.at(-1) ?? '';
  if (/deploy/i.test(last)) return { kind: 'text', text: DEPLOY, pieceDelayMs: 20 };
  if (/^run /.test(last)) return toolScript(req);
  return echoReply(req);
};

const SLACK_NAMES = { C222: 'general', UHUMAN: 'ana', UOTHER: 'bo' };
const feedback = (blocks: unknown) => (JSON.stringify(blocks ?? []).includes('feedback_buttons') ? ['👍', '👎'] : undefined);

describe('README pictures', () => {
  it('Slack: a streamed answer with its tasks and feedback buttons, and /copilot sessions', async () => {
    const s = await startSlackHarness({ env: { SLACK_STREAMING: 'native', COPILOT_TOOLS: 'bash', COPILOT_TOOLS_APPROVAL: 'none' }, script });
    try {
      const ts = nextTs();
      await s.event(mention('How do I deploy the staging stack?', { ts }));
      await expect.poll(() => threadMessages(s.slack, 'C222', ts).filter((m) => m.stream === 'stopped').length, { timeout: 30_000 }).toBe(1);
      const other = nextTs();
      await s.event(mention('run checks', { ts: other, user: 'UOTHER' }));
      await expect.poll(() => threadMessages(s.slack, 'C222', other).filter((m) => m.stream === 'stopped').length, { timeout: 30_000 }).toBe(1);
      const bot = (m: ReturnType<typeof threadMessages>[number]): ChatMessage => ({
        author: 'Copilot',
        text: m.text,
        tasks: [...(m.tasks?.values() ?? [])].map((t) => `${t.status === 'complete' ? '✓' : '…'} ${t.title}`),
        buttons: feedback(m.blocks),
      });
      const thread = save(
        'slack-thread.svg',
        chatSvg({
          theme: 'slack',
          title: '#general › thread',
          names: SLACK_NAMES,
          messages: [{ author: 'ana', text: '@Copilot How do I deploy the staging stack?' }, ...threadMessages(s.slack, 'C222', ts).map(bot)],
        }),
      );
      expect(thread).toContain('kubectl rollout restart deploy/web -n staging');
      expect(thread).toContain('✓ Thinking');
      expect(thread).toContain('👍');
      save('slack-tools.svg', chatSvg({ theme: 'slack', title: '#general › thread', names: SLACK_NAMES, messages: [{ author: 'bo', text: '@Copilot run checks' }, ...threadMessages(s.slack, 'C222', other).map(bot)] }));

      await s.command('sessions', { responseId: 'pic' });
      await expect.poll(() => s.slack.responses.some((r) => r.id === 'pic'), { timeout: 30_000 }).toBe(true);
      const blocks = s.slack.responses.find((r) => r.id === 'pic')!.body.blocks as Array<{ text?: { text: string } }>;
      const list = save(
        'slack-sessions.svg',
        chatSvg({ theme: 'slack', title: '#general', names: SLACK_NAMES, messages: [{ author: 'Copilot', private: true, text: blocks.map((b) => b.text?.text ?? '').join('\n') }] }),
      );
      // People and places by name, the opening words, relative times: no raw ids or timestamps.
      expect(list).toContain('#general · “How do I deploy the staging stack?” · started by @ana · 1 turn · just now');
      expect(list).toContain('open thread');
      expect(list).not.toMatch(/\d{10}\.\d{6}/);
    } finally {
      await s.close();
    }
  });

  it('Slack: the assistant pane', async () => {
    const s = await startSlackHarness({ env: { SLACK_STREAMING: 'native' }, script });
    try {
      const thread = nextTs();
      const DM = 'DPANE';
      await s.event({ type: 'assistant_thread_started', assistant_thread: { user_id: 'UHUMAN', channel_id: DM, thread_ts: thread, context: {} }, event_ts: nextTs() });
      await expect.poll(() => s.slack.callsTo('assistant.threads.setSuggestedPrompts').length, { timeout: 30_000 }).toBe(1);
      await s.event({ type: 'message', channel: DM, channel_type: 'im', user: 'UHUMAN', text: 'How do I deploy the staging stack?', ts: nextTs(), thread_ts: thread });
      await expect.poll(() => threadMessages(s.slack, DM, thread).filter((m) => m.stream === 'stopped').length, { timeout: 30_000 }).toBe(1);
      // The title is set once the answer is out.
      await expect.poll(() => s.slack.callsTo('assistant.threads.setTitle').length, { timeout: 30_000 }).toBe(1);
      const prompts = (s.slack.callsTo('assistant.threads.setSuggestedPrompts')[0]!.args.prompts as Array<{ title: string }>).map((p) => p.title);
      const title = String(s.slack.callsTo('assistant.threads.setTitle')[0]?.args.title ?? 'New chat');
      const [greeting, answer] = threadMessages(s.slack, DM, thread);
      const svg = save(
        'slack-assistant.svg',
        chatSvg({
          theme: 'slack',
          title: `Copilot · ${title}`,
          messages: [
            { author: 'Copilot', text: greeting!.text, buttons: prompts },
            { author: 'ana', text: 'How do I deploy the staging stack?' },
            { author: 'Copilot', text: answer!.text, buttons: feedback(answer!.blocks) },
          ],
        }),
      );
      expect(svg).toContain(ASSISTANT_GREETING.slice(0, 30));
      expect(svg).toContain('Copilot · How do I deploy the staging stack?');
    } finally {
      await s.close();
    }
  });

  it('Discord: an answer streamed by edits, and /copilot sessions', async () => {
    const d = await startDiscordHarness({ script });
    try {
      d.say('How do I deploy the staging stack?');
      await expect.poll(() => d.sent(T1).at(-1), { timeout: 30_000 }).toMatch(/success/);
      d.say('and roll back?', { channel: T2 });
      await expect.poll(() => d.sent(T2).length, { timeout: 30_000 }).toBe(1);
      const names = { [T1]: 'staging deploys', [T2]: 'rollbacks', [TEXT]: 'general', [IDS.human]: 'ana' };
      save(
        'discord-thread.svg',
        chatSvg({ theme: 'discord', title: '# staging deploys', names, messages: [{ author: 'ana', text: '@copilot How do I deploy the staging stack?' }, ...d.sent(T1).map((text) => ({ author: 'copilot', text }))] }),
      );
      const { token } = d.slash('sessions', { channel: TEXT });
      await expect.poll(() => d.discord.calls.some((c) => c.method === 'PATCH' && c.path.includes(token)), { timeout: 30_000 }).toBe(true);
      const listing = String((d.discord.calls.find((c) => c.method === 'PATCH' && c.path.includes(token))!.body as { content: string }).content);
      const svg = save('discord-sessions.svg', chatSvg({ theme: 'discord', title: '# general', names, messages: [{ author: 'copilot', private: true, text: listing }] }));
      expect(svg).toContain('#rollbacks in #general · “and roll back?” · started by @ana');
    } finally {
      await d.close();
    }
  });

  it('the console at a terminal', async () => {
    const fx = await processFixture();
    fx.model.script(script);
    try {
      const { NO_COLOR: _, ...env } = fx.env;
      const run = await onTerminal(['src/bin/chat.ts', '--thread', 'readme-demo', '--user', 'ana'], env, [
        { wait: 'you ›', send: 'How do I deploy the staging stack?\r' },
        { wait: 'you ›', send: '/quit\r' },
      ]);
      expect(run.code).toBe(0);
      // The session id reads like the thread's name.
      expect(plain(run.output)).toContain('session local-ana-__readme__demo');
      const svg = save('console.svg', terminalSvg(run.output, 'npm run chat -- --thread readme-demo'));
      expect(svg).toContain('kubectl rollout restart deploy/web -n staging');
      expect(svg).not.toContain('```');

      // The admin CLI on the same store, as an operator sees it on a terminal.
      const list = await onTerminal(['src/bin/cli.ts', 'sessions'], env, []);
      const show = await onTerminal(['src/bin/cli.ts', 'sessions', 'show', 'readme-demo'], env, []);
      expect(list.code).toBe(0);
      expect(show.code).toBe(0);
      const cli = save('cli.svg', terminalSvg(`$ copilot-threads sessions\r\n${list.output}\r\n$ copilot-threads sessions show readme-demo\r\n${show.output}`, 'copilot-threads sessions'));
      expect(cli).toContain('local-ana-__readme__demo');
      expect(cli).toContain('How do I deploy the staging stack?');
    } finally {
      await fx.close();
    }
  });
});
