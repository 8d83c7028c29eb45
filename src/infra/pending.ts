/** Writes started and not awaited by their callers (an audit record, a turn's usage), so a process can wait for them before it closes the store. */
export class PendingWrites {
  private readonly pending = new Set<Promise<unknown>>();

  /** Tracks `write` (which must not reject: the caller handles its failure). */
  track(write: Promise<unknown>): void {
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  /** Resolves once every write tracked so far has settled. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
