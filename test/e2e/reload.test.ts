// SIGHUP reload over real sockets, on the source entry (this runtime) and on the built binary: a changed price
// overrides file, the config file's rate limits and budgets, and the log format take effect for the next
// request, while a stream opened before the signal runs on to its end untouched. A bad new config is refused
// with one log line and the running one stays.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { hostBinary } from "../_helpers/binary.ts";
import { type Kestrel, startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { recordTagged } from "../_helpers/records.ts";

const USAGE = { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000 };

async function scenario(binary: string | undefined) {
  const dir = tempDir();
  const prices = join(dir, "prices.json");
  const config = join(dir, "kestrel.json");
  const setPrice = (input: number) => writeFileSync(prices, JSON.stringify({ "openai/gpt-4o-mini": { input, output: 1 } }));
  const setConfig = (value: unknown) => writeFileSync(config, JSON.stringify(value));
  setPrice(1);
  // A high spike threshold keeps spend alerts out of the log lines this test counts.
  const alerts = { spike_min_usd: "1000" };
  setConfig({ "log-format": "text", prices, alerts });

  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const mock = await startMock(async (req, res) => {
    if (req.url?.includes("stream")) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: {"model":"gpt-4o-mini","choices":[{"delta":{"content":"a"}}]}\n\n`);
      await released;
      res.end(`data: {"model":"gpt-4o-mini","choices":[],"usage":${JSON.stringify(USAGE)}}\n\ndata: [DONE]\n\n`);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ model: "gpt-4o-mini", usage: USAGE }));
  });
  let k: Kestrel | null = null;
  try {
    const ks = await startKestrel(["--config", config, "--upstream", `openai=${mock.url}`], {}, binary ? { binary } : {});
    k = ks;
    const url = ks.url;
    const call = (tag: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/openai/v1/chat/completions`, {
        method: "POST",
        headers: { "x-kestrel-tags": tag, ...headers },
        body: JSON.stringify({ model: "gpt-4o-mini" }),
      }).then(async (r) => (await r.arrayBuffer(), r.status));
    const hup = (from: number) => {
      // Not proc.kill(): Deno's ChildProcess.kill() sends only its first signal and ignores later calls.
      process.kill(ks.proc.pid!, "SIGHUP");
      return ks.waitForLine(/SIGHUP: /, 15_000, from);
    };

    assert.equal(await call("before"), 200);
    assert.equal((await recordTagged(url, "before")).cost_usd, "1");
    const streamRes = await fetch(`${url}/openai/v1/chat/completions?stream`, {
      method: "POST",
      headers: { "x-kestrel-tags": "stream" },
      body: JSON.stringify({ model: "gpt-4o-mini", stream: true }),
    });
    const streamBody = streamRes.text();
    await until("the stream upstream", () => mock.received.some((r) => r.url.includes("stream")));

    // A good new config: new prices, a rate limit and a budget from the file, JSON log lines.
    setPrice(10);
    setConfig({
      "log-format": "json",
      "log-level": "info",
      prices,
      alerts,
      rate_limits: [{ id: "hup-rpm", scope: { project: "hup" }, rpm: 1 }],
      budgets: [{ id: "hup-day", scope: { project: "hup" }, window: "day", limit_usd: "100" }],
    });
    const reloaded = await hup(ks.lines.length);
    assert.match(reloaded, /^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"info","msg":"SIGHUP: reloaded prices litellm-[^"]*\+o\w+, 1 budgets and 1 rate limits from the config file, log json at info"\}$/);
    const afterLine = ks.lines.length;
    assert.equal(await call("after"), 200);
    assert.equal((await recordTagged(url, "after")).cost_usd, "10");
    const usageLine = await ks.waitForLine(/"tags":\["after"\]/, 15_000, afterLine);
    assert.equal(JSON.parse(usageLine).cost_usd, "10", "usage lines are JSON now");
    assert.equal(await call("limited-1", { "x-kestrel-project": "hup" }), 200);
    assert.equal(await call("limited-2", { "x-kestrel-project": "hup" }), 429, "the file's rate limit applies");
    const budgets = await (await fetch(`${url}/api/budgets`)).json() as { budgets: { id: string }[] };
    assert.deepEqual(budgets.budgets.map((b) => b.id), ["hup-day"]);

    // The stream opened before the signal was not touched; it is priced when it ends.
    release();
    assert.match(await streamBody, /"content":"a".*"usage":\{"prompt_tokens":1000000.*data: \[DONE\]\n\n$/s);
    const streamed = await recordTagged(url, "stream");
    assert.equal(streamed.outcome, "ok");

    // A bad config file, then a bad price file: one line each, the running config stays.
    for (const [what, breakIt] of [["config", () => writeFileSync(config, "{ not json")], ["prices", () => {
      setConfig({ "log-format": "text", prices, alerts });
      writeFileSync(prices, JSON.stringify({ "openai/gpt-4o-mini": { input: "ten" } }));
    }]] as const) {
      breakIt();
      const from = ks.lines.length;
      const rejected = await hup(from);
      assert.match(rejected, /"level":"error","msg":"SIGHUP: new configuration rejected, the running one stays: /, what);
      assert.equal(await call(`bad-${what}`), 200);
      const line = await ks.waitForLine(new RegExp(`"tags":\\["bad-${what}"\\]`), 15_000, from);
      assert.equal(JSON.parse(line).cost_usd, "10", `${what}: old prices and JSON format stay`);
      // Alerts (the rate limit's refusal above) are logged asynchronously and may land here.
      const others = ks.lines.slice(from).filter((l) => !l.includes(`bad-${what}`) && !/"msg":"Alert /.test(l));
      assert.deepEqual(others, [rejected], `${what}: exactly one line`);
    }
    assert.equal(await ks.stop(), 0);
  } finally {
    release();
    if (k) await k.stop();
    await mock.close();
  }
}

test("SIGHUP reloads prices, rate limits, budgets and log format with a stream in flight (source entry)", () => scenario(undefined));
test("SIGHUP reloads prices, rate limits, budgets and log format with a stream in flight (binary)", () => scenario(hostBinary()));

test("under systemd's journal (JOURNAL_STREAM set) each line carries its syslog priority", async () => {
  const k = await startKestrel([], { JOURNAL_STREAM: "8:12345" });
  try {
    assert.match(k.lines.find((l) => l.includes("listening on"))!, /^<6>\[\d\d:\d\d:\d\d INF\] Kestrel .* listening on /);
    const res = await fetch(`${k.url}/openai/v1/models`, { headers: { "x-kestrel-tags": "journal" } }).catch(() => null);
    await res?.arrayBuffer();
  } finally {
    assert.equal(await k.stop(), 0);
  }
  assert.ok(k.lines.every((l) => /^<[3467]>/.test(l)), k.lines.join("\n"));
});
