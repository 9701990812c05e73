/**
 * @module A sliding window as a ring of fixed buckets holding two integer sums each: `a` (pico-USD, or requests) as
 * a bigint, so money is exact at any size, and `b` (tokens) as a number. The window is the current bucket and the
 * `size - 1` before it; moving it only clears the buckets that left, so it costs nothing when time has not crossed
 * a bucket boundary.
 */

export class BucketRing {
  readonly size: number;
  readonly bucketMs: number;
  /** Sums over the window. */
  sumA = 0n;
  sumB = 0;
  private readonly a: bigint[];
  private readonly b: number[];
  /** Index (epoch ms / bucketMs) of the newest bucket. */
  private head = Number.NEGATIVE_INFINITY;

  constructor(size: number, bucketMs: number) {
    this.size = size;
    this.bucketMs = bucketMs;
    this.a = new Array<bigint>(size).fill(0n);
    this.b = new Array<number>(size).fill(0);
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
      this.a.fill(0n);
      this.b.fill(0);
      this.sumA = 0n;
      this.sumB = 0;
    } else {
      for (let i = this.head + 1; i <= current; i++) this.clear(i % this.size);
    }
    this.head = current;
  }

  private clear(slot: number): void {
    this.sumA -= this.a[slot]!;
    this.sumB -= this.b[slot]!;
    this.a[slot] = 0n;
    this.b[slot] = 0;
  }

  /**
   * Adds to the bucket holding `at`, clamped into the window: to the newest bucket when `at` is later, to the oldest
   * when `at` already left it (an exchange longer than the window still counts, in the oldest bucket: it is spend
   * that became known now). Returns the bucket's start (epoch ms).
   */
  add(at: number, a: bigint, b: number, now: number): number {
    this.advance(now);
    const i = Math.max(Math.min(Math.floor(at / this.bucketMs), this.head), this.head - this.size + 1);
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
      this.clear(i % this.size);
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
  fitsAt(which: "a" | "b", limit: bigint | number, extra: bigint | number): number {
    if (which === "a") {
      let left = this.sumA + BigInt(extra);
      if (left < BigInt(limit)) return Number.NEGATIVE_INFINITY;
      for (let i = this.head - this.size + 1; i <= this.head; i++) {
        left -= this.a[i % this.size]!;
        if (left < BigInt(limit)) return (i + this.size) * this.bucketMs;
      }
      return Number.POSITIVE_INFINITY;
    }
    let left = this.sumB + Number(extra);
    if (left < Number(limit)) return Number.NEGATIVE_INFINITY;
    for (let i = this.head - this.size + 1; i <= this.head; i++) {
      left -= this.b[i % this.size]!;
      if (left < Number(limit)) return (i + this.size) * this.bucketMs;
    }
    return Number.POSITIVE_INFINITY;
  }
}
