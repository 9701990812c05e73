/**
 * @module A sliding window as a ring of fixed buckets holding two integer sums each (cost and tokens, or requests
 * and tokens). The window is the current bucket and the `size - 1` before it; moving it only clears the buckets
 * that left, so it costs nothing when time has not crossed a bucket boundary.
 */

export class BucketRing {
  readonly size: number;
  readonly bucketMs: number;
  /** Sums over the window (integers, exact below 2^53). */
  sumA = 0;
  sumB = 0;
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  /** Index (epoch ms / bucketMs) of the newest bucket. */
  private head = Number.NEGATIVE_INFINITY;

  constructor(size: number, bucketMs: number) {
    this.size = size;
    this.bucketMs = bucketMs;
    this.a = new Float64Array(size);
    this.b = new Float64Array(size);
  }

  /** Moves the window so that it ends with the bucket holding `now`. */
  advance(now: number): void {
    const current = Math.floor(now / this.bucketMs);
    if (current <= this.head) {
      // The clock stepped back past the whole window (NTP step, VM resume): move the window back with it, sums
      // kept, so they age out over one window. Otherwise every add would land before the window and be dropped,
      // and a full limit would stay full, until the clock caught up again.
      if (current <= this.head - this.size) this.head = current;
      return;
    }
    if (current - this.head >= this.size) {
      this.a.fill(0);
      this.b.fill(0);
      this.sumA = 0;
      this.sumB = 0;
    } else {
      for (let i = this.head + 1; i <= current; i++) {
        const slot = i % this.size;
        this.sumA -= this.a[slot]!;
        this.sumB -= this.b[slot]!;
        this.a[slot] = 0;
        this.b[slot] = 0;
      }
    }
    this.head = current;
  }

  /**
   * Adds to the bucket holding `at` (clamped to the newest); dropped when `at` already left the window. Returns
   * the bucket's start (epoch ms), or NaN when dropped.
   */
  add(at: number, a: number, b: number, now: number): number {
    this.advance(now);
    const i = Math.min(Math.floor(at / this.bucketMs), this.head);
    if (i <= this.head - this.size) return Number.NaN;
    const slot = i % this.size;
    this.a[slot]! += a;
    this.b[slot]! += b;
    this.sumA += a;
    this.sumB += b;
    return i * this.bucketMs;
  }

  /** Empties the buckets from the one holding `at` to the newest (about to be refilled from shared counters). */
  clearFrom(at: number): void {
    for (let i = Math.max(Math.floor(at / this.bucketMs), this.head - this.size + 1); i <= this.head; i++) {
      const slot = i % this.size;
      this.sumA -= this.a[slot]!;
      this.sumB -= this.b[slot]!;
      this.a[slot] = 0;
      this.b[slot] = 0;
    }
  }

  /** Epoch ms of the oldest bucket's start (the window's start). */
  start(): number {
    return (this.head - this.size + 1) * this.bucketMs;
  }

  /**
   * Epoch ms when enough of the oldest buckets will have left that the sum (`a` or `b`) plus `extra` is below
   * `limit`: -Infinity when it already is, +Infinity when time alone never gets there (`extra` ≥ `limit`).
   */
  fitsAt(which: "a" | "b", limit: number, extra: number): number {
    const values = which === "a" ? this.a : this.b;
    let left = which === "a" ? this.sumA : this.sumB;
    if (left + extra < limit) return Number.NEGATIVE_INFINITY;
    for (let i = this.head - this.size + 1; i <= this.head; i++) {
      left -= values[i % this.size]!;
      if (left + extra < limit) return (i + this.size) * this.bucketMs;
    }
    return Number.POSITIVE_INFINITY;
  }
}
