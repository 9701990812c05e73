/**
 * @module Spend shared across instances (docs/architecture.md §12). Each budget ledger and rate limiter keeps this
 * process's running totals per bucket; `sync` writes the totals that changed (the store keeps the greater of a row's
 * old and new value, so a push repeated after a lost reply cannot count twice), reads the current windows summed over
 * every instance back, and refills each window with those sums plus what settled here meanwhile. Checks stay
 * synchronous and read memory only.
 */
import type { CounterRange, CounterRow, CounterTotal, SharedCounters } from "./types.ts";

/** This process's running totals per bucket start (epoch ms), and what the store acknowledged of them. */
export class Totals {
  private readonly mine = new Map<number, [bigint, number]>();
  private readonly acked = new Map<number, [bigint, number]>();
  private readonly dirty = new Set<number>();

  add(at: number, a: bigint, b: number): void {
    let t = this.mine.get(at);
    if (t === undefined) this.mine.set(at, t = [0n, 0]);
    t[0] += a;
    t[1] += b;
    this.dirty.add(at);
  }

  /** The totals changed since the last acknowledged push (they stay to push until acknowledged). */
  changed(): [number, bigint, number][] {
    const out: [number, bigint, number][] = [];
    for (const at of this.dirty) {
      const t = this.mine.get(at)!;
      out.push([at, t[0], t[1]]);
    }
    return out;
  }

  /** The store has these totals: what settles from now on is "not pushed yet" against them. */
  acknowledge(pushed: readonly [number, bigint, number][]): void {
    for (const [at, a, b] of pushed) {
      this.acked.set(at, [a, b]);
      const t = this.mine.get(at)!;
      if (t[0] === a && t[1] === b) this.dirty.delete(at);
    }
  }

  /** What settled here in buckets from `since` on and is not in the store's sums yet. */
  *unpushed(since: number): Generator<[number, bigint, number]> {
    for (const [at, t] of this.mine) {
      if (at < since) continue;
      const acked = this.acked.get(at);
      const a = t[0] - (acked?.[0] ?? 0n);
      const b = t[1] - (acked?.[1] ?? 0);
      if (a !== 0n || b !== 0) yield [at, a, b];
    }
  }

  /** Forgets buckets before `before` once the store has them (they left the window). */
  prune(before: number): void {
    for (const at of this.mine.keys()) {
      if (at < before && !this.dirty.has(at)) {
        this.mine.delete(at);
        this.acked.delete(at);
      }
    }
  }
}

/** A budget ledger or rate limiter whose window lives in shared counters. */
export interface Counted {
  /** Its spend identity (src/control/identity.ts): the counter every instance writes to. */
  readonly counterKey: string;
  /** `budget:ID` or `rate_limit:ID`. */
  readonly owner: string;
  /** Set when the control plane shares spend; null otherwise (nothing is recorded). */
  totals: Totals | null;
  /**
   * The buckets the window holding `now` reads: all of them when `full`, else those that can have changed
   * lately (a long rolling window's old buckets only change when a long exchange finishes; a full read catches
   * them up).
   */
  range(now: number, full: boolean): { since: number; until: number };
  /** When a bucket's row will never be read again. */
  expiresAt(bucket: number): number;
  /**
   * Replaces the window's sums from `since` on with `rows` plus what is not pushed yet (unless a calendar window
   * moved on meanwhile).
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
    counted.totals ??= new Totals();
  }

  /**
   * Pushes the changed totals of `counted` (unless `push` is false) and refills their windows from the sums. Runs
   * one at a time, in call order, so an older read never lands over a newer one. On failure nothing is
   * acknowledged (the next push sends the same or larger totals) and the windows keep their last view plus what
   * this instance settled since.
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
    const pushed: [number, bigint, number][][] = [];
    const totals: CounterTotal[] = [];
    const ranges: CounterRange[] = [];
    for (const c of counted) {
      this.adopt(c);
      const changed = push ? c.totals!.changed() : [];
      pushed.push(changed);
      for (const [at, a, b] of changed) totals.push({ key: c.counterKey, owner: c.owner, at, a, b, expires: c.expiresAt(at) });
      const r = c.range(now, full);
      ranges.push({ key: c.counterKey, since: r.since, until: r.until });
    }
    const rows = await this.store.exchange(totals, ranges);
    const byKey = new Map<string, CounterRow[]>();
    for (const row of rows) {
      const list = byKey.get(row.key);
      if (list === undefined) byKey.set(row.key, [row]);
      else list.push(row);
    }
    const after = this.now();
    counted.forEach((c, i) => {
      c.totals!.acknowledge(pushed[i]!);
      c.refill(byKey.get(c.counterKey) ?? NONE, ranges[i]!.since, after);
      c.totals!.prune(c.range(after, true).since);
    });
    if (push && ++this.syncs % PRUNE_EVERY === 0) await this.store.pruneCounters(after);
  }
}
