/**
 * @module The records waiting for the flusher, one queue shape for both stores (SQLite, PostgreSQL): a bounded
 * array taken from the front in batches (a head index, compacted lazily, so taking costs no shift), a failed batch
 * put back in front, and what is taken but not committed yet counted as still queued.
 */
export class BatchQueue<T> {
  private items: T[] = [];
  /** items[head..] wait; the prefix was taken. */
  private head = 0;
  /** Taken by a write that has not committed yet. */
  private taken = 0;

  constructor(readonly max: number) {}

  /** Waiting to be taken. */
  get waiting(): number {
    return this.items.length - this.head;
  }

  /** Waiting plus taken and not committed: what a crash now would lose. */
  get pending(): number {
    return this.waiting + this.taken;
  }

  /** Hot: one push per record. False when the queue is full (the caller drops and counts it). */
  push(item: T): boolean {
    if (this.pending >= this.max) return false;
    this.items.push(item);
    return true;
  }

  /** The oldest `n` (fewer when fewer wait), now in flight until `done` or `putBack`. */
  take(n: number): T[] {
    const end = Math.min(this.items.length, this.head + n);
    const batch = this.items.slice(this.head, end);
    this.head = end;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.taken += batch.length;
    return batch;
  }

  /** A taken batch committed. */
  done(batch: readonly T[]): void {
    this.taken -= batch.length;
  }

  /** A taken batch that failed: first again, in its order. */
  putBack(batch: readonly T[]): void {
    this.taken -= batch.length;
    this.items = batch.concat(this.items.slice(this.head));
    this.head = 0;
  }

  /** Empties the queue (the store is closing with records it cannot write); the count dropped. */
  clear(): number {
    const n = this.waiting;
    this.items = [];
    this.head = 0;
    return n;
  }
}
