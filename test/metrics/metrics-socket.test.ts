// /metrics over sockets: a real Kestrel and a mock upstream; after known requests (JSON and SSE, two providers,
// an unpriced model, an upstream error) the scraped counters equal the store's totals from /api/usage, token by
// token and to the exact pico-dollar, and the exposition passes the strict parser. Also: the admin-token rule.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Kestrel, startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { type Mock, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { type MetricFamily, parsePrometheusText, samplesOf, sumOf } from "../_helpers/prom-text.ts";
import { RUNTIME } from "../_helpers/runtime.ts";
import type { UsageReport } from "../../src/store/queries.ts";
import type { UsageRecord } from "../../src/usage/record.ts";

const TOKEN = "metrics-admin-token";
const AUTH = { authorization: `Bearer ${TOKEN}` };
let mock: Mock;
let kestrel: Kestrel;

const openaiUsage = {
  prompt_tokens: 1000,
  completion_tokens: 500,
  total_tokens: 1500,
  prompt_tokens_details: { cached_tokens: 200 },
  completion_tokens_details: { reasoning_tokens: 50 },
};

before(async () => {
  mock = await startMock((req, res, body) => {
    const model = (JSON.parse(body.toString() || "{}") as { model?: string }).model ?? "";
    if (model === "boom") {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "upstream exploded", type: "server_error" } }));
    } else if (req.url!.startsWith("/v1/messages")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({
        id: "msg_1",
        type: "message",
        role: "assistant",
        model,
        content: [{ type: "text", text: "hi" }],
        usage: { input_tokens: 100, output_tokens: 40, cache_read_input_tokens: 300, cache_creation_input_tokens: 60 },
      }));
    } else if (body.includes('"stream":true')) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = (extra: object) => `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", model, ...extra })}\n\n`;
      res.write(chunk({ choices: [{ index: 0, delta: { content: "hi" } }] }));
      res.end(chunk({ choices: [], usage: openaiUsage }) + "data: [DONE]\n\n");
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({
        id: "c1",
        object: "chat.completion",
        model,
        choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
        usage: openaiUsage,
      }));
    }
  });
  kestrel = await startKestrel(["--upstream", `openai=${mock.url}`, "--upstream", `anthropic=${mock.url}`, "--admin-token", TOKEN]);
});

after(async () => {
  await kestrel?.stop();
  await mock?.close();
});

async function send(provider: "openai" | "anthropic", model: string, stream = false): Promise<void> {
  const path = provider === "openai" ? "/openai/v1/chat/completions" : "/anthropic/v1/messages";
  const res = await fetch(`${kestrel.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-client", "x-api-key": "sk-client" },
    body: JSON.stringify({
      model,
      messages: [{ role: "user", content: "hi" }],
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    }),
  });
  await res.arrayBuffer();
}

async function scrape(): Promise<Map<string, MetricFamily>> {
  const res = await fetch(`${kestrel.url}/metrics`, { headers: AUTH });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheusText(await res.text());
}

async function usage(groupBy: string): Promise<UsageReport> {
  const res = await fetch(`${kestrel.url}/api/usage?group_by=${groupBy}`, { headers: AUTH });
  return await res.json() as UsageReport;
}

test("after known requests the counters equal the store's totals, exactly", async () => {
  const sent: [Parameters<typeof send>, number][] = [
    [["openai", "gpt-4o-mini"], 3],
    [["openai", "gpt-4o-mini", true], 2],
    [["anthropic", "claude-3-5-haiku-20241022"], 2],
    [["openai", "kestrel-test-unpriced-model"], 1],
    [["openai", "boom"], 1],
  ];
  for (const [args, times] of sent) for (let i = 0; i < times; i++) await send(...args);
  const n = sent.reduce((a, [, times]) => a + times, 0);
  await until(`${n} records stored`, async () => (await usage("model")).total.requests === n);

  const f = await scrape();
  const byModel = await usage("model");
  assert.equal(sumOf(f, "kestrel_requests_total"), byModel.total.requests);
  const kinds = { input: "input_tokens", output: "output_tokens", cache_read: "cache_read_tokens", cache_write: "cache_write_tokens", reasoning: "reasoning_tokens" } as const;
  for (const group of byModel.groups) {
    // `boom` is a name only the client used (the upstream refused it, no price): no label of its own (§13).
    const model = group.key === "boom" ? "other" : group.key ?? "unknown";
    assert.equal(sumOf(f, "kestrel_requests_total", { model }), group.requests, `requests of ${model}`);
    for (const [kind, field] of Object.entries(kinds)) {
      assert.equal(sumOf(f, "kestrel_tokens_total", { model, kind }), group[field], `${kind} tokens of ${model}`);
    }
    const cost = samplesOf(f, "kestrel_cost_usd_total").filter((s) => s.labels.model === model);
    assert.equal(cost.length <= 1, true);
    assert.equal(cost[0]?.text ?? "0", group.cost_usd, `cost of ${model}`);
  }
  for (const [kind, field] of Object.entries(kinds)) {
    assert.equal(sumOf(f, "kestrel_tokens_total", { kind }), byModel.total[field], `${kind} tokens in total`);
  }
  assert.notEqual(byModel.total.cost_usd, "0");
  // The total cost, summed exactly from the per-series decimal texts.
  const pico = samplesOf(f, "kestrel_cost_usd_total").reduce((a, s) => a + toPico(s.text), 0n);
  assert.equal(pico, toPico(byModel.total.cost_usd));

  const byProvider = await usage("provider");
  for (const group of byProvider.groups) {
    assert.equal(sumOf(f, "kestrel_requests_total", { provider: group.key! }), group.requests);
    assert.equal(sumOf(f, "kestrel_request_duration_seconds_count", { provider: group.key! }), group.requests);
    assert.equal(sumOf(f, "kestrel_upstream_ttfb_seconds_count", { provider: group.key! }), group.requests);
  }
  assert.equal(sumOf(f, "kestrel_added_latency_seconds_count"), n);
  assert.equal(sumOf(f, "kestrel_requests_total", { outcome: "upstream_error" }), 1);
  assert.equal(sumOf(f, "kestrel_requests_total", { provider: "openai", model: "other", outcome: "upstream_error" }), 1);

  const listed = await fetch(`${kestrel.url}/api/requests?limit=1000`, { headers: AUTH });
  const { requests } = await listed.json() as { requests: UsageRecord[] };
  const unpriced = requests.filter((r) => !r.priced && r.usage_source !== "none");
  assert.equal(unpriced.length, 1);
  assert.deepEqual(samplesOf(f, "kestrel_unpriced_requests_total").map((s) => [s.labels.model, s.value]), [["kestrel-test-unpriced-model", 1]]);

  assert.equal(sumOf(f, "kestrel_inflight_requests"), 0);
  assert.equal(sumOf(f, "kestrel_records_dropped_total"), 0);
  assert.equal(samplesOf(f, "kestrel_build_info")[0]?.labels.runtime, RUNTIME);
});

test("/metrics needs the admin token, like /api", async () => {
  const none = await fetch(`${kestrel.url}/metrics`);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="kestrel"');
  assert.equal(((await none.json()) as { error: { code: string } }).error.code, "unauthorized");
  const wrong = await fetch(`${kestrel.url}/metrics`, { headers: { authorization: "Bearer nope" } });
  assert.equal(wrong.status, 401);
  await wrong.arrayBuffer();
});

test("budgets appear with their spend and limit; alerts are counted by type", async () => {
  const config = join(tempDir(), "kestrel.json");
  writeFileSync(config, JSON.stringify({
    budgets: [
      { id: "all-daily", scope: {}, window: "day", limit_usd: "50", action: "alert", alert_at: [0.5] },
      { id: "openai-tokens", scope: { provider: "openai" }, window: "total", limit_tokens: 1000000 },
    ],
  }));
  const k = await startKestrel(["--upstream", `openai=${mock.url}`, "--config", config, "--admin-token", TOKEN]);
  try {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${k.url}/openai/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer sk-client" },
        body: JSON.stringify({ model: "gpt-4o-mini", messages: [] }),
      });
      await res.arrayBuffer();
    }
    let f = new Map<string, MetricFamily>();
    await until("both requests counted", async () => {
      const res = await fetch(`${k.url}/metrics`, { headers: AUTH });
      f = parsePrometheusText(await res.text());
      return sumOf(f, "kestrel_requests_total") === 2;
    });
    const res = await fetch(`${k.url}/api/budgets`, { headers: AUTH });
    const { budgets } = await res.json() as { budgets: { id: string; spent_usd: string }[] };
    const spent = Object.fromEntries(samplesOf(f, "kestrel_budget_spent_usd").map((s) => [s.labels.budget, s.text]));
    assert.deepEqual(spent, Object.fromEntries(budgets.map((b) => [b.id, b.spent_usd])));
    assert.notEqual(spent["all-daily"], "0");
    assert.deepEqual(samplesOf(f, "kestrel_budget_limit_usd").map((s) => [s.labels.budget, s.text]), [["all-daily", "50"]]);
    const types = new Set(samplesOf(f, "kestrel_alerts_total").map((s) => s.labels.type));
    assert.deepEqual([...types].sort(), ["budget.blocked", "budget.threshold", "model.unpriced", "rate_limit.blocked", "reconcile.drift", "reconcile.uncovered", "spend.spike"]);
  } finally {
    await k.stop();
  }
});

/** Exact decimal USD text → pico-USD. */
function toPico(text: string): bigint {
  const [whole, frac = ""] = text.split(".");
  return BigInt(whole!) * 10n ** 12n + BigInt(frac.padEnd(12, "0"));
}
