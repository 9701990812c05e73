/**
 * @module Cost of syncing spend with the other instances (`Control.sync` on PostgreSQL; src/control/shared.ts):
 * ms per sync with 1,000 budgets (160 of them rolling) + 100 rate limits, with and without spend to push (1,024
 * settled requests between syncs), on a throwaway local cluster. Also `settle` per call with outboxes.
 * Run: `node_modules/.bin/bun bench/control-sync.ts` (or `node_modules/.bin/deno run -A bench/control-sync.ts`).
 */
import postgres from "postgres";
import { createControl } from "../src/control/control.ts";
import { parseBudget, parseRateLimit } from "../src/control/definitions.ts";
import type { Attributes, Budget, RateLimit } from "../src/control/types.ts";
import { PG_CONTROL_MIGRATIONS } from "../src/store/pg/control-schema.ts";
import { createPgControlStore } from "../src/store/pg/control-store.ts";
import { startPostgres } from "../test/_helpers/postgres.ts";

const SYNCS = 200;

function budgets(): Budget[] {
  const out: unknown[] = [];
  const windows = ["day", "week", "month", "24h", "7d"];
  for (let i = 0; i < 400; i++) out.push({ id: `key-${i}`, scope: { key_id: `k${i}` }, window: windows[i % 5], limit_usd: "100" });
  for (let i = 0; i < 300; i++) out.push({ id: `proj-${i}`, scope: { project: `p${i}` }, window: "month", limit_usd: "500" });
  for (let i = 0; i < 200; i++) out.push({ id: `pm-${i}`, scope: { project: `p${i}`, model: `m${i % 10}` }, window: "day", limit_usd: "50" });
  for (let i = 0; i < 100; i++) out.push({ id: `user-${i}`, scope: { user: `u${i}` }, window: "week", limit_tokens: 1e8 });
  return out.map(parseBudget);
}

function rateLimits(): RateLimit[] {
  return Array.from({ length: 100 }, (_, i) => parseRateLimit({ id: `rl-${i}`, scope: { key_id: `k${i}` }, rpm: 1e9 }));
}

const requests: Attributes[] = Array.from({ length: 1024 }, (_, i) => ({
  key_id: `k${i % 100}`, user: `u${i % 100}`, project: `p${i % 200}`, provider: "openai", model: `m${i % 200 % 10}`, tags: [],
}));

const pg = await startPostgres();
const sql = postgres(pg.url, { max: 4, onnotice: () => {} });
try {
  await sql.unsafe(`CREATE TABLE requests (id TEXT PRIMARY KEY, ts TEXT NOT NULL, provider TEXT NOT NULL, model TEXT,
    outcome TEXT NOT NULL, total_tokens BIGINT, cost_pico BIGINT, key_id TEXT, "user" TEXT, project TEXT,
    tags TEXT NOT NULL DEFAULT '[]')`);
  for (const m of PG_CONTROL_MIGRATIONS) await sql.unsafe(m);
  const store = createPgControlStore(sql);
  const control = createControl({
    store, shared: store, now: Date.now, isPriced: () => true, events: { threshold() {}, blocked() {}, settled() {} },
  });
  const t0 = performance.now();
  await control.load(budgets(), rateLimits());
  console.log(`load (opens 1,000 budgets' counters)            ${(performance.now() - t0).toFixed(0)} ms`);

  const settleAll = () => {
    const t = performance.now();
    for (const a of requests) {
      control.check(a, Date.now());
      control.settle({ attributes: a, at: Date.now(), cost_pico: 750_000_000, total_tokens: 2000, model: a.model, priced: true, blocked: false });
    }
    return ((performance.now() - t) * 1e6) / requests.length;
  };
  const time = async (label: string, withSpend: boolean) => {
    const ms: number[] = [];
    const ns: number[] = [];
    for (let i = 0; i < SYNCS; i++) {
      if (withSpend) ns.push(settleAll());
      const t = performance.now();
      await control.sync!();
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    const med = ms[SYNCS >> 1]!;
    const extra = withSpend ? `; check+settle ${ns.sort((a, b) => a - b)[SYNCS >> 1]!.toFixed(0)} ns/request` : "";
    console.log(`${label.padEnd(48)} ${med.toFixed(1)} ms/sync (p90 ${ms[Math.floor(SYNCS * 0.9)]!.toFixed(1)})${extra}`);
  };
  const local = createControl({
    store, now: Date.now, isPriced: () => true, events: { threshold() {}, blocked() {}, settled() {} },
  });
  await local.load(budgets(), rateLimits());
  const perRequest: number[] = [];
  for (let i = 0; i < SYNCS; i++) {
    const t = performance.now();
    for (const a of requests) {
      local.check(a, Date.now());
      local.settle({ attributes: a, at: Date.now(), cost_pico: 750_000_000, total_tokens: 2000, model: a.model, priced: true, blocked: false });
    }
    perRequest.push(((performance.now() - t) * 1e6) / requests.length);
  }
  console.log(`check+settle without shared counters (SQLite)    ${perRequest.sort((a, b) => a - b)[SYNCS >> 1]!.toFixed(0)} ns/request`);
  await time("sync, nothing to push (reads 1,100 windows)", false);
  await time("sync after 1,024 requests (pushes their buckets)", true);
} finally {
  await sql.end({ timeout: 5 });
  pg.close();
}
