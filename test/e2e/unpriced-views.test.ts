// "Unpriced" means usage without a price, in every view: /api/usage, `kestrel usage`, /metrics and the log line.
// A blocked request and an upstream error carry no usage, so no view may count them (or tell the operator to add
// a price for their model); the blocked request's log line names the budget that refused it.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runUsage } from "../../src/commands/usage.ts";
import type { UsageReport } from "../../src/store/queries.ts";
import { type UsageRecord } from "../../src/usage/record.ts";
import { startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { parsePrometheusText, samplesOf } from "../_helpers/prom-text.ts";
import { fakeIo } from "../commands/cli-io.ts";
import { runtimeDriver } from "../store/helpers.ts";

const UNPRICED_MODEL = "kestrel-test-unpriced-model";

test("blocked requests and upstream errors are not unpriced: API, CLI, /metrics and the log agree", async () => {
  const mock = await startMock((_req, res, body) => {
    const model = (JSON.parse(body.toString() || "{}") as { model?: string }).model ?? "";
    if (model === "gpt-4o-mini" && body.includes("boom")) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "upstream exploded", type: "server_error" } }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: "c1", object: "chat.completion", model, choices: [], usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 } }));
  });
  const config = join(tempDir(), "kestrel.json");
  writeFileSync(config, JSON.stringify({
    budgets: [{ id: "capped", scope: { project: "capped" }, window: "day", limit_usd: "0.000001" }],
  }));
  const k = await startKestrel(["--upstream", `openai=${mock.url}`, "--config", config]);
  try {
    const send = async (model: string, headers: Record<string, string> = {}, content = "hi") => {
      const res = await fetch(`${k.url}/openai/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ model, messages: [{ role: "user", content }] }),
      });
      await res.arrayBuffer();
      return res.status;
    };
    assert.equal(await send("gpt-4o-mini"), 200);
    assert.equal(await send(UNPRICED_MODEL), 200);
    assert.equal(await send("gpt-4o-mini", {}, "boom"), 500);
    // The budget's first request spends past its limit (or is refused at once); a later one is refused.
    let blocked = 0;
    for (let i = 0; i < 3 && blocked === 0; i++) if (await send("gpt-4o-mini", { "x-kestrel-project": "capped" }) === 429) blocked++;
    assert.equal(blocked, 1);

    let requests: UsageRecord[] = [];
    await until("every request recorded", async () => {
      requests = ((await (await fetch(`${k.url}/api/requests?limit=100`)).json()) as { requests: UsageRecord[] }).requests;
      return requests.some((r) => r.outcome === "blocked") && requests.length >= 4;
    });
    const byModel = (await (await fetch(`${k.url}/api/usage?group_by=model`)).json()) as UsageReport;
    const unpricedApi = Object.fromEntries(byModel.groups.map((g) => [g.key, g.unpriced_requests]));
    assert.deepEqual(unpricedApi, { "gpt-4o-mini": 0, [UNPRICED_MODEL]: 1 });
    assert.equal(byModel.total.unpriced_requests, 1);

    const metrics = parsePrometheusText(await (await fetch(`${k.url}/metrics`)).text());
    assert.deepEqual(samplesOf(metrics, "kestrel_unpriced_requests_total").map((s) => [s.labels.model, s.value]), [[UNPRICED_MODEL, 1]]);

    const cli = fakeIo((await runtimeDriver()).open, Date.now());
    assert.equal(await runUsage(["--db", k.db, "--group-by", "model", "--format", "json"], cli.io), 0);
    const report = JSON.parse(cli.out()) as UsageReport;
    assert.deepEqual(Object.fromEntries(report.groups.map((g) => [g.key, g.unpriced_requests])), unpricedApi);

    const line = (pattern: RegExp) => k.waitForLine(pattern);
    await line(new RegExp(`Model: ${UNPRICED_MODEL}, Tokens: Prompt=1000/Completion=500/Total=1500, Streaming: false, Cost: unpriced$`));
    await line(/Model: gpt-4o-mini, Tokens: unknown, Streaming: false, Cost: none, Status: 500, Outcome: upstream_error$/);
    await line(/Model: gpt-4o-mini, Tokens: unknown, Streaming: false, Cost: none, Status: 429, Outcome: blocked \(Budget "capped" /);
    assert.ok(!k.lines.some((l) => /Cost: unpriced/.test(l) && !l.includes(UNPRICED_MODEL)), k.lines.join("\n"));
  } finally {
    await k.stop();
    await mock.close();
  }
});
