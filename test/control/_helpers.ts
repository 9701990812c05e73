/** Shared fakes for spend-control tests: an in-memory ControlStore, an event recorder, a settable clock. */
import { createControl } from "../../src/control/control.ts";
import { parseBudget, parseRateLimit } from "../../src/control/definitions.ts";
import type {
  Attributes, Budget, BudgetState, Control, ControlStore, RateLimit, Refusal, Scope, Settled, SpendBucket,
} from "../../src/control/types.ts";

export interface StoredRecord {
  at: number;
  attributes: Attributes;
  cost_pico: number;
  tokens: number;
}

function matches(scope: Scope, a: Attributes): boolean {
  for (const [k, v] of Object.entries(scope)) {
    if (k === "tag" ? !a.tags.includes(v) : a[k as Exclude<keyof Scope, "tag">] !== v) return false;
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
        if ((sinceMs !== null && r.at < sinceMs) || !matches(scope, r.attributes)) continue;
        const at = bucketMs === null ? (sinceMs ?? 0) : Math.floor(r.at / bucketMs) * bucketMs;
        const b = sums.get(at) ?? { at, cost_pico: 0, tokens: 0 };
        b.cost_pico += r.cost_pico;
        b.tokens += r.tokens;
        sums.set(at, b);
      }
      return Promise.resolve([...sums.values()]);
    },
    listBudgets: () => Promise.resolve([]),
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

export function attrs(over: Partial<Attributes> = {}): Attributes {
  return { key_id: "k1", user: null, project: "team-a", provider: "openai", model: "gpt-4o", tags: [], ...over };
}

/** USD → pico for readable tests ("0.01" → 10_000_000_000). */
export function pico(dollars: number): number {
  return Math.round(dollars * 1e12);
}

export interface Harness {
  control: Control;
  clock: { now: number };
  store: ReturnType<typeof fakeStore>;
  thresholds: { state: BudgetState; threshold: number }[];
  blocked: { refusal: Refusal; windowStart: string | null }[];
  settled: Settled[];
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
  const h: Omit<Harness, "control" | "spend"> = { clock, store, thresholds: [], blocked: [], settled: [] };
  const unpriced = new Set(opts.unpriced ?? []);
  const control = createControl({
    store,
    now: () => clock.now,
    isPriced: (_provider, model) => model !== null && !unpriced.has(model),
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
    spend(costPico, tokens = null, a = attrs()) {
      control.settle({
        attributes: a, at: clock.now, cost_pico: costPico, total_tokens: tokens, model: a.model,
        priced: costPico !== null, blocked: false,
      });
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
