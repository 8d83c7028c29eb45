/**
 * The reply rule under a burst: follow-ups sent right behind the mention that starts a thread
 * (before its turn is recorded, while the store is still claiming the mention) are its thread's.
 * The pipeline's other steps are fakes here; the adapters' tests run it whole.
 */
import { describe, expect, it } from 'vitest';
import type { Conversation } from '../../../src/core/conversation.js';
import type { Deliveries } from '../../../src/core/deliveries.js';
import { Inbound, type AnswerView, type InboundMessage, type PlatformThread } from '../../../src/core/inbound.js';
import { KeyedQueue } from '../../../src/core/queue.js';
import { sessionIdFor, type ThreadRef } from '../../../src/core/thread.js';
import type { ReplyRule } from '../../../src/domain.js';
import { createLogger, silentLogger, type Logger } from '../../../src/infra/log.js';
import { Writable } from 'node:stream';
import type { TurnJournal } from '../../../src/store/journal.js';
import type { ThreadRegistry } from '../../../src/store/registry.js';

const ref = (user: string): ThreadRef => ({ platform: 'slack', workspace: 'T1', channel: 'C1', thread: '100.1', user });

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** An Inbound whose store claims wait for `claimed` and whose turns record who asked. */
function setup(rule: ReplyRule, logger: Logger = silentLogger) {
  const queue = new KeyedQueue<string>();
  const asked: string[] = [];
  const claimed = gate();
  const conversation = {
    active: (t: ThreadRef) => queue.pending(sessionIdFor(t)) > 0,
    reserve: (t: ThreadRef) => queue.reserve(sessionIdFor(t)),
    admit: async () => ({ ok: true }),
    signIn: async () => undefined,
    awaitingApproval: () => false,
    fileLimits: { maxBytes: 1, perMessage: 1 },
    handleMessage: async (t: ThreadRef, text: string, options: { reservation: { run: <T>(task: () => Promise<T>) => Promise<T> } }) =>
      options.reservation.run(async () => {
        asked.push(`${t.user}: ${text}`);
        return { kind: 'answer', text: 'ok' };
      }),
  } as unknown as Conversation;
  const deliveries = {
    once: async (_key: string, handle: () => Promise<void>) => {
      await claimed.opened;
      await handle();
    },
    track: <T>(work: Promise<T>) => work,
  } as unknown as Deliveries;
  const inbound = new Inbound({
    platform: 'slack',
    conversation,
    registry: { get: async () => undefined } as unknown as ThreadRegistry,
    deliveries,
    journal: { begin: async () => undefined, end: async () => undefined } as unknown as TurnJournal,
    logger,
    replyRule: rule,
  });
  const view: AnswerView = { onDelta: () => undefined, onProgress: () => undefined, start: () => undefined, finish: async () => undefined };
  const platform: PlatformThread = { messages: async () => [], deliver: async () => undefined, confirmForget: async () => undefined, answer: () => view };
  let n = 0;
  const send = (user: string, text: string, addressed: InboundMessage['addressed']) => {
    const thread = ref(user);
    const arrival = inbound.arrive({ thread, addressed });
    return inbound.handle(arrival, { key: `k${++n}`, thread, id: String(n), text, addressed }, platform);
  };
  /** A message whose payload cannot be read: building it throws after its place was taken. */
  const sendUnreadable = (user: string) => {
    const arrival = inbound.arrive({ thread: ref(user), addressed: 'mention' });
    return inbound.handle(arrival, () => Promise.reject(new TypeError('payload.attachments is not iterable')), platform);
  };
  return { send, sendUnreadable, asked, claimed };
}

describe('Inbound: the reply rule in a burst', () => {
  it('answers the starter’s follow-ups sent before the first turn is recorded; others are context', async () => {
    const { send, asked, claimed } = setup('starter');
    const all = [send('alice', 'start', 'mention'), send('alice', 'more', 'follow-up'), send('bob', 'me too', 'follow-up'), send('alice', 'and this', 'follow-up')];
    claimed.open();
    await Promise.all(all);
    expect(asked).toEqual(['alice: start', 'alice: more', 'alice: and this']);
  });

  it('answers everyone’s follow-ups with rule "all", none with "none", and none in a thread nobody addressed', async () => {
    const everyone = setup('all');
    const a = [everyone.send('alice', 'start', 'mention'), everyone.send('bob', 'me too', 'follow-up')];
    everyone.claimed.open();
    await Promise.all(a);
    expect(everyone.asked).toEqual(['alice: start', 'bob: me too']);

    const nobody = setup('none');
    const b = [nobody.send('alice', 'start', 'mention'), nobody.send('alice', 'more', 'follow-up')];
    nobody.claimed.open();
    await Promise.all(b);
    expect(nobody.asked).toEqual(['alice: start']);

    const unaddressed = setup('all');
    const c = [unaddressed.send('alice', 'just chatting', 'follow-up'), unaddressed.send('bob', 'me too', 'follow-up')];
    unaddressed.claimed.open();
    await Promise.all(c);
    expect(unaddressed.asked).toEqual([]);
  });

  it('ends the claim with the message: a later follow-up in a thread with no session is not answered', async () => {
    const { send, asked, claimed } = setup('starter');
    claimed.open();
    // A mention whose turn never gets recorded (the fake registry stays empty), then a follow-up.
    await send('alice', 'start', 'mention');
    await send('alice', 'later', 'follow-up');
    expect(asked).toEqual(['alice: start']);
  });

  it('a message that cannot be read gives its place back: the thread goes on, and the failure is logged once', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const { send, sendUnreadable, asked, claimed } = setup('starter', logger);
    claimed.open();
    // Behind the unreadable one in the same thread: it would wait forever if the place were kept.
    const all = [sendUnreadable('alice'), send('alice', 'next', 'mention'), send('alice', 'more', 'follow-up')];
    await Promise.all(all);
    expect(asked).toEqual(['alice: next', 'alice: more']);
    const failed = lines.map((l) => JSON.parse(l) as { msg: string; err: string; channel: string }).filter((l) => l.msg === 'Slack: message failed');
    expect(failed).toEqual([expect.objectContaining({ err: 'TypeError: payload.attachments is not iterable', channel: 'C1' })]);
  });
});
