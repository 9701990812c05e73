/**
 * @module Spend control's shared shapes: budget and rate-limit definitions (the same JSON in the config file, the
 * API and the CLI), the attributes a request is matched on, and the two seams the proxy and the sink call.
 * See docs/architecture.md §12.
 */

import type { Attributes } from "../attributes/attributes.ts";
import type { Scope } from "../attributes/scopes.ts";
export type { Attributes } from "../attributes/attributes.ts";
export { SCOPE_KEYS, type Scope, type ScopeKey } from "../attributes/scopes.ts";

/** Calendar windows in the budget's timezone (ISO weeks start on Monday), all time, or rolling (`90m`, `24h`, `7d`). */
export type BudgetWindow = "day" | "week" | "month" | "total" | `${number}${"m" | "h" | "d"}`;

export interface Budget {
  id: string;
  scope: Scope;
  window: BudgetWindow;
  /** Exact decimal USD ("50", "0.25"), or null when only tokens are limited. */
  limit_usd: string | null;
  /** Total tokens, or null. At least one of the two limits is set. */
  limit_tokens: number | null;
  action: "block" | "alert";
  /** Fractions of the limit that raise `budget.threshold` once per window; 1 = exhausted. Ascending, in (0, 1]. */
  alert_at: number[];
  /** IANA name for calendar windows. */
  timezone: string;
  /** `allow`: count tokens only; `block`: refuse models without a price while a USD limit applies. */
  unpriced: "allow" | "block";
}

export interface RateLimit {
  id: string;
  scope: Scope;
  /** Requests per minute (sliding), or null. */
  rpm: number | null;
  /** Tokens per minute (sliding; counted when an exchange finishes), or null. */
  tpm: number | null;
}

/** Where a window stands. Money in integer pico-USD (bigint: a window's spend has no upper bound). */
export interface BudgetState {
  budget: Budget;
  spent_pico: bigint;
  spent_tokens: number;
  /** Upper bounds of the requests admitted and not finished yet (docs/architecture.md §12, reservations). */
  reserved_pico: bigint;
  reserved_tokens: number;
  /** ISO-8601 UTC; for rolling windows now − length; for `total` null. */
  window_start: string | null;
  /** ISO-8601 UTC; null for `total` and rolling windows. */
  resets_at: string | null;
}

/** Where a rate limit's sliding minute stands. */
export interface RateLimitState {
  limit: RateLimit;
  /** Requests admitted and tokens finished in the minute ending now. */
  requests: number;
  tokens: number;
  /** The limit that refuses the next request (`rpm` checked first), or null when one more request fits. */
  full_on: "rpm" | "tpm" | null;
  /** ISO-8601 UTC when a request fits again; null when one fits now, or never will (a limit of 0). */
  frees_at: string | null;
}

/** Why a request is refused before it is forwarded: answered 429 and recorded with outcome `blocked`. */
export interface Refusal {
  /** `budget_busy`: too many requests whose cost cannot be bounded are in flight against a budget. */
  code: "budget_exceeded" | "budget_busy" | "rate_limited" | "unpriced_model";
  /** The budget or rate-limit id. */
  id: string;
  message: string;
  /** Seconds until the window lets the request through; null when it never will (a `total` budget). */
  retryAfterSeconds: number | null;
  /** Extra members of the JSON error object (`budget`, `limit_usd`, `spent_usd`, `resets_at`, …). */
  details: Record<string, string | number | null>;
}

/**
 * An upper bound on what an admitted request can cost, reserved against the budgets it matches until it settles
 * (src/control/estimate.ts). A null part has no bound (the model's price or its output limit is unknown).
 */
export interface Estimate {
  pico: bigint | null;
  tokens: number | null;
  /** The model has a price, or the request names none (nothing to price); false when unknown or unpriced. */
  priced: boolean;
}

/** What an admitted request holds until it settles; releasing it twice is harmless. */
export interface Reservation {
  release(): void;
}

/** The pre-forward answer: a refusal, or the reservation an admitted request holds. */
export interface Verdict {
  refusal: Refusal | null;
  /**
   * Exact decimal USD the tightest matching USD budget has left once this request's reservation is counted (for
   * `x-kestrel-budget-remaining-usd`); on a refusal by a USD budget, that budget's ("0" when exhausted); else null.
   */
  remainingUsd: string | null;
  reservation: Reservation | null;
}

/** What settles spend when an exchange finishes: the stored record's facts (usage unknown = null). */
export interface Settled {
  /** As stored on the record: the final `requested_model`, so `model_known` is true. */
  attributes: Attributes;
  /** Epoch ms when the exchange started (the window it counts in). */
  at: number;
  cost_pico: number | null;
  total_tokens: number | null;
  /** The model the response reported (for `model.unpriced`). */
  model: string | null;
  /** Usage without a price (src/usage/record.ts isUnpriced). */
  unpriced: boolean;
  blocked: boolean;
  /** What admission reserved for this exchange, released as its actual spend is counted; null when nothing was. */
  reservation: Reservation | null;
}

/**
 * Sums of finished records per bucket: `at` is the bucket's start (epoch ms; one bucket at the range's start when
 * unbucketed). `requests` counts records that were let through (not `blocked`).
 */
export interface SpendBucket {
  at: number;
  cost_pico: bigint;
  tokens: number;
  requests: number;
}

/** What the control plane needs from the store (async: PostgreSQL implements it too). */
export interface ControlStore extends AlertOutbox {
  /**
   * Sums of finished records matching `scope` since `sinceMs` (null: all time), per `bucketMs` (null: one sum):
   * read from the rollups that retention never deletes, plus raw rows where a window starts inside a rollup bucket
   * (src/store/spend-query.ts).
   */
  spend(scope: Scope, sinceMs: number | null, bucketMs: number | null): Promise<SpendBucket[]>;
  listBudgets(): Promise<Budget[]>;
  /** One definition, or null when there is none. */
  getBudget(id: string): Promise<Budget | null>;
  getRateLimit(id: string): Promise<RateLimit | null>;
  putBudget(budget: Budget): Promise<void>;
  /** Resolves false when there was none. */
  deleteBudget(id: string): Promise<boolean>;
  listRateLimits(): Promise<RateLimit[]>;
  putRateLimit(limit: RateLimit): Promise<void>;
  deleteRateLimit(id: string): Promise<boolean>;
  /** Changes whenever any definition is written, by this process or another (the CLI): polled to reload. */
  definitionsVersion(): Promise<number>;
}

/** A webhook as the alert outbox knows it: `id` fingerprints its format and URL (a URL's path can be a secret). */
export interface AlertHook {
  id: string;
  /** For log lines: where it goes, without the path. */
  host: string;
}

/** One alert to one webhook, leased to the instance that took it until it records the attempt. */
export interface AlertDelivery {
  key: string;
  hook: string;
  payload: string;
  /** Failed attempts before this one (the backoff doubles with each). */
  attempts: number;
  /** Epoch ms on the store's clock when it was queued; given up `maxAgeMs` after. */
  created: number;
}

/** A delivery given up past the maximum age: reported to the one instance that gave it up. */
export interface ExpiredDelivery {
  key: string;
  host: string;
  payload: string;
  attempts: number;
  /** The last attempt's failure, or null when none was made (its webhook left the configuration, or nobody ran). */
  error: string | null;
}

export interface DeliveryBatch {
  due: AlertDelivery[];
  expired: ExpiredDelivery[];
  /**
   * Ms until the next pending delivery to these webhooks is due for this caller (its due time, or the end of a
   * lease this caller holds); null when there is none.
   */
  nextDueInMs: number | null;
  /**
   * Ms until the first lease another instance holds on a delivery to these webhooks runs out; null when none.
   * Its attempt usually ends far sooner (then it is done, or due again), so a caller looks again before.
   */
  leaseEndsInMs: number | null;
}

/** The result of one attempt: taken, or retried after `retryInMs` (the store's clock). */
export type AttemptResult = { ok: true } | { ok: false; error: string; retryInMs: number };

/**
 * The alert outbox (docs/architecture.md §12): one row per alert key, claimed once across restarts and instances,
 * and one delivery per (alert, webhook) that stays pending until that webhook took it or it grew too old. Leases
 * and due times are on the store's clock (PostgreSQL's `now()`), never compared across instances' clocks.
 */
export interface AlertOutbox {
  /**
   * Records an alert under a unique key with a pending delivery per webhook, in one transaction; false when the key
   * was claimed before (nothing changes). With no webhook the alert counts as delivered (its log line was all).
   */
  claimAlert(key: string, payload: string, hooks: readonly AlertHook[], at: number): Promise<boolean>;
  /** At start: alerts claimed within `maxAgeMs` that no webhook took yet get a pending delivery per webhook. */
  requeueAlerts(hooks: readonly AlertHook[], maxAgeMs: number): Promise<void>;
  /**
   * Gives up pending deliveries older than `maxAgeMs` (returned once, to this caller), then leases up to `limit`
   * due ones per webhook for `leaseMs`, oldest first; two callers never get the same one.
   */
  takeAlertDeliveries(hooks: readonly { id: string; limit: number }[], leaseMs: number, maxAgeMs: number): Promise<DeliveryBatch>;
  /** Ends the lease: a taken delivery is done for good; a failed one is due again after `retryInMs`. */
  recordAlertAttempt(key: string, hook: string, result: AttemptResult): Promise<void>;
  /** Stopping: gives up this instance's leases, so another (or the next start) may attempt them at once. */
  releaseAlerts(): Promise<void>;
}

/**
 * One instance's running total for one bucket of one shared counter: everything this process settled there since it
 * started (a = pico-USD or requests, b = tokens). Totals, not increments: a push repeated after a lost reply
 * changes nothing (the store keeps the greater of the two).
 */
export interface CounterTotal {
  /** The counter: the definition's spend identity (src/control/identity.ts). */
  key: string;
  /** `budget:ID` or `rate_limit:ID`: whose counters a definition write clears. */
  owner: string;
  at: number;
  a: bigint;
  b: number;
  /** Epoch ms after which the row is never read again (pruned). */
  expires: number;
}

/** The buckets of one counter a reader wants: `since` ≤ bucket start < `until`. */
export interface CounterRange {
  key: string;
  since: number;
  until: number;
}

/** One bucket summed over every instance (and the seed). */
export interface CounterRow {
  key: string;
  at: number;
  a: bigint;
  b: number;
}

/**
 * Spend shared by every instance on one database (PostgreSQL): each instance pushes its running totals and reads
 * the sums over every instance back (docs/architecture.md §12). A store without it (SQLite) keeps spend per process.
 */
export interface SharedCounters {
  /**
   * Creates a counter once across instances, seeded from finished records (`spend`, one bucket at `sinceMs ?? 0`
   * when `bucketMs` is null). Resolves true when this call created and seeded it; false when it existed.
   */
  openCounters(key: string, owner: string, scope: Scope, sinceMs: number | null, bucketMs: number | null, expires: number): Promise<boolean>;
  /** Writes this instance's totals, then reads `read` summed over instances, in one transaction. */
  exchange(push: readonly CounterTotal[], read: readonly CounterRange[]): Promise<CounterRow[]>;
  /** Deletes counters that expired before `now`. */
  pruneCounters(now: number): Promise<void>;
}

/** What the ledger reports as it happens; the alerter turns these into webhooks. Must not throw. */
export interface ControlEvents {
  /** A budget's spend crossed `threshold` (one of its `alert_at`) in the window starting at `state.window_start`. */
  threshold(state: BudgetState, threshold: number): void;
  /**
   * A request was refused. `window` is the refusing budget's (null for a rate limit): a rolling window's start
   * moves with the clock, so the alerter keys its first-refusal alert by a stable period of that length.
   */
  blocked(refusal: Refusal, windowStart: string | null, window: BudgetWindow | null): void;
  /** Every finished exchange (spike detection, `model.unpriced`). */
  settled(settled: Settled): void;
}

/** The control plane as the proxy and the sink see it. */
export interface Control {
  /**
   * Before forwarding; synchronous, O(budgets and limits that match), allocation-free when nothing matches. An
   * admitted request reserves `estimate` against every budget it matches (none when omitted: zero, unbounded).
   */
  check(attributes: Attributes, now: number, estimate?: Estimate): Verdict;
  /** When an exchange finishes, before the store flushes: the next check sees it; its reservation is released. */
  settle(settled: Settled): void;
  /**
   * The refusal of the first `block` budget matching `attributes` that is exhausted now, or null; counts nothing (a
   * realtime session asks after each response: src/realtime/spend.ts). Raises the first-refusal alert as check does.
   */
  blockedBy(attributes: Attributes, now: number): Refusal | null;
  /** Current windows of every budget (for /api/budgets, /metrics). */
  budgetStates(now: number): BudgetState[];
  /** One budget's window, or null when it is not loaded. */
  budgetState(id: string, now: number): BudgetState | null;
  /** Current minute of every rate limit (for /api/rate-limits). */
  rateLimitStates(now: number): RateLimitState[];
  rateLimitState(id: string, now: number): RateLimitState | null;
  /**
   * With shared counters: pushes this instance's settled spend and reads every instance's totals back (the
   * serving process calls it every second). Resolves at once without them; optional so test doubles can omit it.
   */
  sync?(): Promise<void>;
  /**
   * Replaces the definitions. A definition whose spend identity (scope, window, timezone) is unchanged keeps its
   * window (new limits apply at once); new ones rebuild their spend from the store.
   */
  load(budgets: readonly Budget[], rateLimits: readonly RateLimit[]): Promise<void>;
  /** One definition written (API, CLI): applied alone, the others untouched (a write storm costs no full reload). */
  put(definition: { budget: Budget } | { rateLimit: RateLimit }): Promise<void>;
  /** One definition deleted. */
  remove(kind: "budget" | "rate_limit", id: string): void;
  /**
   * Settlements made before the control started (src/control/deferred.ts), counted into the budgets whose window
   * was not rebuilt from the store at this start (their shared counters existed already): the others hold them.
   */
  replay?(settled: readonly Settled[]): void;
  /** True when any budget or rate limit is defined (the proxy skips attribution work otherwise). */
  readonly active: boolean;
}
