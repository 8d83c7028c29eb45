/**
 * One turn at a time per key (thread), any number of keys in parallel. Tasks for one key run
 * in the order they were queued; a task that fails settles its own caller only, so a failed
 * turn never blocks or skips the messages behind it.
 */
export class KeyedQueue<K> {
  private readonly tails = new Map<K, Promise<void>>();
  private readonly depth = new Map<K, number>();
  private drained: Array<() => void> = [];

  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    this.depth.set(key, (this.depth.get(key) ?? 0) + 1);
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => this.release(key, tail));
    return result;
  }

  /**
   * Takes `key`'s next place in line now, for a task that is only known later (after awaits that
   * may finish in any order). Later tasks for `key` wait behind the place until it is filled with
   * `run` or given up with `cancel`; one of the two must follow.
   */
  reserve(key: K): Reservation {
    let fill!: (task: () => Promise<unknown>) => void;
    const filled = new Promise<() => Promise<unknown>>((resolve) => (fill = resolve));
    const result = this.run(key, async () => (await filled)());
    let used = false;
    return {
      run<T>(task: () => Promise<T>): Promise<T> {
        if (used) throw new Error('a queue reservation is used once');
        used = true;
        fill(task);
        return result as Promise<T>;
      },
      cancel() {
        if (used) return;
        used = true;
        fill(async () => undefined);
      },
    };
  }

  /** How many tasks are queued or running for `key`. */
  pending(key: K): number {
    return this.depth.get(key) ?? 0;
  }

  get size(): number {
    let n = 0;
    for (const d of this.depth.values()) n += d;
    return n;
  }

  /** Resolves once no task is queued or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private release(key: K, tail: Promise<void>): void {
    const left = (this.depth.get(key) ?? 1) - 1;
    if (left === 0) this.depth.delete(key);
    else this.depth.set(key, left);
    if (this.tails.get(key) === tail) this.tails.delete(key);
    if (this.size === 0) {
      const waiters = this.drained;
      this.drained = [];
      for (const w of waiters) w();
    }
  }
}

/** A place in a key's line (see `KeyedQueue.reserve`). */
export interface Reservation {
  /** Runs `task` in the reserved place; resolves with its result. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Gives the place up (no-op once used). */
  cancel(): void;
}

/** A reservation for work that never needs the queue (a thread with no valid session id). */
export const NO_RESERVATION: Reservation = {
  run: (task) => task(),
  cancel: () => undefined,
};
