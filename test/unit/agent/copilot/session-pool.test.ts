import type { CopilotSession } from '@github/copilot-sdk';
import { describe, expect, it, vi } from 'vitest';
import type { SessionId } from '../../../../src/domain.js';
import { TurnFailedError } from '../../../../src/agent/agent.js';
import { SessionPool, type SessionPoolOptions } from '../../../../src/agent/copilot/session-pool.js';
import type { SessionLock } from '../../../../src/agent/locks/lock.js';
import { silentLogger } from '../../../../src/infra/log.js';

function locks() {
  const held = new Set<string>();
  const lock: SessionLock = {
    acquire: (id) => {
      if (held.has(id)) return Promise.reject(new Error(`${id} is held`));
      held.add(id);
      return Promise.resolve();
    },
    release: (id) => {
      held.delete(id);
      return Promise.resolve();
    },
    releaseAll: () => Promise.resolve(held.clear()),
    wanted: () => [],
    onLost: () => undefined,
  };
  return { lock, held };
}

/** A pool with long idle times and no limit of live sessions; `open` and the waits as the test needs. */
function poolWith(lock: SessionLock, o: Pick<SessionPoolOptions, 'open' | 'lockWaitMs'> & Partial<SessionPoolOptions>): SessionPool {
  return new SessionPool({
    locks: lock,
    disconnected: () => undefined,
    ready: () => Promise.resolve(),
    stopping: () => false,
    idleMs: 60_000,
    maxLive: 0,
    closeWhenIdle: false,
    logger: silentLogger,
    ...o,
  });
}

describe('the session pool', () => {
  it('a session the runtime never opens fails the message instead of holding the thread; one that opens late is closed, then its lock freed', async () => {
    const { lock, held } = locks();
    const disconnect = vi.fn(() => Promise.resolve());
    let openLate!: () => void;
    let opens = 0;
    const pool = poolWith(lock, {
      open: () => {
        opens++;
        if (opens > 1) return Promise.resolve({ session: { disconnect } as unknown as CopilotSession, created: false });
        return new Promise((resolve) => (openLate = () => resolve({ session: { disconnect } as unknown as CopilotSession, created: false })));
      },
      lockWaitMs: 0,
      openTimeoutMs: 50,
    });
    const id = 'local-team-wedged' as SessionId;
    await expect(pool.acquire(id)).rejects.toThrow(TurnFailedError);
    expect(pool.has(id)).toBe(false);
    // Still held: the late session may yet write.
    expect(held.has(id)).toBe(true);
    openLate();
    await vi.waitFor(() => expect(held.has(id)).toBe(false));
    expect(disconnect).toHaveBeenCalledTimes(1);
    // The thread's next message opens it again.
    const lease = await pool.acquire(id);
    expect(opens).toBe(2);
    lease.release();
    pool.stopTimers();
  });

  it('a turn never runs on a session opened with another shape: it waits for a reader to let go, then reopens it with its profile', async () => {
    const { lock } = locks();
    const opened: Array<{ profile: unknown; session: CopilotSession }> = [];
    const pool = poolWith(lock, {
      open: (_id, _reading, _as, profile) => {
        const session = { disconnect: () => Promise.resolve() } as unknown as CopilotSession;
        opened.push({ profile, session });
        return Promise.resolve({ session, created: false });
      },
      lockWaitMs: 1000,
    });
    const id = 'slack-T1-C2-1_1' as SessionId;
    const reader = await pool.acquire(id, { reading: true, shape: 'plain' });
    let turnGot: CopilotSession | undefined;
    const turn = pool.acquire(id, { shape: 'narrow', profile: { tools: ['grep'] } }).then((lease) => {
      turnGot = lease.session;
      return lease;
    });
    // While the reader holds the plain session, the turn waits rather than use it.
    await new Promise((r) => setTimeout(r, 20));
    expect(turnGot).toBeUndefined();
    reader.release();
    const lease = await turn;
    expect(opened).toHaveLength(2);
    expect(lease.session).toBe(opened[1]!.session);
    expect(opened[1]!.profile).toEqual({ tools: ['grep'] });
    // The same shape goes on with the same session; a reader takes whatever is open.
    lease.release();
    const again = await pool.acquire(id, { shape: 'narrow' });
    expect(again.session).toBe(opened[1]!.session);
    again.release();
    const read = await pool.acquire(id, { reading: true, shape: 'plain' });
    expect(read.session).toBe(opened[1]!.session);
    read.release();
    expect(opened).toHaveLength(2);
    pool.stopTimers();
  });
});
