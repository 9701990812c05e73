/**
 * The dashboard's first complete render in headless Chromium (issue 24: ≤ 1.5 s at 10^7 records) on a store seeded
 * by bench/seed.ts. Starts `kestrel serve` from source on that file, then opens the dashboard: one cold load (the
 * server just started, a fresh browser profile) and `--runs` warm loads (a fresh browser context each, so no HTTP
 * cache). "Complete" is the page's own mark, `document.body.dataset.ready` (src/dashboard/ready.ts): every panel's
 * data loaded and drawn, the chart included; its value is milliseconds since navigation started. For the median
 * run it prints each /api call's start and end (Resource Timing), then each call timed alone, one after the other,
 * to tell a slow query from a request that waited for another. The mark holds the page's own time, so the bench polls
 * for it only every 100 ms (polling adds work to the page it measures).
 *
 *   bun bench/dashboard-render.ts --store sqlite:/tmp/big.db [--runs 5] [--preset 24h|7d|30d]
 * (with --preset 7d or 30d the time is from the click on that range's button, the 24-hour view drawn before)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const args = process.argv.slice(2);
const get = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
};
const store = get("store");
if (store === undefined || !store.startsWith("sqlite:")) {
  console.error("Usage: bun bench/dashboard-render.ts --store sqlite:PATH [--runs 5] [--preset 24h|7d|30d]");
  process.exit(2);
}
const runs = Number(get("runs") ?? 5);
const preset = get("preset") ?? "24h";
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TOKEN = "bench-dashboard-token";
// A function, not text: the page's Content-Security-Policy forbids the eval a text predicate needs.
// Self-contained (serialized into the page); typed without the DOM library.
type Doc = { document: { body: { dataset: Record<string, string | undefined> } } };
const isReady = () => (globalThis as unknown as Doc).document.body.dataset.ready !== undefined;
const notReady = () => (globalThis as unknown as Doc).document.body.dataset.ready === undefined;

function serve(): Promise<{ url: string; proc: ChildProcess; startMs: number }> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [`${ROOT}src/entry/bun.ts`, "serve", "--port", "0", "--store", store!, "--admin-token", TOKEN], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, proc, startMs: performance.now() - t0 });
    });
    proc.once("exit", (code) => reject(new Error(`kestrel exited (${code}):\n${out}`)));
  });
}

interface Load {
  /** Navigation start → the page's ready mark, page clock. */
  readyMs: number;
  /** page.goto called → the mark seen, bench clock (includes playwright's round trips). */
  wallMs: number;
  calls: { name: string; start: number; end: number }[];
  /** The renderer's busy time until the mark (CDP Performance metrics, ms): script, layout, style, all tasks. */
  busy: Record<string, number>;
}

const server = await serve();
// A failed run must not leave the server behind.
process.on("exit", () => void server.proc.kill("SIGTERM"));
console.error(`kestrel serve on ${store}: listening after ${server.startMs.toFixed(0)} ms`);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync"],
});

async function load(): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // The token as the prompt would keep it (src/dashboard/api.ts), and the range preset the run measures.
  await context.addInitScript(`sessionStorage.setItem("kestrel.adminToken", ${JSON.stringify(TOKEN)})`);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  let t0 = performance.now();
  await page.goto(server.url);
  // Another preset: from the click on its button (page clock) to the mark, after the 24-hour view has drawn.
  let from = 0;
  if (preset !== "24h") {
    await page.waitForFunction(isReady, undefined, { timeout: 120_000 });
    await page.evaluate("performance.clearResourceTimings()");
    t0 = performance.now();
    from = Number(await page.evaluate("performance.now()"));
    await page.getByRole("button", { name: preset === "7d" ? "7 days" : "30 days" }).click();
    await page.waitForFunction(notReady, undefined, { timeout: 10_000 }).catch(() => {});
  }
  await page.waitForFunction(isReady, undefined, { timeout: 120_000, polling: 100 });
  const wallMs = performance.now() - t0;
  const readyMs = Number(await page.evaluate("document.body.dataset.ready")) - from;
  // The page itself (document, script, stylesheet, DOMContentLoaded) and every /api call.
  const calls = await page.evaluate(`[
    ...performance.getEntriesByType("navigation").flatMap((e) => [
      { name: "(document)", start: Math.round(e.startTime), end: Math.round(e.responseEnd) },
      { name: "(DOMContentLoaded)", start: Math.round(e.domContentLoadedEventStart), end: Math.round(e.domContentLoadedEventEnd) },
    ]),
    ...performance.getEntriesByType("mark").map((e) => ({ name: "(" + e.name + ")", start: Math.round(e.startTime), end: Math.round(e.startTime) })),
    ...performance.getEntriesByType("resource").map((e) => ({ name: new URL(e.name).pathname + new URL(e.name).search,
      start: Math.round(e.startTime), end: Math.round(e.responseEnd) })),
  ]`) as Load["calls"];
  const { metrics } = await cdp.send("Performance.getMetrics");
  const busy: Record<string, number> = {};
  for (const m of metrics) if (/^(Script|Layout|RecalcStyle|Task)Duration$/.test(m.name)) busy[m.name.replace("Duration", "")] = Math.round(m.value * 1000);
  await context.close();
  return { readyMs, wallMs, calls, busy };
}

const cold = await load();
const warm: Load[] = [];
for (let i = 0; i < runs; i++) warm.push(await load());
const sorted = [...warm].sort((a, b) => a.readyMs - b.readyMs);
const median = sorted[Math.floor(sorted.length / 2)]!;
const f = (ms: number) => `${Math.round(ms).toLocaleString("en-US")} ms`;
console.log(`preset ${preset}: cold ${f(cold.readyMs)} (wall ${f(cold.wallMs)}); warm median of ${runs} ${f(median.readyMs)} (wall ${f(median.wallMs)}), all: ${warm.map((l) => Math.round(l.readyMs)).join(", ")}`);
const waterfall = (l: Load, title: string) => {
  console.log(`${title}: the page and its /api calls, ms since navigation (start → end); renderer busy (ms): ${JSON.stringify(l.busy)}`);
  for (const c of [...l.calls].sort((a, b) => a.start - b.start)) console.log(`  ${String(c.start).padStart(6)} → ${String(c.end).padStart(6)}  ${c.name}`);
};
waterfall(cold, "cold");
waterfall(median, "median warm");

// Each call alone: what the query costs without waiting behind the others.
console.log("each call alone (median of 3, sequential)");
for (const c of median.calls.filter((c) => c.name.startsWith("/api/"))) {
  const t: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    const res = await fetch(`${server.url}${c.name}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await res.arrayBuffer();
    t.push(performance.now() - s);
  }
  console.log(`  ${f(t.sort((a, b) => a - b)[1]!).padStart(9)}  ${c.name}`);
}
await browser.close();
server.proc.kill("SIGTERM");
