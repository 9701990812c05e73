/** Test doubles for the alerter: an in-memory outbox store, a recording logger, a webhook receiver, event builders. */
import type { Budget, BudgetState, ControlStore, Scope, Settled, SpendBucket } from "../../../src/control/types.ts";
import { type Mock, startMock } from "../../_helpers/mock-upstream.ts";
import { until } from "../../_helpers/poll.ts";
import { BUDGET } from "../_helpers.ts";

export interface OutboxRow {
  payload: string;
  claimed_at: number;
  delivered_at: number | null;
}

export type FakeStore = Pick<ControlStore, "spend" | "claimAlert" | "markAlertDelivered" | "undeliveredAlerts"> & {
  outbox: Map<string, OutboxRow>;
  /** Every claim in order, with its answer. */
  claims: { key: string; claimed: boolean }[];
  spendCalls: { scope: Scope; sinceMs: number | null; bucketMs: number | null }[];
  /** What `spend` answers. */
  history: SpendBucket[];
};

/** The outbox semantics the SQLite store implements: a key is claimed once, ever. */
export function fakeStore(): FakeStore {
  const outbox = new Map<string, OutboxRow>();
  const store: FakeStore = {
    outbox,
    claims: [],
    spendCalls: [],
    history: [],
    spend(scope, sinceMs, bucketMs) {
      store.spendCalls.push({ scope, sinceMs, bucketMs });
      return Promise.resolve(store.history);
    },
    claimAlert(key, payload, at) {
      const claimed = !outbox.has(key);
      if (claimed) outbox.set(key, { payload, claimed_at: at, delivered_at: null });
      store.claims.push({ key, claimed });
      return Promise.resolve(claimed);
    },
    markAlertDelivered(key, at) {
      const row = outbox.get(key);
      if (row) row.delivered_at = at;
      return Promise.resolve();
    },
    undeliveredAlerts() {
      const rows = [...outbox].filter(([, r]) => r.delivered_at === null).sort((a, b) => a[1].claimed_at - b[1].claimed_at);
      return Promise.resolve(rows.map(([key, r]) => ({ key, payload: r.payload })));
    },
  };
  return store;
}

/** Resolves once every claimed alert is marked delivered (and at least `count` were claimed). */
export function allDelivered(store: FakeStore, count: number): Promise<void> {
  return until(`${count} delivered alerts`, () => store.outbox.size >= count && [...store.outbox.values()].every((r) => r.delivered_at !== null), {
    detail: () => JSON.stringify([...store.outbox]),
  });
}

export function fakeLog() {
  const lines: string[] = [];
  return { lines, warn: (m: string) => void lines.push(`WRN ${m}`), error: (m: string) => void lines.push(`ERR ${m}`) };
}

/** A webhook receiver on 127.0.0.1 answering 500 to the first `failFirst` requests (all when Infinity), then 200. */
export function receiver(failFirst = 0): Promise<Mock> {
  let seen = 0;
  return startMock((_req, res) => {
    res.statusCode = seen++ < failFirst ? 500 : 200;
    res.end("ok");
  });
}

/** The bodies a receiver got, parsed. */
export const bodies = (mock: Mock) => mock.received.map((r) => JSON.parse(r.body.toString("utf8")) as Record<string, unknown>);


export function state(spentPico: number, windowStart: string | null, resetsAt: string | null, budget: Budget = BUDGET): BudgetState {
  return { budget, spent_pico: spentPico, spent_tokens: 0, window_start: windowStart, resets_at: resetsAt };
}

export function settled(at: number, fields: Partial<Settled> = {}): Settled {
  return {
    attributes: { key_id: null, user: null, project: null, provider: "openai", model: "gpt-4o-mini", tags: [] },
    at,
    cost_pico: 1_000_000,
    total_tokens: 10,
    model: "gpt-4o-mini",
    priced: true,
    blocked: false,
    ...fields,
  };
}

export const USD = 1_000_000_000_000;

export { BUDGET };
