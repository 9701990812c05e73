/**
 * @module One budget's spend in its current window: integer pico-USD (bigint) and tokens, rolled over at calendar
 * boundaries (in the budget's timezone) or kept in a bucket ring for rolling windows; plus what admitted requests
 * have reserved and not settled yet (docs/architecture.md §12).
 */
import { decimalToScaled } from "../pricing/decimal.ts";
import { usd } from "../pricing/money.ts";
import { budgetSpendKey, ownerOf } from "./identity.ts";
import { BucketRing } from "./ring.ts";
import type { Counted, Totals } from "./shared.ts";
import type { Budget, BudgetState, ControlStore, CounterRow, SharedCounters } from "./types.ts";
import { calendarWindow, isoTime, parseWindow, type WindowSpec } from "./window.ts";

/** Exact decimal USD. */
export const money = (pico: bigint): string => usd(pico);

/** A rolling window's buckets this recent are re-read at every sync; older ones at every full read. */
const RECENT_MS = 10 * 60_000;

export class BudgetLedger implements Counted {
  budget: Budget;
  readonly counterKey: string;
  readonly owner: string;
  totals: Totals | null = null;
  readonly spec: WindowSpec;
  limitPico: bigint | null = null;
  limitTokens: number | null = null;
  /** Calendar: [start, end); total: [null, +∞); rolling: the ring decides. */
  start: number | null = null;
  end = Number.NEGATIVE_INFINITY;
  /** Upper bounds of admitted requests not settled yet, and how many of them have no bound. */
  reservedPico = 0n;
  reservedTokens = 0;
  unbounded = 0;
  /** Its window was rebuilt from the store's records when it was created (not read from existing counters). */
  seeded = false;
  private readonly ring: BucketRing | null = null;
  private pico = 0n;
  private tokens = 0;
  /** How many of `alert_at` (ascending) were reported in this window. */
  private fired = 0;
  /** remainingUsd()'s last answer, so an unchanged figure costs no string. */
  private leftPico = -1n;
  private leftText = "";

  constructor(budget: Budget, now: number) {
    this.budget = budget;
    this.counterKey = budgetSpendKey(budget);
    this.owner = ownerOf("budget", budget.id);
    const spec = parseWindow(budget.window, budget.timezone);
    if (typeof spec === "string") throw new Error(`Budget "${budget.id}": window ${spec}`);
    this.spec = spec;
    if (spec.kind === "rolling") this.ring = new BucketRing(spec.buckets, spec.bucketMs);
    this.redefine(budget);
    this.advance(now);
  }

  /** The same spend identity with other limits, action or alerts: the window and its spend stay. */
  redefine(budget: Budget): void {
    this.budget = budget;
    this.limitPico = budget.limit_usd === null ? null : decimalToScaled(budget.limit_usd, 12);
    this.limitTokens = budget.limit_tokens;
    this.leftPico = -1n;
    // Thresholds are re-armed against the new limits; the control reports those already reached, and the alert
    // key (which names the limits) keeps one already sent under the same limits from going out again.
    this.fired = 0;
  }

  get spentPico(): bigint {
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
    this.pico = 0n;
    this.tokens = 0;
    this.fired = 0;
  }

  /**
   * Counts an exchange that started at `at`. A calendar window does not count one that started in an earlier window
   * (the store dates spend by its start, and a rebuild would not count it either); a rolling window counts one that
   * began before it in its oldest bucket (src/control/ring.ts). A clock that stepped back before the window's start
   * (NTP, a VM resumed) still counts in the current window: the window does not move backwards.
   */
  add(at: number, pico: bigint, tokens: number, now: number): void {
    if (this.ring !== null) {
      this.ring.advance(now);
      // Spend that left the window re-arms the thresholds it had crossed (a rolling window has no reset).
      const t = this.budget.alert_at;
      while (this.fired > 0 && !this.reached(t[this.fired - 1]!)) this.fired--;
      const bucket = this.ring.add(at, pico, tokens, now);
      this.totals?.add(bucket, pico, tokens);
      return;
    }
    this.advance(now);
    if (this.start !== null && at < this.start && now >= this.start) return;
    this.pico += pico;
    this.tokens += tokens;
    this.totals?.add(this.start ?? 0, pico, tokens);
  }

  /** Shared counters: a calendar window is one bucket at its start, `total` one at 0, rolling ones the ring's. */
  range(now: number, full = true): { since: number; until: number } {
    this.advance(now);
    if (this.ring !== null) {
      const start = this.ring.start();
      // Whole buckets only: a cut inside one would clear it and read none of it back.
      const recent = Math.floor((now - RECENT_MS) / this.ring.bucketMs) * this.ring.bucketMs;
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
      if (this.totals !== null) for (const [at, a, b] of this.totals.unpushed(since)) this.ring.add(at, a, b, now);
      const t = this.budget.alert_at;
      while (this.fired > 0 && !this.reached(t[this.fired - 1]!)) this.fired--;
      return;
    }
    if (range.since !== since) return; // a new window began meanwhile: the next sync reads it
    let pico = 0n, tokens = 0;
    for (const row of rows) {
      pico += row.a;
      tokens += row.b;
    }
    if (this.totals !== null) {
      for (const [, a, b] of this.totals.unpushed(since)) {
        pico += a;
        tokens += b;
      }
    }
    this.pico = pico;
    this.tokens = tokens;
  }

  /** Creates this window's shared counters once across instances; true when this call seeded them from the store. */
  open(store: SharedCounters, now: number): Promise<boolean> {
    this.advance(now);
    const since = this.ring !== null ? this.ring.start() : this.start;
    const bucketMs = this.ring !== null ? this.ring.bucketMs : null;
    return store.openCounters(this.counterKey, this.owner, this.budget.scope, since, bucketMs, this.expiresAt(since ?? 0));
  }

  /** Exhausted: spent plus reserved ≥ limit, on either limit; which one, or null. */
  exhaustedBy(): "usd" | "tokens" | null {
    if (this.limitPico !== null && this.spentPico + this.reservedPico >= this.limitPico) return "usd";
    if (this.limitTokens !== null && this.spentTokens + this.reservedTokens >= this.limitTokens) return "tokens";
    return null;
  }

  /** Pico-USD left under the USD limit after what is spent and reserved, never negative. Budgets with one only. */
  leftPicoNow(): bigint {
    const left = this.limitPico! - this.spentPico - this.reservedPico;
    return left > 0n ? left : 0n;
  }

  /** leftPicoNow() as exact decimal USD ("0" once exhausted). */
  remainingUsd(): string {
    const left = this.leftPicoNow();
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
      if (this.limitPico !== null) at = Math.max(at, this.ring.fitsAt("a", this.limitPico, this.reservedPico));
      if (this.limitTokens !== null) at = Math.max(at, this.ring.fitsAt("b", this.limitTokens, this.reservedTokens));
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

  /** Marks every threshold already reached as reported. */
  skipCrossings(): void {
    this.crossings();
  }

  /** Spend (not reservations: a threshold alert says what was spent) at or past `fraction` of a limit. */
  private reached(fraction: number): boolean {
    // fraction × limit compared exactly: fraction has at most 17 significant digits, scaled by 1e6 it is an integer
    // close enough that rounding cannot move the comparison by more than a pico-dollar in a million.
    const f = BigInt(Math.round(fraction * 1_000_000));
    return (this.limitPico !== null && this.spentPico * 1_000_000n >= f * this.limitPico) ||
      (this.limitTokens !== null && this.spentTokens >= fraction * this.limitTokens);
  }

  state(now: number): BudgetState {
    this.advance(now);
    const rolling = this.ring !== null;
    return {
      budget: this.budget,
      spent_pico: this.spentPico,
      spent_tokens: this.spentTokens,
      reserved_pico: this.reservedPico,
      reserved_tokens: this.reservedTokens,
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
