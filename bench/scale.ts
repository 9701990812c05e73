/**
 * Records at scale (issue 24) on a database filled by bench/seed.ts: report, listing and export times, the event
 * loop's delay while reports loop on the reader worker, inserts/s into the full table, and disk per 10^6 records
 * with and without the raw rows. Prints Markdown rows for BENCHMARKS.md.
 *
 *   bun bench/scale.ts --db ./big.db [--seconds 10] [--reads-only] [--batch 10000] [--inserts 200000]
 *
 * Reads run as `kestrel serve` runs them: through the reader worker (src/store/worker/read-client.ts) over the
 * runtime's SQLite driver; the query timings are the worker's answer times seen from the main thread.
 */
import { statSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { createStore } from "../src/store/store.ts";
import { withReadWorker } from "../src/store/worker/read-client.ts";
import type { WorkerHandle } from "../src/store/worker/protocol.ts";
import type { OpenSqlite } from "../src/store/db.ts";
import { seedRecords } from "./seed.ts";
import { LEVELS } from "../src/store/rollup-levels.ts";

const args = process.argv.slice(2);
const get = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
};
const path = get("db");
if (path === undefined) {
  console.error("Usage: bun bench/scale.ts --db PATH [--seconds 10]");
  process.exit(2);
}
const seconds = Number(get("seconds") ?? 10);
const IS_BUN = "Bun" in globalThis;
const open: OpenSqlite = IS_BUN
  ? (await import("../src/entry/sqlite-bun.ts")).openSqlite
  : (await import("../src/entry/sqlite-node.ts")).openSqlite;
const workerFile = IS_BUN ? "store-worker-bun.ts" : "store-worker-deno.ts";
const startWorker = () =>
  new Worker(new URL(`../src/entry/${workerFile}`, import.meta.url).href, { type: "module" }) as unknown as WorkerHandle;

const main = createStore(open(path));
const store = withReadWorker(main, startWorker(), { path });
const count = (sql: string) => {
  const db = open(path);
  const n = Number(db.prepare(sql).get()!.n);
  db.close();
  return n;
};
const records = count("SELECT count(*) AS n FROM requests");
const rollupRows = count("SELECT count(*) AS n FROM usage_rollup");
const levelRows = LEVELS.map((l) => count(`SELECT count(*) AS n FROM ${l.table}`));
const now = Date.now();
const ago = (days: number) => new Date(now - days * 86_400_000).toISOString();
const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;

async function timeIt(fn: () => Promise<unknown>, runs = 5): Promise<{ median: number; max: number }> {
  await fn(); // warm
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return { median: p(t, 0.5), max: Math.max(...t) };
}

const rows: [string, string][] = [];
const row = (what: string, value: string) => {
  // The machine is shared: every figure carries the load average when it was taken.
  const load = `load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`;
  rows.push([what, `${value} (${load})`]);
  console.error(`${what}: ${value} (${load})`);
};
row(
  `records / rollup rows: quarter hour, ${LEVELS.map((l) => l.table.replace("usage_rollup_", "")).join(", ")}`,
  `${records.toLocaleString("en-US")} / ${[rollupRows, ...levelRows].map((n) => n.toLocaleString("en-US")).join(", ")}`,
);

const u30 = await timeIt(() => store.usage({ since: ago(30) }, "model"));
row("/api/usage?since=30d&group_by=model", `${ms(u30.median)} (max ${ms(u30.max)})`);
const u7 = await timeIt(() => store.usage({ since: ago(7) }, ["hour", "model"]));
row("/api/usage?since=7d&group_by=hour,model", `${ms(u7.median)} (max ${ms(u7.max)})`);
const u90 = await timeIt(() => store.usage({}, "user"), 3);
row("/api/usage (all time) group_by=user", `${ms(u90.median)} (max ${ms(u90.max)})`);
const first = await timeIt(() => store.listRequests({}, { limit: 50, before: null }));
row("/api/requests first page (50)", ms(first.median));
const mid = (await store.listRequests({ until: ago(45) }, { limit: 1, before: null })).requests[0]!;
const deep = await timeIt(() => store.listRequests({}, { limit: 50, before: { ts: mid.ts, id: mid.id } }));
row("/api/requests page at 45 days back (keyset)", ms(deep.median));
const filtered = await timeIt(() => store.listRequests({ user: "user-300" }, { limit: 50, before: null }));
row("/api/requests?user=(rare user) first page", ms(filtered.median));

// Event-loop delay: a 1 ms interval's lateness, idle, then while reports loop back to back on the worker.
async function loopDelay(busy: boolean): Promise<number> {
  const lags: number[] = [];
  let stop = false;
  const looping = (async () => {
    while (busy && !stop) {
      await store.usage({ since: ago(30) }, "model");
      await store.usage({ since: ago(7) }, ["hour", "model"]);
      await store.listRequests({}, { limit: 50, before: null });
    }
  })();
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const s = performance.now();
    await new Promise((r) => setTimeout(r, 1));
    lags.push(performance.now() - s - 1);
  }
  stop = true;
  await looping;
  return p(lags, 0.99);
}
const idle = await loopDelay(false);
const busy = await loopDelay(true);
row("event-loop delay p99: idle / reports looping on the reader worker", `${ms(idle)} / ${ms(busy)}`);

// Export through the worker, page by page: rate and RSS.
const rss0 = process.memoryUsage().rss;
let rssMax = rss0;
let exported = 0;
const es = performance.now();
for await (const page of store.exportRows({ since: ago(30) })) {
  exported += page.length;
  if (exported % 100_000 < page.length) rssMax = Math.max(rssMax, process.memoryUsage().rss);
}
const rate = exported / ((performance.now() - es) / 1000);
row("export (30 days, pages of 1,000 over the worker)", `${exported.toLocaleString("en-US")} records at ${Math.round(rate).toLocaleString("en-US")}/s, RSS ${Math.round(rss0 / 2 ** 20)} → max ${Math.round(rssMax / 2 ** 20)} MB`);
await store.close();

const readsOnly = args.includes("--reads-only");
// Inserts into the full table, rollups on: more records through the store's flusher, in seed.ts's batches.
if (!readsOnly) {
  const batchSize = Number(get("batch") ?? 10_000);
  const total = Number(get("inserts") ?? 200_000);
  const writer = createStore(open(path), { batchSize, maxQueue: Math.max(100_000, batchSize * 2) });
  const tag = `Z${now.toString(36)}`; // a prefix no earlier run used: every record is a new row
  // After the newest record, ascending, as serve appends (records inside the seeded range would each land on a leaf
  // of their own in every index: a load no proxy makes). The span is what is left up to now, so it is dense.
  const probe = open(path);
  const newest = Date.parse(String(probe.prepare("SELECT MAX(ts) AS ts FROM requests").get()!.ts));
  probe.close();
  const days = Math.max(60_000, Date.now() - newest) / 86_400_000;
  const t0 = performance.now();
  let n = 0;
  for (const page of seedRecords({ records: total, days, seed: 7, now: newest + days * 86_400_000 }, batchSize)) {
    for (const r of page) writer.add({ ...r, id: `${tag}${r.id}` });
    n += page.length;
    await writer.flush();
  }
  const rate = n / ((performance.now() - t0) / 1000);
  await writer.close();
  row(`inserts/s at ${records.toLocaleString("en-US")} rows, rollups on, ${batchSize.toLocaleString("en-US")}-record batches`, `${Math.round(rate).toLocaleString("en-US")}/s`);
}

// Disk: the file, and what it would be without the raw rows: every b-tree's pages (dbstat) less `requests` and its
// indexes — what a VACUUM after `DELETE FROM requests` leaves, without copying and rewriting a file of many GB.
if (!readsOnly) {
  const db = open(path);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const raw = Number(db.prepare(`SELECT COALESCE(SUM(pgsize), 0) AS n FROM dbstat
    WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name = 'requests')`).get()!.n);
  const rollups = Number(db.prepare(`SELECT COALESCE(SUM(pgsize), 0) AS n FROM dbstat
    WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name LIKE 'usage_rollup%')`).get()!.n);
  db.close();
  const total = statSync(path).size;
  const n = count("SELECT count(*) AS n FROM requests");
  const rollupOnly = total - raw;
  const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString("en-US")} MB`;
  const per = (bytes: number) => mb((bytes / n) * 1e6);
  row(
    "disk per 10^6 records: with raw rows / rollups only",
    `${per(total)} / ${per(rollupOnly)} (${mb(total)} / ${mb(rollupOnly)} for ${n.toLocaleString("en-US")}; the rollup tables ${mb(rollups)})`,
  );
}

console.log(rows.map(([a, b]) => `| ${a} | ${b} |`).join("\n"));
