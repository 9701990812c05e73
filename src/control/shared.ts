/**
 * @module Spend shared across instances (docs/architecture.md §12): each budget ledger and rate limiter keeps what
 * this instance settled since its last push in an outbox; `sync` pushes every outbox in one transaction, reads
 * the current windows' totals (every instance's, this push included) back, and refills each window with those
 * totals plus whatever settled meanwhile. Checks stay synchronous and read memory only.
 */
import type { CounterDelta, CounterRange, CounterRow, SharedCounters } from "./types.ts";

/** This instance's settled sums not pushed yet, per bucket start (epoch ms): [a, b]. */
export class Outbox {
  private sums = new Map<number, number[]>();
  /** The bucket added to last (a calendar window's only one): settles in a row skip the map. */
  private lastAt = Number.NaN;
  private last: number[] = [0, 0];

  add(at: number, a: number, b: number): void {
    if (at === this.lastAt) {
      this.last[0]! += a;
      this.last[1]! += b;
      return;
    }
    if (Number.isNaN(at)) return;
    let sum = this.sums.get(at);
    if (sum === undefined) this.sums.set(at, sum = [0, 0]);
    sum[0]! += a;
    sum[1]! += b;
    this.lastAt = at;
    this.last = sum;
  }

  /** Everything pending, leaving the outbox empty (the push takes it). */
  take(): Map<number, number[]> {
    const taken = this.sums;
    this.sums = new Map();
    this.lastAt = Number.NaN;
    return taken;
  }

  /** A push that failed: its sums wait for the next one. */
  putBack(taken: Map<number, number[]>): void {
    for (const [at, sum] of taken) this.add(at, sum[0]!, sum[1]!);
  }

  get(at: number): readonly number[] | undefined {
    return this.sums.get(at);
  }

  entries(): IterableIterator<[number, number[]]> {
    return this.sums.entries();
  }
}

/** A budget ledger or rate limiter whose window lives in shared counters. */
export interface Counted {
  /** The definition's JSON with its kind: a changed definition is a new key and counts afresh. */
  readonly counterKey: string;
  /** `budget:ID` or `rate_limit:ID`. */
  readonly owner: string;
  /** Set when the control plane shares spend; null otherwise (nothing is recorded). */
  outbox: Outbox | null;
  /**
   * The buckets the window holding `now` reads: all of them when `full`, else those that can have changed
   * lately (a long rolling window's old buckets only change when a long exchange finishes; a full read catches
   * them up).
   */
  range(now: number, full: boolean): { since: number; until: number };
  /** When a bucket's row will never be read again. */
  expiresAt(bucket: number): number;
  /**
   * Replaces the window's sums from `since` on with `rows` plus the outbox (unless a calendar window moved on
   * meanwhile).
   */
  refill(rows: readonly CounterRow[], since: number, now: number): void;
}

/** Syncs between prunes of expired counters (a minute at four syncs a second). */
const PRUNE_EVERY = 240;
/** Syncs between full reads of rolling windows (15 s at four a second); the others read recent buckets only. */
const FULL_EVERY = 60;
const NONE: readonly CounterRow[] = [];

export class SharedSpend {
  readonly store: SharedCounters;
  private queue: Promise<void> = Promise.resolve();
  private syncs = 0;

  private readonly now: () => number;

  constructor(store: SharedCounters, now: () => number) {
    this.store = store;
    this.now = now;
  }

  /** Starts recording what `counted` settles. */
  adopt(counted: Counted): void {
    counted.outbox ??= new Outbox();
  }

  /**
   * Pushes the outboxes of `counted` (unless `push` is false) and refills their windows from the totals. Runs
   * one at a time, in call order, so an older read never lands over a newer one. On failure the sums stay in the
   * outboxes and the windows keep their last view plus what this instance settled since.
   */
  sync(counted: readonly Counted[], push = true): Promise<void> {
    const run = this.queue.then(() => this.run(counted, push));
    this.queue = run.catch(() => {});
    return run;
  }

  private async run(counted: readonly Counted[], push: boolean): Promise<void> {
    if (counted.length === 0) return;
    const now = this.now();
    const full = !push || this.syncs % FULL_EVERY === 0;
    const taken: (Map<number, number[]> | null)[] = [];
    const deltas: CounterDelta[] = [];
    const ranges: CounterRange[] = [];
    for (const c of counted) {
      this.adopt(c);
      const out = push ? c.outbox!.take() : null;
      taken.push(out);
      if (out !== null) {
        for (const [at, sum] of out) {
          deltas.push({ key: c.counterKey, owner: c.owner, at, a: sum[0]!, b: sum[1]!, expires: c.expiresAt(at) });
        }
      }
      const r = c.range(now, full);
      ranges.push({ key: c.counterKey, since: r.since, until: r.until });
    }
    let rows: CounterRow[];
    try {
      rows = await this.store.exchange(deltas, ranges);
    } catch (err) {
      counted.forEach((c, i) => {
        const out = taken[i];
        if (out) c.outbox!.putBack(out);
      });
      throw err;
    }
    const byKey = new Map<string, CounterRow[]>();
    for (const row of rows) {
      const list = byKey.get(row.key);
      if (list === undefined) byKey.set(row.key, [row]);
      else list.push(row);
    }
    const after = this.now();
    counted.forEach((c, i) => c.refill(byKey.get(c.counterKey) ?? NONE, ranges[i]!.since, after));
    if (push && ++this.syncs % PRUNE_EVERY === 0) await this.store.pruneCounters(after);
  }
}
