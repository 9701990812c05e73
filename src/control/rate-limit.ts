/**
 * @module One rate limit's sliding minute: requests and tokens in 60 one-second buckets. Requests count when
 * they are let through (so concurrent requests cannot all slip past one free slot); tokens count when the
 * exchange finishes, since only then are they known.
 */
import { ownerOf, rateLimitSpendKey } from "./identity.ts";
import { BucketRing } from "./ring.ts";
import type { Counted, Totals } from "./shared.ts";
import type { ControlStore, CounterRow, RateLimit, RateLimitState } from "./types.ts";
import { isoTime } from "./window.ts";

export class RateLimiter implements Counted {
  limit: RateLimit;
  readonly counterKey: string;
  readonly owner: string;
  totals: Totals | null = null;
  private readonly ring = new BucketRing(60, 1000);
  private rpm: bigint | null = null;

  constructor(limit: RateLimit) {
    this.limit = limit;
    this.counterKey = rateLimitSpendKey(limit);
    this.owner = ownerOf("rate_limit", limit.id);
    this.redefine(limit);
  }

  /** The same scope with other limits: the minute's counts stay. */
  redefine(limit: RateLimit): void {
    this.limit = limit;
    this.rpm = limit.rpm === null ? null : BigInt(limit.rpm);
  }

  /** Which limit the minute ending at `now` is already full on, or null when one more request fits. */
  fullOn(now: number): "rpm" | "tpm" | null {
    this.ring.advance(now);
    if (this.rpm !== null && this.ring.sumA >= this.rpm) return "rpm";
    if (this.limit.tpm !== null && this.ring.sumB >= this.limit.tpm) return "tpm";
    return null;
  }

  /** Counts a request let through at `now`. */
  admit(now: number): void {
    const at = this.ring.add(now, 1n, 0, now);
    this.totals?.add(at, 1n, 0);
  }

  /** Counts the tokens of an exchange that finished at `now`. */
  addTokens(tokens: number, now: number): void {
    const at = this.ring.add(now, 0n, tokens, now);
    this.totals?.add(at, 0n, tokens);
  }

  /** Shared counters: one row per second of the sliding minute. */
  range(now: number): { since: number; until: number } {
    this.ring.advance(now);
    return { since: this.ring.start(), until: Number.MAX_SAFE_INTEGER };
  }

  expiresAt(bucket: number): number {
    return bucket + 61_000;
  }

  refill(rows: readonly CounterRow[], since: number, now: number): void {
    this.ring.advance(now);
    this.ring.clearFrom(since);
    for (const row of rows) this.ring.add(row.at, row.a, row.b, now);
    if (this.totals !== null) for (const [at, a, b] of this.totals.unpushed(since)) this.ring.add(at, a, b, now);
  }

  /**
   * The minute's requests and tokens from the store's records (a restart on a store without shared counters).
   * A record is dated by its start, so its tokens count in the second it began, not the one it finished in.
   */
  async rebuild(store: ControlStore, now: number): Promise<void> {
    this.ring.advance(now);
    for (const b of await store.spend(this.limit.scope, this.ring.start(), 1000)) {
      this.ring.add(b.at, BigInt(b.requests), b.tokens, now);
    }
  }

  /** Milliseconds until one more request fits (rpm) or the tokens drop below the limit (tpm); null: never (0). */
  retryAfterMs(on: "rpm" | "tpm", now: number): number | null {
    const at = on === "rpm" ? this.ring.fitsAt("a", this.rpm!, 0n) : this.ring.fitsAt("b", this.limit.tpm!, 0);
    return at === Number.POSITIVE_INFINITY ? null : Math.max(0, at - now);
  }

  /** Requests and tokens in the minute ending at `now`. */
  usage(now: number): { requests: number; tokens: number } {
    this.ring.advance(now);
    return { requests: Number(this.ring.sumA), tokens: this.ring.sumB };
  }

  /** Counts against limits, and when a full limit lets a request through again (the later one when both are full). */
  state(now: number): RateLimitState {
    const { requests, tokens } = this.usage(now);
    const { rpm, tpm } = this.limit;
    const full = [rpm !== null && requests >= rpm ? "rpm" : null, tpm !== null && tokens >= tpm ? "tpm" : null]
      .filter((on): on is "rpm" | "tpm" => on !== null);
    let freesAt: number | null = null;
    for (const on of full) {
      const wait = this.retryAfterMs(on, now);
      if (wait === null) {
        freesAt = null;
        break;
      }
      freesAt = Math.max(freesAt ?? 0, now + wait);
    }
    return {
      limit: this.limit,
      requests,
      tokens,
      full_on: full[0] ?? null,
      frees_at: freesAt === null ? null : isoTime(freesAt),
    };
  }
}
