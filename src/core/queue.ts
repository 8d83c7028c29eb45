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
