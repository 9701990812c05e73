/**
 * @module Spend control's shared shapes: budget and rate-limit definitions (the same JSON in the config file, the
 * API and the CLI), the attributes a request is matched on, and the two seams the proxy and the sink call.
 * See docs/architecture.md §12.
 */

/** Record attribution fields a scope can name; `tag` matches when the request carries that tag among others. */
export const SCOPE_KEYS = ["key_id", "user", "project", "provider", "model", "tag"] as const;
export type ScopeKey = typeof SCOPE_KEYS[number];
/** Every named key must equal the request's attribute; `{}` matches everything. */
export type Scope = Partial<Record<ScopeKey, string>>;

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

/** What a request is matched on before it is forwarded (the record's attribution fields). */
export interface Attributes {
  key_id: string | null;
  user: string | null;
  project: string | null;
  provider: string;
  /** The model the request names (a response may name a dated one; budgets match on what the client asked). */
  model: string | null;
  tags: readonly string[];
}

/** Where a window stands. Money in integer pico-USD. */
export interface BudgetState {
  budget: Budget;
  spent_pico: number;
  spent_tokens: number;
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
  code: "budget_exceeded" | "rate_limited" | "unpriced_model";
  /** The budget or rate-limit id. */
  id: string;
  message: string;
  /** Seconds until the window lets the request through; null when it never will (a `total` budget). */
  retryAfterSeconds: number | null;
  /** Extra members of the JSON error object (`budget`, `limit_usd`, `spent_usd`, `resets_at`, …). */
  details: Record<string, string | number | null>;
}

/** The pre-forward answer: null to forward, or a refusal. Allowed requests may carry the tightest USD remaining. */
export interface Verdict {
  refusal: Refusal | null;
  /** Exact decimal USD left in the tightest matching USD budget (for `x-kestrel-budget-remaining-usd`), or null. */
  remainingUsd: string | null;
}

/** What settles spend when an exchange finishes (the record's facts; usage unknown = null). */
export interface Settled {
  attributes: Attributes;
  /** Epoch ms when the exchange started (the window it counts in). */
  at: number;
  cost_pico: number | null;
  total_tokens: number | null;
  /** The model the response reported (for `model.unpriced`). */
  model: string | null;
  priced: boolean;
  blocked: boolean;
}

/** Spend summed per bucket: `at` is the bucket's start (epoch ms); one bucket for the whole range when unbucketed. */
export interface SpendBucket {
  at: number;
  cost_pico: number;
  tokens: number;
}

/** What the control plane needs from the store (async: PostgreSQL will implement it too). */
export interface ControlStore extends AlertOutbox {
  /** Sums of finished records matching `scope` since `sinceMs` (null: all time), per `bucketMs` (null: one sum). */
  spend(scope: Scope, sinceMs: number | null, bucketMs: number | null): Promise<SpendBucket[]>;
  listBudgets(): Promise<Budget[]>;
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

/** Sums added to one shared counter: `at` is the bucket's start (epoch ms); a = pico-USD or requests, b = tokens. */
export interface CounterDelta {
  /** The definition the counter belongs to (its JSON: a changed definition counts afresh). */
  key: string;
  /** `budget:ID` or `rate_limit:ID`: whose counters a definition write clears. */
  owner: string;
  at: number;
  a: number;
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

export interface CounterRow {
  key: string;
  at: number;
  a: number;
  b: number;
}

/**
 * Spend shared by every instance on one database (PostgreSQL): each instance pushes what it settled and reads the
 * totals back (docs/architecture.md §12). A store without it (SQLite) keeps spend per process.
 */
export interface SharedCounters {
  /**
   * Creates a budget's counters once across instances, seeded from finished records (`spend` over `requests`,
   * one bucket at `sinceMs ?? 0` when `bucketMs` is null). Later calls for the same key do nothing.
   */
  openCounters(key: string, owner: string, scope: Scope, sinceMs: number | null, bucketMs: number | null, expires: number): Promise<void>;
  /** Adds `push` atomically, then reads `read`, in one transaction: the rows include this push. */
  exchange(push: readonly CounterDelta[], read: readonly CounterRange[]): Promise<CounterRow[]>;
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
  /** Before forwarding; synchronous, O(budgets and limits that match), allocation-free when nothing matches. */
  check(attributes: Attributes, now: number): Verdict;
  /** When an exchange finishes, before the store flushes: the next check sees it. */
  settle(settled: Settled): void;
  /** Current windows of every budget (for /api/budgets, /metrics). */
  budgetStates(now: number): BudgetState[];
  /** Current minute of every rate limit (for /api/rate-limits). */
  rateLimitStates(now: number): RateLimitState[];
  /**
   * With shared counters: pushes this instance's settled spend and reads every instance's totals back (the
   * serving process calls it every second). Resolves at once without them; optional so test doubles can omit it.
   */
  sync?(): Promise<void>;
  /** Replaces the definitions and rebuilds the spend of new or changed ones from the store. */
  load(budgets: readonly Budget[], rateLimits: readonly RateLimit[]): Promise<void>;
  /** True when any budget or rate limit is defined (the proxy skips attribution work otherwise). */
  readonly active: boolean;
}
