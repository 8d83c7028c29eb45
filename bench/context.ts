/**
 * P8: what reading the thread costs. The first answer in a Slack thread with 50 earlier messages
 * (one of them carrying a 1 MB text file) vs the first answer in an empty thread; and the later
 * turns of such a thread vs those of a thread without context. Both through real Bolt over HTTP
 * against the fake Web API (history from `conversations.replies`, the file from its file host),
 * taking turns in the same run, each answer waited for as visible (the stream stopped).
 */
import { mention, message, nextTs, startSlackHarness } from '../testkit/slack-harness.js';
import type { ModelServer } from '../testkit/model-server.js';
import { fmt, nextCall, settle, type Row, type Sizes } from './rows.js';
import { percentile, time } from './stats.js';

/** Earlier messages of each context thread (the budget's default, THREAD_CONTEXT_MESSAGES). */
const EARLIER = 50;
/** Later turns per thread. */
const LATER = 3;

/** 1 MB of log lines. */
function bigLog(): Buffer {
  const line = 'INFO 2026-12-06T09:30:00Z worker-7 processed batch 4242 in 12 ms (queue depth 17)\n';
  return Buffer.from(line.repeat(Math.ceil((1 << 20) / line.length))).subarray(0, 1 << 20);
}

export async function p8(_model: ModelServer, sizes: Sizes): Promise<Row[]> {
  // The same short answer everywhere: the usual echo would answer the context thread with its whole
  // prompt, and a longer answer (more stream calls) is not what this row measures.
  const s = await startSlackHarness({ env: { SLACK_STREAMING: 'native', USER_MESSAGES_PER_MINUTE: '0' }, script: () => ({ kind: 'text', text: 'Noted: the workers slowed down after the deploy.' }) });
  const first = { context: [] as number[], empty: [] as number[] };
  const later = { context: [] as number[], empty: [] as number[] };
  try {
    const log = s.slack.file('worker.log', bigLog(), 'text/plain');
    const turn = async (text: string, where: Record<string, string>) => {
      const answered = nextCall(s.slack.onCall, (c) => c.method === 'chat.stopStream');
      await s.event(mention(text, where));
      await answered;
    };
    /** A thread whose root and 49 replies were written before the bot is asked; one reply has the file. */
    const threadWithHistory = () => {
      const root = nextTs();
      s.slack.said(message('the workers are slow since the deploy', { ts: root, user: 'UALICE' }));
      for (let i = 1; i < EARLIER; i++) {
        const files = i === EARLIER / 2 ? { files: [log] } : {};
        s.slack.said({ ...message(`observation ${i}: queue depth ${i * 3}`, { thread_ts: root, user: i % 2 ? 'UBOB' : 'UALICE' }), ...files });
      }
      return root;
    };
    await turn('warm up', { ts: nextTs() });
    for (let i = 0; i < sizes.p8Threads; i++) {
      const withContext = threadWithHistory();
      const empty = nextTs();
      await settle();
      first.context.push(await time(() => turn('what do we know so far?', { thread_ts: withContext })));
      await settle();
      first.empty.push(await time(() => turn('what do we know so far?', { ts: empty })));
      for (let k = 0; k < LATER; k++) {
        await settle();
        later.context.push(await time(() => turn(`and then ${k}?`, { thread_ts: withContext })));
        await settle();
        later.empty.push(await time(() => turn(`and then ${k}?`, { thread_ts: empty })));
      }
    }
    // Every context turn got the thread and the file: the rows measure the feature working.
    const got = s.h.model.requests.filter((r) => r.userTexts.at(-1)?.includes(`(${EARLIER} messages)`)).length;
    if (got !== sizes.p8Threads) throw new Error(`bench P8: ${got} of ${sizes.p8Threads} first turns received the thread`);
  } finally {
    await s.close();
  }
  const row = (what: string, a: number[], b: number[], target: number): Row => {
    const ratio = percentile(a, 50) / percentile(b, 50);
    return { id: 'P8', what, a: fmt(percentile(a, 50)), b: fmt(percentile(b, 50)), ratio, target: `<= ${target}`, ok: ratio <= target };
  };
  return [
    row(`Slack: first answer in a thread with ${EARLIER} earlier messages and a 1 MB file vs in an empty thread, p50`, first.context, first.empty, 1.3),
    row('Slack: a later turn of that thread vs of a thread without context, p50', later.context, later.empty, 1.05),
  ];
}
