import type { CopilotSession } from '@github/copilot-sdk';
import { describe, expect, it, vi } from 'vitest';
import type { SessionId } from '../../../../src/domain.js';
import { TurnFailedError } from '../../../../src/agent/agent.js';
import { SessionPool } from '../../../../src/agent/copilot/session-pool.js';
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

describe('the session pool', () => {
  it('a session the runtime never opens fails the message instead of holding the thread; one that opens late is closed, then its lock freed', async () => {
    const { lock, held } = locks();
    const disconnect = vi.fn(() => Promise.resolve());
    let openLate!: () => void;
    let opens = 0;
    const pool = new SessionPool({
      locks: lock,
      open: () => {
        opens++;
        if (opens > 1) return Promise.resolve({ session: { disconnect } as unknown as CopilotSession, created: false });
        return new Promise((resolve) => (openLate = () => resolve({ session: { disconnect } as unknown as CopilotSession, created: false })));
      },
      disconnected: () => undefined,
      ready: () => Promise.resolve(),
      stopping: () => false,
      idleMs: 60_000,
      maxLive: 0,
      closeWhenIdle: false,
      lockWaitMs: 0,
      openTimeoutMs: 50,
      logger: silentLogger,
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
});
