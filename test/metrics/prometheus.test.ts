// The real thing: Debian's Prometheus scrapes a running Kestrel's /metrics every second with the admin token as a
// bearer credential, and its query API then reports the requests and cost Kestrel served. Proves the exposition,
// the content type and the auth work for an actual scraper, not only for the test parser.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before } from "node:test";
import { PROMETHEUS, prometheusMissing, testNeeding } from "../_helpers/host.ts";
import { type Kestrel, startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { closedPort, type Mock, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";

const missing = prometheusMissing();
const TOKEN = "prometheus-scrape-token";

let mock: Mock | undefined;
let kestrel: Kestrel | undefined;
let prometheus: ChildProcess | undefined;
let promOutput = "";

before(async () => {
  if (missing) return;
  mock = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({
      id: "c1",
      object: "chat.completion",
      model: "gpt-4o-mini",
      choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
      // $0.15 / $0.60 per million: 1,000 + 1,000 tokens = $0.00075 a request.
      usage: { prompt_tokens: 1000, completion_tokens: 1000, total_tokens: 2000 },
    }));
  });
  kestrel = await startKestrel(["--upstream", `openai=${mock.url}`, "--admin-token", TOKEN]);
});

after(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once("close", resolve));
    prometheus.kill("SIGTERM");
    await exited;
  }
  await kestrel?.stop();
  await mock?.close();
});

interface QueryResult {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

testNeeding("Prometheus scrapes /metrics with the bearer token and sees the requests and their cost", missing, async () => {
  const n = 5;
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${kestrel!.url}/openai/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-client" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }

  const dir = tempDir();
  const port = await closedPort();
  const config = join(dir, "prometheus.yml");
  writeFileSync(config, [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "scrape_configs:",
    "  - job_name: kestrel",
    "    scrape_interval: 1s",
    "    metrics_path: /metrics",
    "    authorization:",
    `      credentials: ${TOKEN}`,
    "    static_configs:",
    `      - targets: ["${new URL(kestrel!.url).host}"]`,
    "",
  ].join("\n"));
  prometheus = spawn(PROMETHEUS, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, "tsdb")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=warn",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  prometheus.stdout!.on("data", (c: Buffer) => (promOutput += c.toString()));
  prometheus.stderr!.on("data", (c: Buffer) => (promOutput += c.toString()));

  const query = async (q: string): Promise<QueryResult["data"]["result"]> => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = await res.json() as QueryResult;
      return body.status === "success" ? body.data.result : [];
    } catch {
      return []; // not listening yet
    }
  };
  let last = "";
  await until("Prometheus to report the requests Kestrel served", async () => {
    const result = await query("sum(kestrel_requests_total)");
    last = JSON.stringify(result);
    return result[0]?.value[1] === String(n);
  }, { timeoutMs: 60_000, everyMs: 250, detail: () => `last answer ${last}; prometheus said: ${promOutput.slice(-2000)}` });

  const up = await query('up{job="kestrel"}');
  assert.equal(up[0]?.value[1], "1");
  const cost = await query('sum by (model) (kestrel_cost_usd_total{provider="openai"})');
  assert.equal(cost[0]?.metric.model, "gpt-4o-mini");
  assert.equal(Number(cost[0]?.value[1]), 0.00375);
  const tokens = await query('kestrel_tokens_total{kind="output"}');
  assert.equal(tokens[0]?.value[1], String(n * 1000));
  const info = await query("kestrel_build_info");
  assert.equal(info[0]?.value[1], "1");
  assert.ok(info[0]?.metric.price_version, "price_version label");
});
