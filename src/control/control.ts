/**
 * @module The spend-control core: budgets and rate limits checked before a request is forwarded, an upper bound of
 * its cost reserved against its budgets until it finishes, spend settled in memory when it finishes (so the next
 * check sees it), windows rebuilt from the store on load (docs/architecture.md §12).
 *
 * Overshoot: a block budget refuses once spent + reserved reaches its limit, so the requests in flight can take it
 * past the limit by at most the last admitted request's estimate error (its actual cost is at most its estimate);
 * requests with no bound are admitted at most UNBOUNDED_CAP at a time per budget. With shared counters
 * (PostgreSQL) the windows also hold every other instance's spend as of the last sync (src/control/shared.ts), and
 * reservations are each instance's own.
 */
import type { Attributes } from "../attributes/attributes.ts";
import { budgetSpendKey, rateLimitSpendKey } from "./identity.ts";
import { BudgetLedger } from "./ledger.ts";
import { RateLimiter } from "./rate-limit.ts";
import { budgetRefusal, busyRefusal, rateRefusal, unpricedRefusal } from "./refusals.ts";
import { Held, unbounded } from "./reservation.ts";
import { ScopeIndex } from "./scope-index.ts";
import { SharedSpend } from "./shared.ts";
import type {
  Budget, BudgetState, Control, ControlEvents, ControlStore, Estimate, RateLimit, RateLimitState, Refusal,
  Settled, SharedCounters, Verdict,
} from "./types.ts";
import { isoTime } from "./window.ts";

export interface ControlOptions {
  store: ControlStore;
  events: ControlEvents;
  now(): number;
  /** Counters every instance adds to (PostgreSQL); without them spend is this process's own. */
  shared?: SharedCounters | null;
}

/** Requests without a bound on what a budget limits that it lets through at once. */
export const UNBOUNDED_CAP = 4;

/** The answer when nothing refuses and nothing matches: shared, so the common case allocates nothing. */
const ALLOW: Verdict = Object.freeze({ refusal: null, remainingUsd: null, reservation: null });
/** A check without an estimate (tests, callers that cannot know): nothing to reserve, nothing unpriced. */
const NOTHING: Estimate = Object.freeze({ pico: 0n, tokens: 0, priced: true });

export function createControl(options: ControlOptions): Control {
  return new SpendControl(options);
}

class SpendControl implements Control {
  private readonly options: ControlOptions;
  /** By id; each ledger's spend identity decides whether a new definition keeps it. */
  private readonly ledgers = new Map<string, BudgetLedger>();
  private budgets = new ScopeIndex<BudgetLedger>([], (l) => l.budget.scope);
  private readonly limiters = new Map<string, RateLimiter>();
  private limits = new ScopeIndex<RateLimiter>([], (l) => l.limit.scope);
  private loading: Promise<void> = Promise.resolve();
  private readonly shared: SharedSpend | null;

  constructor(options: ControlOptions) {
    this.options = options;
    this.shared = options.shared ? new SharedSpend(options.shared, options.now) : null;
  }

  get active(): boolean {
    return this.ledgers.size > 0 || this.limiters.size > 0;
  }

  check(attrs: Attributes, now: number, estimate: Estimate = NOTHING): Verdict {
    if (!this.active) return ALLOW;
    const ledgers = this.budgets.match(attrs);
    for (let i = 0; i < ledgers.length; i++) {
      const ledger = ledgers[i]!;
      ledger.advance(now);
      if (ledger.limitPico !== null && ledger.budget.unpriced === "block" && !estimate.priced) {
        return this.refuse(unpricedRefusal(ledger, attrs), ledger, now);
      }
      if (ledger.budget.action === "block") {
        const by = ledger.exhaustedBy();
        if (by !== null) return this.refuse(budgetRefusal(ledger, by, now), ledger, now);
        if (ledger.unbounded >= UNBOUNDED_CAP && unbounded(ledger, estimate)) {
          return this.refuse(busyRefusal(ledger, UNBOUNDED_CAP), ledger, now);
        }
      }
    }
    const limiters = this.limits.match(attrs);
    for (let i = 0; i < limiters.length; i++) {
      const on = limiters[i]!.fullOn(now);
      if (on !== null) return this.refuse(rateRefusal(limiters[i]!, on, now), null, now);
    }
    for (let i = 0; i < limiters.length; i++) limiters[i]!.admit(now);
    if (ledgers.length === 0) return ALLOW;
    const reservation = new Held(ledgers.slice(), estimate);
    return { refusal: null, remainingUsd: tightest(ledgers), reservation };
  }

  blockedBy(attrs: Attributes, now: number): Refusal | null {
    if (!this.active) return null;
    const ledgers = this.budgets.match(attrs);
    for (let i = 0; i < ledgers.length; i++) {
      const ledger = ledgers[i]!;
      if (ledger.budget.action !== "block") continue;
      ledger.advance(now);
      const by = ledger.exhaustedBy();
      if (by !== null) return this.refuse(budgetRefusal(ledger, by, now), ledger, now).refusal;
    }
    return null;
  }

  private refuse(refusal: Refusal, ledger: BudgetLedger | null, now: number): Verdict {
    // A rate limit's "window" for the first-refusal alert is the UTC day: once a minute would be noise.
    const windowStart = ledger !== null ? ledger.state(now).window_start : isoTime(now - (now % 86_400_000));
    try {
      this.options.events.blocked(refusal, windowStart, ledger?.budget.window ?? null);
    } catch { /* events must not throw; a faulty sink must not turn a 429 into a 500 */ }
    const remainingUsd = ledger !== null && ledger.limitPico !== null && refusal.code !== "rate_limited"
      ? ledger.remainingUsd()
      : null;
    return { refusal, remainingUsd, reservation: null };
  }

  settle(settled: Settled): void {
    settled.reservation?.release();
    try {
      this.options.events.settled(settled);
    } catch { /* see refuse() */ }
    if (!this.active || settled.blocked) return;
    const now = this.options.now();
    const pico = BigInt(settled.cost_pico ?? 0);
    const tokens = settled.total_tokens ?? 0;
    // Copied: an event handler calling back into check() would reuse the index's result array.
    const ledgers = this.budgets.match(settled.attributes).slice();
    for (const ledger of ledgers) {
      ledger.add(settled.at, pico, tokens, now);
      this.report(ledger, now);
    }
    if (tokens > 0) for (const limiter of this.limits.match(settled.attributes)) limiter.addTokens(tokens, now);
  }

  replay(settled: readonly Settled[]): void {
    const now = this.options.now();
    for (const s of settled) {
      if (s.blocked) continue;
      for (const ledger of this.budgets.match(s.attributes).slice()) {
        if (ledger.seeded) continue;
        ledger.add(s.at, BigInt(s.cost_pico ?? 0), s.total_tokens ?? 0, now);
        this.report(ledger, now);
      }
    }
  }

  private report(ledger: BudgetLedger, now: number): void {
    const crossed = ledger.crossings();
    if (crossed === null) return;
    const state = ledger.state(now);
    for (const threshold of crossed) {
      try {
        this.options.events.threshold(state, threshold);
      } catch { /* see refuse() */ }
    }
  }

  async sync(): Promise<void> {
    if (this.shared === null) return;
    const ledgers = [...this.ledgers.values()];
    await this.shared.sync([...ledgers, ...this.limiters.values()]);
    // Other instances' spend may have crossed a threshold here: the alert key makes it one alert in all.
    const now = this.options.now();
    for (const ledger of ledgers) this.report(ledger, now);
  }

  budgetStates(now: number): BudgetState[] {
    return [...this.ledgers.values()].map((l) => l.state(now));
  }

  budgetState(id: string, now: number): BudgetState | null {
    return this.ledgers.get(id)?.state(now) ?? null;
  }

  rateLimitStates(now: number): RateLimitState[] {
    return [...this.limiters.values()].map((l) => l.state(now));
  }

  rateLimitState(id: string, now: number): RateLimitState | null {
    return this.limiters.get(id)?.state(now) ?? null;
  }

  load(budgets: readonly Budget[], rateLimits: readonly RateLimit[]): Promise<void> {
    return this.serial(async () => {
      const keepBudgets = new Set(budgets.map((b) => b.id));
      const keepLimits = new Set(rateLimits.map((l) => l.id));
      for (const id of [...this.ledgers.keys()]) if (!keepBudgets.has(id)) this.drop("budget", id);
      for (const id of [...this.limiters.keys()]) if (!keepLimits.has(id)) this.drop("rate_limit", id);
      await this.apply(budgets, rateLimits);
    });
  }

  put(definition: { budget: Budget } | { rateLimit: RateLimit }): Promise<void> {
    return this.serial(() =>
      "budget" in definition ? this.apply([definition.budget], []) : this.apply([], [definition.rateLimit])
    );
  }

  remove(kind: "budget" | "rate_limit", id: string): void {
    this.drop(kind, id);
  }

  /** One change at a time, in call order, so an older slow rebuild cannot replace a newer definition. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.loading.then(fn);
    this.loading = run.catch(() => {});
    return run;
  }

  private drop(kind: "budget" | "rate_limit", id: string): void {
    if (kind === "budget") {
      const ledger = this.ledgers.get(id);
      if (ledger === undefined) return;
      this.ledgers.delete(id);
      this.budgets.remove(ledger);
    } else {
      const limiter = this.limiters.get(id);
      if (limiter === undefined) return;
      this.limiters.delete(id);
      this.limits.remove(limiter);
    }
  }

  /**
   * Adds or updates definitions: one whose spend identity is unchanged keeps its window (redefined in place);
   * others get a fresh window rebuilt from the store (or from the shared counters) before they take effect.
   */
  private async apply(budgets: readonly Budget[], rateLimits: readonly RateLimit[]): Promise<void> {
    const now = this.options.now();
    const fresh: BudgetLedger[] = [];
    const redefined: BudgetLedger[] = [];
    for (const budget of budgets) {
      const kept = this.ledgers.get(budget.id);
      if (kept !== undefined && kept.counterKey === budgetSpendKey(budget)) {
        kept.redefine(budget);
        redefined.push(kept);
      } else fresh.push(new BudgetLedger(budget, now));
    }
    const freshLimits: RateLimiter[] = [];
    for (const limit of rateLimits) {
      const kept = this.limiters.get(limit.id);
      if (kept !== undefined && kept.counterKey === rateLimitSpendKey(limit)) kept.redefine(limit);
      else freshLimits.push(new RateLimiter(limit));
    }
    if (this.shared !== null) {
      const shared = this.shared;
      await Promise.all(fresh.map(async (l) => (l.seeded = await l.open(shared.store, now))));
      for (const c of [...fresh, ...freshLimits]) shared.adopt(c);
      await shared.sync([...fresh, ...freshLimits], false); // read only: their totals are new and empty
    } else {
      await Promise.all([...fresh, ...freshLimits].map((c) => c.rebuild(this.options.store, now)));
      for (const ledger of fresh) ledger.seeded = true;
    }
    for (const ledger of fresh) {
      const old = this.ledgers.get(ledger.budget.id);
      if (old !== undefined) this.budgets.remove(old);
      this.ledgers.set(ledger.budget.id, ledger);
      this.budgets.add(ledger);
    }
    for (const limiter of freshLimits) {
      const old = this.limiters.get(limiter.limit.id);
      if (old !== undefined) this.limits.remove(old);
      this.limiters.set(limiter.limit.id, limiter);
      this.limits.add(limiter);
    }
    // Thresholds the rebuilt (or newly limited) spend already crossed are reported: the alerter's key names the
    // window's period and the limits, so one already sent is not sent again, and one lost in a crash still goes out.
    const after = this.options.now();
    for (const ledger of [...fresh, ...redefined]) this.report(ledger, after);
  }
}

/** What the tightest matching USD budget has left after what is spent and reserved, or null when none has a USD limit. */
function tightest(ledgers: readonly BudgetLedger[]): string | null {
  let best: BudgetLedger | null = null;
  for (let i = 0; i < ledgers.length; i++) {
    const ledger = ledgers[i]!;
    if (ledger.limitPico !== null && (best === null || ledger.leftPicoNow() < best.leftPicoNow())) best = ledger;
  }
  return best === null ? null : best.remainingUsd();
}
