/**
 * @module What settling spend costs per finished exchange (issue 25): ns per `Control.settle` as the sink calls it
 * (the record's attributes, the alerter's spike meter watching every exchange), with no budgets and with five
 * matching budgets plus a rate limit. Run: `node_modules/.bin/bun bench/settle-micro.ts` (or `deno run -A`).
 */
import { createAlerter } from "../src/control/alerts/alerter.ts";
import { createControl } from "../src/control/control.ts";
import { parseBudget, parseRateLimit } from "../src/control/definitions.ts";
import type { Attributes, Control } from "../src/control/types.ts";
import type { Logger } from "../src/log.ts";
import { fakeStore } from "../test/control/_helpers.ts";

const N = 500_000;
const ROUNDS = 7;
const NOW = Date.parse("2026-11-15T12:00:00Z");
const log = { error() {}, warn() {}, info() {}, debug() {}, usage() {} } as unknown as Logger;

async function control(budgets: boolean): Promise<Control> {
  const store = fakeStore();
  const alerter = createAlerter({ store, fetch, log, now: () => NOW, webhooks: [] });
  const c = createControl({ store, events: alerter, now: () => NOW });
  if (budgets) {
    await c.load([
      { id: "key", scope: { key_id: "k1" }, window: "day", limit_usd: "100" },
      { id: "project", scope: { project: "p1" }, window: "month", limit_usd: "500" },
      { id: "project-model", scope: { project: "p1", model: "gpt-4o-mini" }, window: "day", limit_usd: "50", limit_tokens: 1e9 },
      { id: "user", scope: { user: "u1" }, window: "week", limit_tokens: 1e8 },
      { id: "provider", scope: { provider: "openai" }, window: "month", limit_usd: "5000", action: "alert" },
    ].map(parseBudget), [parseRateLimit({ id: "rl", scope: { key_id: "k1" }, rpm: 1e9, tpm: 1e12 })]);
  }
  return c;
}

// As src/sink/sink.ts builds it from the record (recordAttributes).
const attributes: Attributes = {
  key_id: "k1", user: "u1", project: "p1", provider: "openai", requested_model: "gpt-4o-mini", tags: [], model_known: true,
} as unknown as Attributes;

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [label, c] of [["no budgets", await control(false)], ["5 budgets + rate limit", await control(true)]] as const) {
  const ns: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      // Tiny costs: the spike meter's trigger ($1 minimum) is never crossed, as on a normal hour.
      c.settle({ attributes: { ...attributes }, at: NOW, cost_pico: 8_850_000, total_tokens: 29, model: "gpt-4o-mini", unpriced: false, blocked: false, reservation: null });
    }
    ns.push(((performance.now() - t0) * 1e6) / N);
  }
  console.log(`settle, ${label.padEnd(24)} ${median(ns).toFixed(0).padStart(5)} ns (median of ${ROUNDS} × ${N.toLocaleString("en-US")})`);
}
