// Units by kind in a real browser (issue 23, docs/architecture.md §14 and §21): records with characters, audio,
// images, search queries and request fees written through the real store (its flusher keeps the rollup
// /api/usage reads), a Kestrel serving that file, and the dashboard showing each unit's sum — only for a range
// that has any — and a record's breakdown naming each unit's cost.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before } from "node:test";
import type { Browser, Page } from "playwright-core";
import { createStore } from "../../src/store/store.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { CHROMIUM, chromiumMissing, testNeeding } from "../_helpers/host.ts";
import { type Kestrel, startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { until } from "../_helpers/poll.ts";
import { idFor, makeRecord, runtimeDriver } from "../store/helpers.ts";

const TOKEN = "units-t0ken";
const HOUR = 3_600_000;
const missing = chromiumMissing();
const ZERO_COUNTS = {
  input_tokens: 0, output_tokens: 0, total_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0,
  cache_write_1h_tokens: 0, reasoning_tokens: 0, audio_input_tokens: 0, audio_output_tokens: 0, web_search_requests: 0,
  characters: 0, audio_ms: 0, images: 0, search_queries: 0, request_fees: 0,
};

/** A unit record `hoursAgo` hours back, priced as `breakdown` says (USD per cost class; pico-USD = the sum). */
function unitRecord(i: number, hoursAgo: number, over: Partial<UsageRecord>, breakdown: Record<string, string>): UsageRecord {
  const ms = Date.now() - hoursAgo * HOUR;
  const pico = Object.values(breakdown).reduce((sum, usd) => sum + BigInt(Math.round(Number(usd) * 1e12)), 0n);
  return makeRecord(i, {
    ...ZERO_COUNTS,
    id: idFor(i, ms),
    ts: new Date(ms).toISOString(),
    usage_native: null,
    cost_pico: Number(pico),
    cost_usd: Object.values(breakdown)[0]!,
    cost_breakdown: breakdown,
    ...over,
  });
}

// Rates as in test/e2e/units.test.ts: tts-1 $15 / 1M characters, whisper-1 $0.0001 / s, dall-e-3 $0.04 an image,
// Cohere rerank $0.002 a search; a request fee of $0.005.
const RECORDS: UsageRecord[] = [
  makeRecord(1, { id: idFor(1, Date.now() - 2 * HOUR), ts: new Date(Date.now() - 2 * HOUR).toISOString() }),
  unitRecord(2, 1, { model: "tts-1", path: "/v1/audio/speech", characters: 1500, usage_source: "request" }, { characters: "0.0225" }),
  unitRecord(3, 3, { model: "tts-1", path: "/v1/audio/speech", characters: 2000, usage_source: "request" }, { characters: "0.03" }),
  unitRecord(4, 4, { model: "whisper-1", path: "/v1/audio/transcriptions", audio_ms: 8470 }, { audio_ms: "0.000847" }),
  unitRecord(5, 5, { model: "whisper-1", path: "/v1/audio/transcriptions", audio_ms: 61_005 }, { audio_ms: "0.0061005" }),
  unitRecord(6, 6, { model: "dall-e-3", path: "/v1/images/generations", images: 2, usage_source: "request" }, { images: "0.08" }),
  unitRecord(7, 7, { provider: "cohere", model: "rerank-v3.5", path: "/v2/rerank", search_queries: 1 }, { search_queries: "0.002" }),
  unitRecord(8, 8, { provider: "perplexity-ai", model: "sonar", request_fees: 1 }, { request_fees: "0.005" }),
  unitRecord(9, 9, { provider: "perplexity-ai", model: "sonar", request_fees: 1 }, { request_fees: "0.005" }),
  // Three days back: in the 7-day range, not the 24-hour one.
  unitRecord(10, 72, { model: "dall-e-3", path: "/v1/images/generations", images: 4, usage_source: "request" }, { images: "0.16" }),
];

let kestrel: Kestrel;
let browser: Browser | null = null;

before(async () => {
  if (missing !== null) return;
  const path = join(tempDir(), "units.db");
  const store = createStore((await runtimeDriver()).open(path));
  for (const r of RECORDS) store.add(r);
  await store.flush();
  await store.close();
  kestrel = await startKestrel(["--store", `sqlite:${path}`, "--admin-token", TOKEN]);
});

after(async () => {
  await browser?.close();
  await kestrel?.stop();
});

type Totals = Record<"requests" | "characters" | "audio_ms" | "images" | "search_queries" | "request_fees", number>;

async function total(query: string): Promise<Totals> {
  const res = await fetch(`${kestrel.url}/api/usage?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { total: Totals }).total;
}

/** The units table as {unit: shown text}; {} when the panel has no units table. */
async function unitsShown(page: Page): Promise<Record<string, string>> {
  const rows = page.locator("[data-testid=units] tr");
  const out: Record<string, string> = {};
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    out[(await row.getAttribute("data-unit")) ?? "?"] = `${await row.locator("th").textContent()}: ${await row.locator("td").textContent()}`;
  }
  return out;
}

// The page's mark that every panel has drawn (src/dashboard/ready.ts). A function, not text: the page's
// Content-Security-Policy forbids the eval a text predicate needs. Self-contained, typed without the DOM library.
type Doc = { document: { body: { dataset: Record<string, string | undefined> } } };
const isReady = () => (globalThis as unknown as Doc).document.body.dataset.ready !== undefined;

async function unitsAre(page: Page, want: Record<string, string>): Promise<void> {
  let seen: Record<string, string> = {};
  await until(`units ${JSON.stringify(want)}`, async () => {
    await page.waitForFunction(isReady);
    seen = await unitsShown(page);
    return JSON.stringify(seen) === JSON.stringify(want);
  }, { detail: () => JSON.stringify(seen) });
}

testNeeding("dashboard in Chromium: units by kind summed from /api/usage, each unit's cost named", missing, async () => {
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
      "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems: string[] = [];
  page.on("pageerror", (e) => void problems.push(e.message));
  await page.addInitScript(`sessionStorage.setItem("kestrel.adminToken", ${JSON.stringify(TOKEN)})`);
  await page.goto(kestrel.url);

  // 24 hours: every unit but the old images; sums as /api/usage gives them (and as written above).
  const day = await total("since=24h");
  assert.deepEqual([day.characters, day.audio_ms, day.images, day.search_queries, day.request_fees], [3500, 69_475, 2, 1, 2]);
  await unitsAre(page, {
    characters: "Characters (text to speech): 3,500",
    audio_ms: "Audio transcribed: 69.475 s",
    images: "Images generated: 2",
    search_queries: "Search queries: 1",
    request_fees: "Per-request fees: 2",
  });
  assert.match((await page.locator("#kinds-h").textContent()) ?? "", /^Units by kind$/);

  // 7 days: the older images too.
  await page.getByRole("button", { name: "7 days" }).click();
  assert.equal((await total("since=7d")).images, 6);
  await unitsAre(page, {
    characters: "Characters (text to speech): 3,500",
    audio_ms: "Audio transcribed: 69.475 s",
    images: "Images generated: 6",
    search_queries: "Search queries: 1",
    request_fees: "Per-request fees: 2",
  });

  // Grouped by provider: the same sums (the panel reads the range's total, whatever the grouping).
  await page.getByLabel("Group by").selectOption("provider");
  await unitsAre(page, {
    characters: "Characters (text to speech): 3,500",
    audio_ms: "Audio transcribed: 69.475 s",
    images: "Images generated: 6",
    search_queries: "Search queries: 1",
    request_fees: "Per-request fees: 2",
  });

  // A range with no units: no units table, the token classes still shown.
  await page.getByRole("button", { name: "Custom" }).click();
  await page.getByLabel("From", { exact: true }).fill("2020-01-01");
  await page.getByLabel("To", { exact: true }).fill("2020-01-02");
  await page.getByRole("button", { name: "Show" }).click();
  await until("the empty range shown", async () => (await page.locator("[data-testid=total-requests]").textContent()) === "0");
  await unitsAre(page, {});
  assert.equal(await page.locator("[data-testid=token-kinds] tr").count(), 7);

  // One record opened: its usage in plain units, its breakdown naming the unit's cost.
  await page.getByRole("button", { name: "7 days" }).click();
  const whisper = page.locator("[data-testid=requests] tbody tr", { hasText: "whisper-1" }).first();
  await until("the request list", async () => (await whisper.count()) === 1);
  await whisper.getByRole("button").click();
  const detail = page.locator("[data-testid=detail]");
  await until("the whisper record opened", async () => ((await page.locator("[data-testid=breakdown]").textContent()) ?? "").length > 0);
  const id = await whisper.getAttribute("data-id");
  const record = RECORDS.find((r) => r.id === id)!;
  const breakdown = (await page.locator("[data-testid=breakdown] tr").allTextContents()).map((t) => t.trim());
  assert.deepEqual(breakdown, [`Audio transcribed (seconds)${record.cost_breakdown!.audio_ms}`]);
  assert.ok(((await detail.textContent()) ?? "").includes(`Audio transcribed${(record.audio_ms! / 1000).toString()} s`));

  await page.getByRole("button", { name: "Close" }).click();
  const tts = page.locator("[data-testid=requests] tbody tr", { hasText: "tts-1" }).first();
  await tts.getByRole("button").click();
  await until("the tts record's breakdown", async () =>
    /^Characters \(text to speech\)0\.0(225|3)$/.test(((await page.locator("[data-testid=breakdown] tr").first().textContent()) ?? "").trim()));

  assert.deepEqual(problems, [], "no script errors");
});
