import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../../src/core/queue.js';

/** A task whose completion the test controls. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('KeyedQueue', () => {
  it('runs one task at a time per key, in arrival order', async () => {
    const q = new KeyedQueue<string>();
    const log: string[] = [];
    const first = gate();
    const a = q.run('t', async () => {
      log.push('a start');
      await first.opened;
      log.push('a end');
    });
    const b = q.run('t', async () => void log.push('b'));
    await Promise.resolve();
    expect(q.pending('t')).toBe(2);
    expect(log).toEqual(['a start']);
    first.open();
    await Promise.all([a, b]);
    expect(log).toEqual(['a start', 'a end', 'b']);
    expect(q.pending('t')).toBe(0);
  });

  it('runs different keys in parallel', async () => {
    const q = new KeyedQueue<string>();
    const g = gate();
    const slow = q.run('a', () => g.opened.then(() => 'a'));
    await expect(q.run('b', async () => 'b')).resolves.toBe('b');
    g.open();
    await expect(slow).resolves.toBe('a');
  });

  it('does not let a failed task poison the tasks behind it', async () => {
    const q = new KeyedQueue<string>();
    const failed = q.run('t', async () => {
      throw new Error('model down');
    });
    const next = q.run('t', async () => 'answered');
    await expect(failed).rejects.toThrow('model down');
    await expect(next).resolves.toBe('answered');
  });

  it('reports idle only once every key has drained', async () => {
    const q = new KeyedQueue<string>();
    const g = gate();
    void q.run('a', () => g.opened);
    let idle = false;
    const waiting = q.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    g.open();
    await waiting;
    expect(q.size).toBe(0);
  });

  it('keeps a reserved place: tasks known later still run in the order their places were taken', async () => {
    const q = new KeyedQueue<string>();
    const log: string[] = [];
    const first = q.reserve('t');
    const second = q.reserve('t');
    const dropped = q.reserve('t');
    const direct = q.run('t', async () => void log.push('direct'));
    // The places are filled in the opposite order, as awaits that finish in any order would.
    const b = second.run(async () => void log.push('second'));
    dropped.cancel();
    await Promise.resolve();
    expect(log).toEqual([]);
    expect(q.pending('t')).toBe(4);
    const a = first.run(async () => void log.push('first'));
    await Promise.all([a, b, direct]);
    expect(log).toEqual(['first', 'second', 'direct']);
    await q.idle();
    expect(q.size).toBe(0);
  });

  it('uses a place once; cancelling a used place changes nothing', async () => {
    const q = new KeyedQueue<string>();
    const place = q.reserve('t');
    expect(await place.run(async () => 'done')).toBe('done');
    place.cancel();
    expect(() => place.run(async () => 'again')).toThrow(/used once/);
    await q.idle();
    expect(q.size).toBe(0);
  });
});
