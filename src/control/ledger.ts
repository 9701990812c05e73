/**
 * @module One budget's spend in its current window: integer pico-USD and tokens, rolled over at calendar
 * boundaries (in the budget's timezone) or kept in a bucket ring for rolling windows.
 */
import { decimalToScaled } from "../pricing/decimal.ts";
import { usd } from "../pricing/money.ts";
import { BucketRing } from "./ring.ts";
import type { Counted, Outbox } from "./shared.ts";
import type { Budget, BudgetState, ControlStore, CounterRow, SharedCounters } from "./types.ts";
import { calendarWindow, isoTime, parseWindow, type WindowSpec } from "./window.ts";

/** Exact decimal USD; past 2^53 pico (about $9,007) a float sum is printed as the integer it holds. */
export function money(pico: number): string {
  return usd(Number.isSafeInteger(pico) ? pico : BigInt(Math.round(pico)));
}

/** A rolling window's buckets this recent are re-read at every sync; older ones at every full read. */
const RECENT_MS = 10 * 60_000;

export class BudgetLedger implements Counted {
  readonly budget: Budget;
  readonly counterKey: string;
  readonly owner: string;
  outbox: Outbox | null = null;
  readonly spec: WindowSpec;
  readonly limitPico: number | null;
  readonly limitTokens: number | null;
  /** Calendar: [start, end); total: [null, +∞); rolling: the ring decides. */
  start: number | null = null;
  end = Number.NEGATIVE_INFINITY;
  private readonly ring: BucketRing | null = null;
  private pico = 0;
  private tokens = 0;
  /** How many of `alert_at` (ascending) were reported in this window. */
  private fired = 0;
  /** remainingUsd()'s last answer, so an unchanged spend costs no string. */
  private leftPico = -1;
  private leftText = "";

  constructor(budget: Budget, now: number) {
    this.budget = budget;
    this.counterKey = `budget ${JSON.stringify(budget)}`;
    this.owner = `budget:${budget.id}`;
    const spec = parseWindow(budget.window, budget.timezone);
    if (typeof spec === "string") throw new Error(`Budget "${budget.id}": window ${spec}`);
    this.spec = spec;
    this.limitPico = budget.limit_usd === null ? null : Number(decimalToScaled(budget.limit_usd, 12));
    this.limitTokens = budget.limit_tokens;
    if (spec.kind === "rolling") this.ring = new BucketRing(spec.buckets, spec.bucketMs);
    this.advance(now);
  }

  get spentPico(): number {
    return this.ring === null ? this.pico : this.ring.sumA;
  }

  get spentTokens(): number {
    return this.ring === null ? this.tokens : this.ring.sumB;
  }

  /** Moves to the window holding `now` (a new calendar window starts empty). Cheap when nothing changes. */
  advance(now: number): void {
    if (this.ring !== null) return this.ring.advance(now);
    if (now < this.end) return;
    if (this.spec.kind !== "calendar") {
      this.end = Number.POSITIVE_INFINITY; // total: one window for all time
      return;
    }
    const w = calendarWindow(this.spec.unit, this.spec.timezone, now);
    this.start = w.start;
    this.end = w.end;
    this.pico = 0;
    this.tokens = 0;
    this.fired = 0;
  }

  /**
   * Counts an exchange that started at `at`; one that started in an earlier window is not counted. A clock that
   * stepped back before the window's start (NTP, a VM resumed) still counts in the current window: the window does
   * not move backwards, and dropping the spend would leave the budget unenforced until the clock caught up.
   */
  add(at: number, pico: number, tokens: number, now: number): void {
    if (this.ring !== null) {
      this.ring.advance(now);
      // Spend that left the window re-arms the thresholds it had crossed (a rolling window has no reset).
      const t = this.budget.alert_at;
      while (this.fired > 0 && !this.reached(t[this.fired - 1]!)) this.fired--;
      const bucket = this.ring.add(at, pico, tokens, now);
      this.outbox?.add(bucket, pico, tokens);
      return;
    }
    this.advance(now);
    if (this.start !== null && at < this.start && now >= this.start) return;
    this.pico += pico;
    this.tokens += tokens;
    this.outbox?.add(this.start ?? 0, pico, tokens);
  }

  /** Shared counters: a calendar window is one bucket at its start, `total` one at 0, rolling ones the ring's. */
  range(now: number, full = true): { since: number; until: number } {
    this.advance(now);
    if (this.ring !== null) {
      const start = this.ring.start();
      const recent = now - RECENT_MS - (now % this.ring.bucketMs);
      return { since: full ? start : Math.max(start, recent), until: Number.MAX_SAFE_INTEGER };
    }
    const at = this.start ?? 0;
    return { since: at, until: at + 1 };
  }

  expiresAt(bucket: number): number {
    if (this.spec.kind === "rolling") return bucket + this.spec.lengthMs + this.spec.bucketMs;
    return this.spec.kind === "total" ? Number.MAX_SAFE_INTEGER : this.end;
  }

  refill(rows: readonly CounterRow[], since: number, now: number): void {
    const range = this.range(now);
    if (this.ring !== null) {
      this.ring.clearFrom(since);
      for (const row of rows) this.ring.add(row.at, row.a, row.b, now);
      if (this.outbox !== null) {
        for (const [at, sum] of this.outbox.entries()) if (at >= since) this.ring.add(at, sum[0]!, sum[1]!, now);
      }
      const t = this.budget.alert_at;
      while (this.fired > 0 && !this.reached(t[this.fired - 1]!)) this.fired--;
      return;
    }
    if (range.since !== since) return; // a new window began meanwhile: the next sync reads it
    let pico = 0, tokens = 0;
    for (const row of rows) {
      pico += row.a;
      tokens += row.b;
    }
    const pending = this.outbox?.get(since);
    this.pico = pico + (pending?.[0] ?? 0);
    this.tokens = tokens + (pending?.[1] ?? 0);
  }

  /** Creates this window's shared counters once across instances, seeded from the store's records. */
  open(store: SharedCounters, now: number): Promise<void> {
    this.advance(now);
    const since = this.ring !== null ? this.ring.start() : this.start;
    const bucketMs = this.ring !== null ? this.ring.bucketMs : null;
    return store.openCounters(this.counterKey, this.owner, this.budget.scope, since, bucketMs, this.expiresAt(since ?? 0));
  }

  /** Exhausted means spent ≥ limit, on either limit; which one, or null. */
  exhaustedBy(): "usd" | "tokens" | null {
    if (this.limitPico !== null && this.spentPico >= this.limitPico) return "usd";
    if (this.limitTokens !== null && this.spentTokens >= this.limitTokens) return "tokens";
    return null;
  }

  /** Exact USD left under the USD limit, never negative ("0" once exhausted). Only for budgets with one. */
  remainingUsd(): string {
    const left = Math.max(0, this.limitPico! - this.spentPico);
    if (left !== this.leftPico) {
      this.leftPico = left;
      this.leftText = money(left);
    }
    return this.leftText;
  }

  /** Milliseconds until a request would be let through, or null for never by time alone (`total`). */
  retryAfterMs(now: number): number | null {
    if (this.ring !== null) {
      let at = Number.NEGATIVE_INFINITY;
      if (this.limitPico !== null) at = Math.max(at, this.ring.fitsAt("a", this.limitPico, 0));
      if (this.limitTokens !== null) at = Math.max(at, this.ring.fitsAt("b", this.limitTokens, 0));
      return at === Number.POSITIVE_INFINITY ? null : Math.max(0, at - now);
    }
    return this.end === Number.POSITIVE_INFINITY ? null : Math.max(0, this.end - now);
  }

  /** Thresholds of `alert_at` crossed since last asked, once per window (rolling: once per time above it). */
  crossings(): number[] | null {
    const at = this.budget.alert_at;
    if (this.fired >= at.length || !this.reached(at[this.fired]!)) return null;
    const out: number[] = [];
    while (this.fired < at.length && this.reached(at[this.fired]!)) out.push(at[this.fired++]!);
    return out;
  }

  /** Marks every threshold already reached as reported (a rebuild whose window has no stable start). */
  skipCrossings(): void {
    this.crossings();
  }

  private reached(fraction: number): boolean {
    return (this.limitPico !== null && this.spentPico >= fraction * this.limitPico) ||
      (this.limitTokens !== null && this.spentTokens >= fraction * this.limitTokens);
  }

  state(now: number): BudgetState {
    this.advance(now);
    const rolling = this.ring !== null;
    return {
      budget: this.budget,
      spent_pico: this.spentPico,
      spent_tokens: this.spentTokens,
      window_start: rolling ? isoTime(this.ring!.start()) : this.start === null ? null : isoTime(this.start),
      resets_at: rolling || this.end === Number.POSITIVE_INFINITY ? null : isoTime(this.end),
    };
  }

  /** Replaces this window's spend with the store's sums (finished records only). */
  async rebuild(store: ControlStore, now: number): Promise<void> {
    this.advance(now);
    if (this.ring !== null) {
      const buckets = await store.spend(this.budget.scope, this.ring.start(), this.ring.bucketMs);
      for (const b of buckets) this.ring.add(b.at, b.cost_pico, b.tokens, now);
      return;
    }
    const sums = await store.spend(this.budget.scope, this.start, null);
    for (const b of sums) {
      this.pico += b.cost_pico;
      this.tokens += b.tokens;
    }
  }
}
