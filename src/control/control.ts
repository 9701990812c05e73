/**
 * @module The spend-control core: budgets and rate limits checked before a request is forwarded, spend settled
 * in memory when an exchange finishes (so the next check sees it), rebuilt from the store on load.
 *
 * Overshoot: check() does not reserve anything, so requests already let through may each add their own cost after
 * a budget is exhausted; the spend can exceed the limit by at most the cost of the requests in flight when it was
 * reached. Definitions reloaded while exchanges finish: a new or changed budget starts from the store's sums,
 * which miss records not flushed yet (the store flushes within a second). With shared counters (PostgreSQL) the
 * windows also hold every other instance's spend as of the last sync (src/control/shared.ts).
 */
import { BudgetLedger } from "./ledger.ts";
import { RateLimiter } from "./rate-limit.ts";
import { budgetRefusal, rateRefusal, unpricedRefusal } from "./refusals.ts";
import { sameBudget, sameRateLimit } from "./same.ts";
import { ScopeIndex } from "./scope-index.ts";
import { SharedSpend } from "./shared.ts";
import {
  type Attributes, type Budget, type BudgetState, type Control, type ControlEvents, type ControlStore,
  type RateLimit, type RateLimitState, type Refusal, type Settled, type SharedCounters, type Verdict,
} from "./types.ts";
import { isoTime } from "./window.ts";

export interface ControlOptions {
  store: ControlStore;
  events: ControlEvents;
  /** True when Kestrel has a price for the model (budgets with `unpriced: "block"` refuse the others). */
  isPriced(provider: string, model: string | null): boolean;
  now(): number;
  /** Counters every instance adds to (PostgreSQL); without them spend is this process's own. */
  shared?: SharedCounters | null;
}

/** The answer when nothing refuses and no USD budget matches: shared, so the common case allocates nothing. */
const ALLOW: Verdict = Object.freeze({ refusal: null, remainingUsd: null });

export function createControl(options: ControlOptions): Control {
  return new SpendControl(options);
}

class SpendControl implements Control {
  private readonly options: ControlOptions;
  private ledgers: BudgetLedger[] = [];
  private budgets = new ScopeIndex<BudgetLedger>([], (l) => l.budget.scope);
  private limiters: RateLimiter[] = [];
  private limits = new ScopeIndex<RateLimiter>([], (l) => l.limit.scope);
  private loading: Promise<void> = Promise.resolve();
  private readonly shared: SharedSpend | null;

  constructor(options: ControlOptions) {
    this.options = options;
    this.shared = options.shared ? new SharedSpend(options.shared, options.now) : null;
  }

  get active(): boolean {
    return this.ledgers.length > 0 || this.limiters.length > 0;
  }

  check(attrs: Attributes, now: number): Verdict {
    if (!this.active) return ALLOW;
    const ledgers = this.budgets.match(attrs);
    let tightest: BudgetLedger | null = null;
    let priced: boolean | null = null;
    for (let i = 0; i < ledgers.length; i++) {
      const ledger = ledgers[i]!;
      ledger.advance(now);
      if (ledger.limitPico !== null) {
        if (ledger.budget.unpriced === "block") {
          priced ??= this.options.isPriced(attrs.provider, attrs.model);
          if (!priced) return this.refuse(unpricedRefusal(ledger, attrs), ledger, now);
        }
        if (tightest === null || ledger.limitPico - ledger.spentPico < tightest.limitPico! - tightest.spentPico) {
          tightest = ledger;
        }
      }
      if (ledger.budget.action === "block") {
        const by = ledger.exhaustedBy();
        if (by !== null) return this.refuse(budgetRefusal(ledger, by, now), ledger, now);
      }
    }
    const limiters = this.limits.match(attrs);
    for (let i = 0; i < limiters.length; i++) {
      const on = limiters[i]!.fullOn(now);
      if (on !== null) return this.refuse(rateRefusal(limiters[i]!, on, now), null, now);
    }
    for (let i = 0; i < limiters.length; i++) limiters[i]!.admit(now);
    return tightest === null ? ALLOW : { refusal: null, remainingUsd: tightest.remainingUsd() };
  }

  private refuse(refusal: Refusal, ledger: BudgetLedger | null, now: number): Verdict {
    // A rate limit's "window" for the first-refusal alert is the UTC day: once a minute would be noise.
    const windowStart = ledger !== null ? ledger.state(now).window_start :
      isoTime(now - (now % 86_400_000));
    try {
      this.options.events.blocked(refusal, windowStart, ledger?.budget.window ?? null);
    } catch { /* events must not throw; a faulty sink must not turn a 429 into a 500 */ }
    return { refusal, remainingUsd: null };
  }

  settle(settled: Settled): void {
    try {
      this.options.events.settled(settled);
    } catch { /* see refuse() */ }
    if (!this.active || settled.blocked) return;
    const now = this.options.now();
    const pico = settled.cost_pico ?? 0;
    const tokens = settled.total_tokens ?? 0;
    // Copied: an event handler calling back into check() would reuse the index's result array.
    const ledgers = this.budgets.match(settled.attributes).slice();
    for (const ledger of ledgers) {
      ledger.add(settled.at, pico, tokens, now);
      this.report(ledger, now);
    }
    if (tokens > 0) for (const limiter of this.limits.match(settled.attributes)) limiter.addTokens(tokens, now);
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
    const ledgers = this.ledgers;
    await this.shared.sync([...ledgers, ...this.limiters]);
    // Other instances' spend may have crossed a threshold here: the alert key makes it one alert in all.
    const now = this.options.now();
    for (const ledger of ledgers) this.report(ledger, now);
  }

  budgetStates(now: number): BudgetState[] {
    return this.ledgers.map((l) => l.state(now));
  }

  rateLimitStates(now: number): RateLimitState[] {
    return this.limiters.map((l) => l.state(now));
  }

  load(budgets: readonly Budget[], rateLimits: readonly RateLimit[]): Promise<void> {
    // One load at a time, in call order, so an older slow rebuild cannot replace a newer definition set.
    const run = this.loading.then(() => this.apply(budgets, rateLimits));
    this.loading = run.catch(() => {});
    return run;
  }

  private async apply(budgets: readonly Budget[], rateLimits: readonly RateLimit[]): Promise<void> {
    const now = this.options.now();
    const old = new Map(this.ledgers.map((l) => [l.budget.id, l]));
    const byId = new Map<string, BudgetLedger>();
    const fresh: BudgetLedger[] = [];
    for (const budget of budgets) {
      const kept = old.get(budget.id);
      if (kept !== undefined && sameBudget(kept.budget, budget)) byId.set(budget.id, kept);
      else {
        const ledger = new BudgetLedger(budget, now);
        byId.set(budget.id, ledger);
        fresh.push(ledger);
      }
    }
    const oldLimits = new Map(this.limiters.map((l) => [l.limit.id, l]));
    const limiters = new Map<string, RateLimiter>();
    const freshLimits: RateLimiter[] = [];
    for (const limit of rateLimits) {
      const kept = oldLimits.get(limit.id);
      if (kept !== undefined && sameRateLimit(kept.limit, limit)) limiters.set(limit.id, kept);
      else {
        const limiter = new RateLimiter(limit);
        limiters.set(limit.id, limiter);
        freshLimits.push(limiter);
      }
    }
    if (this.shared !== null) {
      const shared = this.shared;
      await Promise.all(fresh.map((l) => l.open(shared.store, now)));
      for (const c of [...fresh, ...freshLimits]) shared.adopt(c);
      // Read only: their outboxes are new and empty.
      await shared.sync([...fresh, ...freshLimits], false);
    } else await Promise.all(fresh.map((l) => l.rebuild(this.options.store, now)));
    this.ledgers = [...byId.values()];
    this.budgets = new ScopeIndex(this.ledgers, (l) => l.budget.scope);
    this.limiters = [...limiters.values()];
    this.limits = new ScopeIndex(this.limiters, (l) => l.limit.scope);
    // Thresholds already crossed by the rebuilt spend: reported again for windows with a stable start (the alerter
    // dedupes on it, and a crossing lost in a crash still goes out); a rolling window has none, so it only arms.
    const after = this.options.now();
    for (const ledger of fresh) {
      if (ledger.spec.kind === "rolling") ledger.skipCrossings();
      else this.report(ledger, after);
    }
  }
}
