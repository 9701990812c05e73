// The dashboard in a real browser (playwright-core driving the system's Chromium): a Kestrel filled with known
// records through the mock upstream; the token prompt, totals equal to /api/usage, range and grouping switches, a
// filtered request list, one request opened in full, and screenshots at desktop and phone size in test-artifacts/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before } from "node:test";
import type { Browser, Page } from "playwright-core";
import { CHROMIUM, chromiumMissing, testNeeding } from "../_helpers/host.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { ROOT } from "../_helpers/runtime.ts";

const TOKEN = "dash-t0ken";
const ARTIFACTS = join(ROOT, "test-artifacts");

const missing = chromiumMissing();

/** What the mock answers for each model: OpenAI or Anthropic shaped usage; "boom" fails upstream. */
function answer(path: string, model: string, n: number): { status: number; body: unknown } {
  if (model === "boom") return { status: 500, body: { error: { message: "upstream exploded" } } };
  if (path.includes("/messages")) {
    return {
      status: 200,
      body: {
        id: `msg_${n}`,
        type: "message",
        role: "assistant",
        model,
        content: [{ type: "text", text: "hi" }],
        stop_reason: "end_turn",
        usage: { input_tokens: 200, output_tokens: 80, cache_read_input_tokens: 1000, cache_creation_input_tokens: 300 },
      },
    };
  }
  return {
    status: 200,
    body: {
      id: `chatcmpl-${n}`,
      object: "chat.completion",
      model,
      choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
      usage: {
        prompt_tokens: 1000 + n,
        completion_tokens: 100 + n,
        total_tokens: 1100 + 2 * n,
        prompt_tokens_details: { cached_tokens: 256 },
        completion_tokens_details: { reasoning_tokens: 10 },
      },
    },
  };
}

/** [provider path, model, user, project] of every request sent. */
const SENT: [string, string, string, string][] = [
  ["/openai/v1/chat/completions", "gpt-4o", "alice", "web"],
  ["/openai/v1/chat/completions", "gpt-4o", "bob", "web"],
  ["/openai/v1/chat/completions", "gpt-4o-mini", "bob", "api"],
  ["/openai/v1/chat/completions", "gpt-4o-mini", "carol", "api"],
  ["/openai/v1/chat/completions", "gpt-4o-mini", "carol", "batch"],
  ["/anthropic/v1/messages", "claude-sonnet-4-5", "alice", "api"],
  ["/anthropic/v1/messages", "claude-sonnet-4-5", "dave", "web"],
  ["/openai/v1/chat/completions", "my-private-model", "erin", "lab"],
  ["/openai/v1/chat/completions", "boom", "bob", "web"],
];

let mock: Mock;
let kestrel: Kestrel;
let browser: Browser | null = null;

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${kestrel.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200, path);
  return await res.json() as T;
}

interface Totals {
  requests: number;
  cost_usd: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
}
interface Usage {
  groups: (Totals & { key: string | null })[];
  total: Totals;
}

before(async () => {
  if (missing !== null) return;
  let n = 0;
  mock = await startMock((req, res, body) => {
    const model = String(JSON.parse(body.toString("utf8")).model);
    const { status, body: out } = answer(req.url ?? "", model, n++);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(out));
  });
  kestrel = await startKestrel([
    "--admin-token",
    TOKEN,
    "--upstream",
    `openai=${mock.url}`,
    "--upstream",
    `anthropic=${mock.url}`,
  ]);
  // A budget (alert only, so nothing is refused) and a rate limit, to be shown filling up.
  for (const [path, body] of [
    ["/api/budgets/daily-spend", { window: "day", limit_usd: "0.02", action: "alert", scope: {} }],
    ["/api/rate-limits/openai-rpm", { scope: { provider: "openai" }, rpm: 600, tpm: null }],
  ] as const) {
    const res = await fetch(`${kestrel.url}${path}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, `${path}: ${await res.text()}`);
  }
  for (const [path, model, user, project] of SENT) {
    const res = await fetch(`${kestrel.url}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer sk-test-${user}`,
        "x-api-key": `sk-ant-${user}`,
        "anthropic-version": "2023-06-01",
        "x-kestrel-user": user,
        "x-kestrel-project": project,
      },
      body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
    });
    await res.arrayBuffer();
  }
  await until("every record stored", async () => (await api<Usage>("/api/usage")).total.requests === SENT.length);
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await kestrel?.stop();
  await mock?.close();
});

const count = (n: number) => n.toLocaleString("en-US");
const text = async (page: Page, selector: string) => (await page.locator(selector).first().textContent())?.trim() ?? "";

/** Waits until the totals cards show what /api/usage answers for the same query. */
async function totalsMatch(page: Page, query: string): Promise<void> {
  const { total } = await api<Usage>(`/api/usage?${query}`);
  await until(`totals for ${query}`, async () =>
    (await text(page, "[data-testid=total-requests]")) === count(total.requests) &&
    (await text(page, "[data-testid=total-cost-exact]")) === total.cost_usd, {
    detail: () => `want ${total.requests} requests, ${total.cost_usd} USD`,
  });
  assert.equal(await text(page, "[data-testid=total-tokens]"), count(total.input_tokens + total.output_tokens));
}

/** The first column of the top-10 table, once it lists exactly `keys`. */
async function topKeysAre(page: Page, keys: string[]): Promise<void> {
  const shown = () => page.locator("[data-testid=top-table] tbody tr td:first-child").allTextContents();
  await until(`top table ${keys.join(",")}`, async () => JSON.stringify(await shown()) === JSON.stringify(keys), {
    detail: () => "",
  });
}

testNeeding("dashboard in Chromium: token, totals, range, grouping, filters, one request, screenshots", missing, async () => {
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
      "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const outside: string[] = [];
  const problems: string[] = [];
  // (page.evaluate takes expressions as text: the test files are type-checked without the DOM library.)
  page.on("request", (r) => void (!r.url().startsWith(kestrel.url) && outside.push(r.url())));
  page.on("pageerror", (e) => void problems.push(e.message));
  // The console says only "404"; the response says which URL (401s are the token prompt's doing).
  page.on("console", (m) => void (m.type() === "error" && !/status of 401/.test(m.text()) && problems.push(m.text())));
  page.on("response", (r) => void (r.status() >= 400 && r.status() !== 401 && problems.push(`${r.status()} ${r.url()}`)));

  // No token yet: the API answers 401 and the dashboard asks for one; a wrong one is refused.
  await page.goto(kestrel.url);
  await page.getByLabel("Admin token").fill("wrong");
  await page.getByRole("button", { name: "Open dashboard" }).click();
  await page.getByText("That token was refused").waitFor();
  await page.getByLabel("Admin token").fill(TOKEN);
  await page.getByRole("button", { name: "Open dashboard" }).click();

  // Default range 24 h, grouped by model.
  await totalsMatch(page, "since=24h");
  const byModel = await api<Usage>("/api/usage?since=24h&group_by=model");
  await topKeysAre(page, byModel.groups.map((g) => g.key ?? "(none)"));
  assert.match(await text(page, "[data-testid=unpriced]"), /my-private-model — 1 request/);
  assert.equal(await page.locator(".uplot").count(), 1, "the spend chart is drawn");
  const { budgets } = await api<{ budgets: { spent_usd: string; resets_at: string }[] }>("/api/budgets");
  const budgetText = await text(page, "[data-testid=budgets]");
  assert.ok(budgetText.includes("daily-spend") && budgetText.includes(`resets ${budgets[0]!.resets_at.slice(0, 16).replace("T", " ")}`), budgetText);
  assert.match(budgetText, /of \$0\.02 \(\d+ %\)/);
  assert.match(await text(page, "[data-testid=rate-limits]"), /openai-rpm.*provider=openai.*600 requests \/ min/);
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-1280x800.png") });

  // The token is kept for the tab: a reload goes straight to the data.
  await page.reload();
  await totalsMatch(page, "since=24h");

  // Grouping by provider, then by project.
  await page.getByLabel("Group by").selectOption("provider");
  const byProvider = await api<Usage>("/api/usage?since=24h&group_by=provider");
  await topKeysAre(page, byProvider.groups.map((g) => g.key ?? "(none)"));
  await page.getByLabel("Group by").selectOption("project");
  const byProject = await api<Usage>("/api/usage?since=24h&group_by=project");
  await topKeysAre(page, byProject.groups.map((g) => g.key ?? "(none)"));

  // Range: 7 days, then a custom range covering today; then a custom range with nothing in it.
  // By keyboard: Tab reaches the range buttons (real buttons, in order) and Enter presses one.
  await page.evaluate("document.activeElement?.blur()");
  await until("focus on the 7 days button", async () => {
    await page.keyboard.press("Tab");
    return (await page.evaluate("document.activeElement?.textContent")) === "7 days";
  }, { timeoutMs: 10_000 });
  await page.keyboard.press("Enter");
  assert.equal(await page.getByRole("button", { name: "7 days" }).getAttribute("aria-pressed"), "true");
  await totalsMatch(page, "since=7d");
  const today = new Date().toISOString().slice(0, 10);
  await page.getByRole("button", { name: "Custom" }).click();
  await page.getByLabel("From", { exact: true }).fill("2020-01-01");
  await page.getByLabel("To", { exact: true }).fill(today);
  await page.getByRole("button", { name: "Show" }).click();
  await totalsMatch(page, `since=2020-01-01&until=${today}`);
  await page.getByLabel("From", { exact: true }).fill("2020-01-01");
  await page.getByLabel("To", { exact: true }).fill("2020-01-02");
  await page.getByRole("button", { name: "Show" }).click();
  await totalsMatch(page, "since=2020-01-01&until=2020-01-02");
  await page.getByRole("button", { name: "30 days" }).click();
  await totalsMatch(page, "since=30d");

  // The request list, filtered by model, then by outcome.
  const rows = page.locator("[data-testid=requests] tbody tr");
  const modelsShown = () => page.locator("[data-testid=requests] tbody tr td:nth-child(3)").allTextContents();
  await until("every request listed", async () => (await rows.count()) === SENT.length);
  await page.getByLabel("model", { exact: true }).fill("gpt-4o-mini");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await until("only gpt-4o-mini rows", async () => JSON.stringify(await modelsShown()) === JSON.stringify(["gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini"]));
  await page.getByRole("button", { name: "Clear" }).click();
  await page.getByLabel("outcome", { exact: true }).selectOption("upstream_error");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await until("only the failed request", async () => JSON.stringify(await modelsShown()) === JSON.stringify(["boom"]));
  await page.getByLabel("outcome", { exact: true }).selectOption("");
  await page.getByLabel("user", { exact: true }).fill("alice");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await until("alice's two requests", async () => (await rows.count()) === 2 && (await page.locator("[data-testid=requests] tbody tr td:nth-child(4)").allTextContents()).every((u) => u === "alice"));

  // One request opened in full: the claude one has cache reads and a cost breakdown.
  const claudeRow = rows.filter({ hasText: "claude-sonnet-4-5" });
  const id = await claudeRow.getAttribute("data-id");
  assert.ok(id);
  const record = await api<{ cost_usd: string; usage_native: Record<string, unknown>; cost_breakdown: Record<string, string> }>(
    `/api/requests/${encodeURIComponent(id)}`,
  );
  await claudeRow.getByRole("button").focus();
  await page.keyboard.press("Enter");
  const detail = page.locator("[data-testid=detail]");
  await until("the request's detail", async () => (await text(page, "[data-testid=detail-cost]")) === `${record.cost_usd} USD`);
  const detailText = (await detail.textContent()) ?? "";
  assert.match(detailText, /cache_read_input_tokens/, "native usage shown");
  for (const value of Object.values(record.cost_breakdown)) assert.ok(detailText.includes(value), `breakdown ${value}`);
  assert.match(detailText, /First byte/);
  // Focus moves to the detail's heading, for keyboard and screen-reader users.
  assert.equal(await page.evaluate("document.activeElement?.id"), "detail-h");
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-request-1280x800.png") });

  // The keys panel (issue 21): create shows the secret once; the key is listed and can be disabled.
  await page.getByLabel("name", { exact: true }).fill("dash-laptop");
  await page.getByLabel("models", { exact: true }).fill("gpt-4o-mini");
  await page.getByLabel("USD a month", { exact: true }).fill("20");
  await page.getByRole("button", { name: "Create key" }).click();
  await until("the new secret shown", async () => /ksk_[0-9A-Za-z]{32}/.test(await text(page, "[data-testid=new-secret]")));
  const keyRow = page.locator("[data-testid=keys] tbody tr", { hasText: "dash-laptop" });
  await until("the key listed", async () => (await keyRow.count()) === 1);
  await page.getByRole("button", { name: "Done" }).click();
  await keyRow.getByRole("button", { name: "Disable" }).click();
  await until("the key disabled", async () => ((await keyRow.textContent()) ?? "").includes("(disabled)"));
  const listed = await api<{ keys: { name: string; disabled: boolean }[] }>("/api/keys");
  assert.ok(listed.keys.some((k) => k.name === "dash-laptop" && k.disabled));

  // Phone size: the page stays within the screen's width.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("button", { name: "Close" }).click();
  await page.evaluate("window.scrollTo(0, 0)");
  const overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") as number;
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone screen`);
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-390x844.png") });

  assert.deepEqual(outside, [], "nothing loaded from another origin");
  assert.deepEqual(problems, [], "no script errors");
});
