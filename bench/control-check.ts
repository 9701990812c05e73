/**
 * @module Cost of the pre-forward spend check (`Control.check`) on the request path: ns per call with no budgets,
 * with 1,000 budgets (+100 rate limits) of which none match the request, and with 1,000 of which five budgets (four
 * with a USD limit: the remaining-USD header is computed) and one rate limit match. Also `settle` for those.
 * Target (issue 9): ≤ 2 µs per check with 1,000 budgets.
 * Run: `node_modules/.bin/bun bench/control-check.ts` (or `node_modules/.bin/deno run -A bench/control-check.ts`).
 */
import process from "node:process";
import { createControl } from "../src/control/control.ts";
import { parseBudget, parseRateLimit } from "../src/control/definitions.ts";
import type { Attributes, Budget, Control, RateLimit } from "../src/control/types.ts";
import { fakeStore } from "../test/control/_helpers.ts";

/** `--quick`: a harness check for the test suite, not a measurement. */
const QUICK = process.argv.includes("--quick");
const CALLS = QUICK ? 10_240 : 1_000_000;
const ROUNDS = QUICK ? 2 : 7;
const NOW = Date.parse("2026-11-15T12:00:00Z");

/** No history: the ledger starts empty. */
const store = fakeStore();

/** 1,000 budgets over the shapes operators use: per key, per project, per project+model, per user, per tag. */
function budgets(): Budget[] {
  const out: unknown[] = [];
  const windows = ["day", "week", "month", "24h", "7d"];
  for (let i = 0; i < 400; i++) out.push({ id: `key-${i}`, scope: { key_id: `k${i}` }, window: windows[i % 5], limit_usd: "100" });
  for (let i = 0; i < 300; i++) out.push({ id: `proj-${i}`, scope: { project: `p${i}` }, window: "month", limit_usd: "500" });
  for (let i = 0; i < 200; i++) {
    out.push({ id: `pm-${i}`, scope: { project: `p${i}`, model: `m${i % 10}` }, window: "day", limit_usd: "50", limit_tokens: 1e9 });
  }
  for (let i = 0; i < 95; i++) out.push({ id: `user-${i}`, scope: { user: `u${i}` }, window: "week", limit_tokens: 1e8 });
  for (let i = 0; i < 4; i++) out.push({ id: `tag-${i}`, scope: { tag: `t${i}` }, window: "day", limit_usd: "10" });
  out.push({ id: "openai", scope: { provider: "openai" }, window: "month", limit_usd: "5000", action: "alert" });
  return out.map(parseBudget);
}

function rateLimits(): RateLimit[] {
  return Array.from({ length: 100 }, (_, i) => parseRateLimit({ id: `rl-${i}`, scope: { key_id: `k${i}` }, rpm: 1e9 }));
}

/** 1,024 distinct requests, so the check cannot be specialised to one. */
function requests(matching: boolean): Attributes[] {
  return Array.from({ length: 1024 }, (_, i) => ({
    key_id: matching ? `k${i % 100}` : `other-k${i}`,
    user: matching ? `u${i % 95}` : null,
    project: matching ? `p${i % 200}` : `other-p${i}`,
    provider: matching ? "openai" : "anthropic",
    model: matching ? `m${i % 200 % 10}` : "claude",
    tags: matching ? ["batch"] : [],
  }));
}

async function control(withDefinitions: boolean): Promise<Control> {
  const c = createControl({
    store, now: () => NOW, isPriced: () => true, events: { threshold() {}, blocked() {}, settled() {} },
  });
  if (withDefinitions) await c.load(budgets(), rateLimits());
  return c;
}

function measure(label: string, c: Control, reqs: Attributes[]): void {
  let sink = 0;
  const round = (): number => {
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) {
      const v = c.check(reqs[i & 1023]!, NOW);
      if (v.remainingUsd !== null) sink++;
      if (v.refusal !== null) sink += 2;
    }
    return ((performance.now() - t0) * 1e6) / CALLS;
  };
  round(); // warm-up
  const ns = Array.from({ length: ROUNDS }, round).sort((a, b) => a - b);
  console.log(`${label.padEnd(46)} ${ns[ROUNDS >> 1]!.toFixed(0).padStart(5)} ns/check (best ${ns[0]!.toFixed(0)})  [${sink}]`);
}

function measureSettle(c: Control, reqs: Attributes[]): void {
  const round = (): number => {
    const t0 = performance.now();
    for (let i = 0; i < CALLS / 10; i++) {
      c.settle({ attributes: reqs[i & 1023]!, at: NOW, cost_pico: 1000, total_tokens: 1, model: null, priced: true, blocked: false });
    }
    return ((performance.now() - t0) * 1e6) / (CALLS / 10);
  };
  round();
  const ns = Array.from({ length: ROUNDS }, round).sort((a, b) => a - b);
  console.log(`${"settle, 1,000 budgets, 5 + 1 match".padEnd(46)} ${ns[ROUNDS >> 1]!.toFixed(0).padStart(5)} ns/settle`);
}

measure("no budgets (inactive)", await control(false), requests(true));
const full = await control(true);
measure("1,000 budgets + 100 rate limits, none match", full, requests(false));
measure("1,000 budgets + 100 rate limits, 5 + 1 match", full, requests(true));
measureSettle(full, requests(true));
