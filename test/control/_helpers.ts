/** Shared fakes for spend-control tests: an in-memory ControlStore, an event recorder, a settable clock. */
import { createControl } from "../../src/control/control.ts";
import { parseBudget, parseRateLimit } from "../../src/control/definitions.ts";
import { SCOPE_KEYS, SCOPES } from "../../src/attributes/scopes.ts";
import type {
  Attributes, Budget, BudgetState, Control, ControlStore, Estimate, RateLimit, Refusal, Scope, Settled, SpendBucket,
} from "../../src/control/types.ts";
import type { Outcome, UsageRecord } from "../../src/usage/record.ts";
import { type ControlSetup, startControl } from "../../src/control/setup.ts";
import type { Logger } from "../../src/log.ts";
import type { Store } from "../../src/store/store.ts";

/**
 * A record as the store holds it: the columns spend control's queries read (the sink writes them from the request's
 * attributes, src/attributes/attributes.ts). The fake below matches scopes on these columns through the same scope
 * table as the stores' SQL, never on a request's attributes.
 */
export interface StoredRecord extends Pick<UsageRecord, "provider" | "requested_model" | "key_id" | "user" | "project" | "tags" | "outcome"> {
  /** The record's `ts` as epoch ms. */
  at: number;
  cost_pico: number;
  total_tokens: number;
}

/** The row the sink stores for an exchange with these attributes (recordAttributes' inverse). */
export function stored(at: number, a: Attributes, cost_pico: number, total_tokens: number, outcome: Outcome = "ok"): StoredRecord {
  return {
    at, cost_pico, total_tokens, outcome, provider: a.provider, requested_model: a.requested_model, key_id: a.key_id,
    user: a.user, project: a.project, tags: [...a.tags],
  };
}

function matches(scope: Scope, r: StoredRecord): boolean {
  for (const key of SCOPE_KEYS) {
    const v = scope[key];
    if (v === undefined) continue;
    const column = SCOPES[key].attribute;
    if (SCOPES[key].many ? !r.tags.includes(v) : r[column as Exclude<typeof column, "tags">] !== v) return false;
  }
  return true;
}

/** Only `spend` is real; definitions and alerts are not the core's business. */
export function fakeStore(records: StoredRecord[] = []): ControlStore & { records: StoredRecord[]; spendCalls: number } {
  const store = {
    records,
    spendCalls: 0,
    spend(scope: Scope, sinceMs: number | null, bucketMs: number | null): Promise<SpendBucket[]> {
      store.spendCalls++;
      const sums = new Map<number, SpendBucket>();
      for (const r of records) {
        if (r.outcome === "blocked" || (sinceMs !== null && r.at < sinceMs) || !matches(scope, r)) continue;
        const at = bucketMs === null ? (sinceMs ?? 0) : Math.floor(r.at / bucketMs) * bucketMs;
        const b = sums.get(at) ?? { at, cost_pico: 0n, tokens: 0, requests: 0 };
        b.cost_pico += BigInt(r.cost_pico);
        b.tokens += r.total_tokens;
        b.requests++;
        sums.set(at, b);
      }
      return Promise.resolve([...sums.values()]);
    },
    listBudgets: () => Promise.resolve([]),
    getBudget: () => Promise.resolve(null),
    getRateLimit: () => Promise.resolve(null),
    putBudget: () => Promise.resolve(),
    deleteBudget: () => Promise.resolve(false),
    listRateLimits: () => Promise.resolve([]),
    putRateLimit: () => Promise.resolve(),
    deleteRateLimit: () => Promise.resolve(false),
    definitionsVersion: () => Promise.resolve(0),
    claimAlert: () => Promise.resolve(true),
    requeueAlerts: () => Promise.resolve(),
    takeAlertDeliveries: () => Promise.resolve({ due: [], expired: [], nextDueInMs: null, leaseEndsInMs: null }),
    recordAlertAttempt: () => Promise.resolve(),
    releaseAlerts: () => Promise.resolve(),
  };
  return store;
}

/** A request's attributes; `model` names the requested model (canonical as the proxy computes it). */
export function attrs(over: Partial<Attributes> & { model?: string | null } = {}): Attributes {
  const { model, ...rest } = over;
  return {
    key_id: "k1", user: null, project: "team-a", provider: "openai", requested_model: model === undefined ? "gpt-4o" : model,
    tags: [], model_known: true, ...rest,
  };
}

/** USD → pico for readable tests ("0.01" → 10_000_000_000). */
export function pico(dollars: number): number {
  return Math.round(dollars * 1e12);
}

/** A finished exchange as the sink settles it (its record's attributes; usage without a price when cost is null). */
export function settled(at: number, costPico: number | null, tokens: number | null, a: Attributes = attrs()): Settled {
  return {
    attributes: a, at, cost_pico: costPico, total_tokens: tokens, model: a.requested_model,
    unpriced: costPico === null && tokens !== null, blocked: false, reservation: null,
  };
}

/** A verdict as the proxy acts on it: refused, or what the tightest USD budget has left. */
export interface Answer {
  refusal: Refusal | null;
  remainingUsd: string | null;
}

export interface Harness {
  control: Control;
  clock: { now: number };
  store: ReturnType<typeof fakeStore>;
  thresholds: { state: BudgetState; threshold: number }[];
  blocked: { refusal: Refusal; windowStart: string | null }[];
  settled: Settled[];
  /**
   * A sequential request's check: its reservation (none by default: a zero estimate) is released at once, as if it
   * finished without spending. Models listed as unpriced in the harness options are checked as unpriced.
   */
  check(a?: Attributes, estimate?: Partial<Estimate>): Answer;
  /** Settles a finished exchange at the clock's time. */
  spend(costPico: number | null, tokens?: number | null, a?: Attributes): void;
}

export async function harness(
  budgets: unknown[],
  rateLimits: unknown[] = [],
  opts: { start?: number; records?: StoredRecord[]; unpriced?: string[] } = {},
): Promise<Harness> {
  const clock = { now: opts.start ?? Date.parse("2026-11-15T12:00:00Z") };
  const store = fakeStore(opts.records ?? []);
  const h: Omit<Harness, "control" | "spend" | "check"> = { clock, store, thresholds: [], blocked: [], settled: [] };
  const unpriced = new Set(opts.unpriced ?? []);
  const control = createControl({
    store,
    now: () => clock.now,
    events: {
      threshold: (state, threshold) => h.thresholds.push({ state, threshold }),
      blocked: (refusal, windowStart) => h.blocked.push({ refusal, windowStart }),
      settled: (s) => h.settled.push(s),
    },
  });
  await control.load(budgets.map(parseBudget) as Budget[], rateLimits.map(parseRateLimit) as RateLimit[]);
  return {
    ...h,
    control,
    check(a = attrs(), estimate = {}) {
      const priced = a.requested_model === null || !unpriced.has(a.requested_model);
      const v = control.check(a, clock.now, { pico: 0n, tokens: 0, priced, ...estimate });
      v.reservation?.release();
      return { refusal: v.refusal, remainingUsd: v.remainingUsd };
    },
    spend(costPico, tokens = null, a = attrs()) {
      control.settle(settled(clock.now, costPico, tokens, a));
    },
  };
}

/** The example budget, complete (every default spelled out). */
export const BUDGET: Budget = {
  id: "team-a-month",
  scope: { project: "team-a" },
  window: "month",
  limit_usd: "50",
  limit_tokens: null,
  action: "block",
  alert_at: [0.5, 0.8, 1],
  timezone: "UTC",
  unpriced: "allow",
};

/** Spend control over a real store as `serve` starts it: no alert webhooks, records flushed before budgets load. */
export function startStoreControl(
  store: Store,
  o: { budgets: readonly Budget[]; log: Logger; fetch: typeof fetch; now: () => number; syncEveryMs: number },
): Promise<ControlSetup> {
  return startControl({
    store: store.control,
    budgets: o.budgets,
    rateLimits: [],
    alerts: { webhooks: [], spikeFactor: 5, spikeMinUsd: "1" },
    log: o.log,
    fetch: o.fetch,
    now: o.now,
    beforeLoad: () => store.flush(),
    syncEveryMs: o.syncEveryMs,
  });
}
