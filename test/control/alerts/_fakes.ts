/**
 * Test doubles for the alerter: the real SQLite outbox (src/store/alert-outbox.ts) on an in-memory database with
 * its rows readable, a recording logger, a webhook receiver, event builders.
 */
import { openSqlite } from "../../../src/entry/sqlite-node.ts";
import type { AlertOutbox, Budget, BudgetState, ControlStore, Scope, Settled, SpendBucket } from "../../../src/control/types.ts";
import { createAlertOutbox } from "../../../src/store/alert-outbox.ts";
import type { Db } from "../../../src/store/db.ts";
import { migrate } from "../../../src/store/schema.ts";
import { type Mock, startMock } from "../../_helpers/mock-upstream.ts";
import { until } from "../../_helpers/poll.ts";
import { BUDGET } from "../_helpers.ts";

export interface OutboxRow {
  payload: string;
  claimed_at: string;
  delivered_at: string | null;
}

export interface DeliveryRow {
  alert_key: string;
  hook: string;
  host: string;
  attempts: number;
  outcome: string | null;
  last_error: string | null;
}

export type FakeStore = Pick<ControlStore, "spend"> & AlertOutbox & {
  db: Db;
  /** `alert_outbox` by key, in claim order. */
  readonly outbox: Map<string, OutboxRow>;
  /** `alert_deliveries`, oldest first. */
  deliveries(): DeliveryRow[];
  /** Every claim in order, with its answer. */
  claims: { key: string; claimed: boolean }[];
  spendCalls: { scope: Scope; sinceMs: number | null; bucketMs: number | null }[];
  /** What `spend` answers. */
  history: SpendBucket[];
};

/** The real outbox on a fresh in-memory database (a restart is a new alerter on the same store). */
export function fakeStore(): FakeStore {
  const db = openSqlite(":memory:");
  migrate(db);
  const real = createAlertOutbox((fn) => Promise.resolve().then(() => fn(db)), Date.now);
  const store: FakeStore = {
    ...real,
    db,
    claims: [],
    spendCalls: [],
    history: [],
    get outbox() {
      const rows = db.prepare<OutboxRow & { key: string }>(
        "SELECT key, payload, claimed_at, delivered_at FROM alert_outbox ORDER BY rowid",
      ).all();
      return new Map(rows.map((r) => [r.key, { payload: r.payload, claimed_at: r.claimed_at, delivered_at: r.delivered_at }]));
    },
    deliveries: () =>
      db.prepare<DeliveryRow>(
        "SELECT alert_key, hook, host, attempts, outcome, last_error FROM alert_deliveries ORDER BY created_ms, rowid",
      ).all(),
    spend(scope, sinceMs, bucketMs) {
      store.spendCalls.push({ scope, sinceMs, bucketMs });
      return Promise.resolve(store.history);
    },
    async claimAlert(key, payload, hooks, at) {
      const claimed = await real.claimAlert(key, payload, hooks, at);
      store.claims.push({ key, claimed });
      return claimed;
    },
  };
  return store;
}

/** Resolves once at least `count` alerts were claimed and no delivery is pending. */
export function allDelivered(store: FakeStore, count: number): Promise<void> {
  return until(`${count} delivered alerts`, () => store.outbox.size >= count && store.deliveries().every((d) => d.outcome !== null), {
    detail: () => JSON.stringify([[...store.outbox], store.deliveries()]),
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

/** A receiver answering 500 while `failing` is set, then 200; `taken` holds the bodies it answered 200 to. */
export async function healable(): Promise<Mock & { failing: boolean; taken: Record<string, unknown>[] }> {
  const out = Object.assign(
    await startMock((_req, res, body) => {
      if (!out.failing) out.taken.push(JSON.parse(body.toString("utf8")));
      res.statusCode = out.failing ? 500 : 200;
      res.end("ok");
    }),
    { failing: true, taken: [] as Record<string, unknown>[] },
  );
  return out;
}

/** Runs `fn`, then closes the receivers, whatever happened. */
export async function withReceivers(mocks: Mock[], fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } finally {
    for (const m of mocks) await m.close();
  }
}

/** The bodies a receiver got, parsed. */
export const bodies = (mock: Mock) => mock.received.map((r) => JSON.parse(r.body.toString("utf8")) as Record<string, unknown>);

export function state(
  spentPico: number,
  windowStart: string | null,
  resetsAt: string | null,
  budget: Budget = BUDGET,
  spentTokens = 0,
): BudgetState {
  return {
    budget, spent_pico: BigInt(spentPico), spent_tokens: spentTokens, reserved_pico: 0n, reserved_tokens: 0,
    window_start: windowStart, resets_at: resetsAt,
  };
}

export function settled(at: number, fields: Partial<Settled> = {}): Settled {
  return {
    attributes: {
      key_id: null, user: null, project: null, provider: "openai", requested_model: "gpt-4o-mini", tags: [], model_known: true,
    },
    at,
    cost_pico: 1_000_000,
    total_tokens: 10,
    model: "gpt-4o-mini",
    unpriced: false,
    blocked: false,
    reservation: null,
    ...fields,
  };
}

export const USD = 1_000_000_000_000;

export { BUDGET };
