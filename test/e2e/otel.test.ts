// OpenTelemetry over sockets: Kestrel with --otlp-endpoint sends one span per request to an OTLP test receiver on
// loopback (JSON and SSE answers, with and without a client traceparent), the JSON log line carries the same
// gen_ai.* attributes, and a receiver that is down costs counted drops, never a failed request.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { OtlpSpan } from "../../src/otel/span.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { startKestrel } from "../_helpers/kestrel.ts";
import { closedPort, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { recordTagged } from "../_helpers/records.ts";

const PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN = "00f067aa0ba902b7";
const OTLP_SECRET = "otlp-SECRET-token";

/** An OpenAI-style upstream: a JSON answer, or an SSE stream whose last chunk carries the usage. */
function upstream() {
  return startMock((_req, res, body) => {
    const request = JSON.parse(body.toString() || "{}") as { stream?: boolean };
    if (request.stream) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: {"id":"c1","model":"gpt-4o-mini-2024-07-18","choices":[{"delta":{"content":"hi"}}]}\n\n`);
      res.write(`data: {"id":"c1","model":"gpt-4o-mini-2024-07-18","choices":[],"usage":{"prompt_tokens":21,"completion_tokens":4,"total_tokens":25}}\n\n`);
      res.end("data: [DONE]\n\n");
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "x-request-id": "req_json" });
    res.end(JSON.stringify({
      id: "c2",
      model: "gpt-4o-mini-2024-07-18",
      usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150, prompt_tokens_details: { cached_tokens: 100 } },
    }));
  });
}

/** Every span the receiver got, with the attributes as a plain object. */
function spansOf(bodies: Buffer[]): (OtlpSpan & { attrs: Record<string, unknown> })[] {
  return bodies.flatMap((b) => {
    const parsed = JSON.parse(b.toString()) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
    return parsed.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).map((span) => ({
      ...span,
      attrs: Object.fromEntries(span.attributes.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.boolValue])),
    }));
  });
}

test("spans reach an OTLP receiver with the exchange's attributes and trace context; JSON log lines carry gen_ai.*", async () => {
  const mock = await upstream();
  const receiver = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  const k = await startKestrel(
    ["--log-format", "json", "--upstream", `openai=${mock.url}`, "--otlp-endpoint", receiver.url],
    { KESTREL_OTLP_HEADERS: `authorization=Bearer ${OTLP_SECRET},x-tenant=kestrel-test` },
  );
  try {
    const send = (tag: string, body: object, headers: Record<string, string> = {}) =>
      fetch(`${k.url}/openai/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer sk-test", "x-kestrel-tags": tag, "x-kestrel-user": tag, ...headers },
        body: JSON.stringify(body),
      }).then((r) => r.text());
    await send("json", { model: "gpt-4o-mini" }, { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` });
    await send("sse", { model: "gpt-4o-mini", stream: true });
    const records = { json: await recordTagged(k.url, "json"), sse: await recordTagged(k.url, "sse") };

    const bodies = () => receiver.received.map((r) => r.body);
    await until("two spans at the receiver", () => spansOf(bodies()).length >= 2, { detail: () => `${receiver.received.length} posts` });
    for (const post of receiver.received) {
      assert.equal(post.method, "POST");
      assert.equal(post.url, "/v1/traces");
      assert.equal(post.headers["content-type"], "application/json");
      assert.equal(post.headers.authorization, `Bearer ${OTLP_SECRET}`);
      assert.equal(post.headers["x-tenant"], "kestrel-test");
    }
    const resource = JSON.parse(receiver.received[0]!.body.toString()).resourceSpans[0].resource.attributes;
    assert.deepEqual(resource[0], { key: "service.name", value: { stringValue: "kestrel" } });
    const spans = spansOf(bodies());
    const byUser = (user: string) => spans.find((s) => s.attrs["kestrel.user"] === user)!;

    for (const [tag, record] of Object.entries(records) as [string, UsageRecord][]) {
      const span = byUser(tag);
      assert.ok(span, `a span for ${tag}`);
      assert.equal(span.name, "chat gpt-4o-mini");
      assert.equal(span.kind, 3);
      assert.deepEqual(span.status, {});
      assert.equal(span.attrs["gen_ai.provider.name"], "openai");
      assert.equal(span.attrs["gen_ai.operation.name"], "chat");
      assert.equal(span.attrs["gen_ai.request.model"], "gpt-4o-mini");
      assert.equal(span.attrs["gen_ai.response.model"], "gpt-4o-mini-2024-07-18");
      assert.equal(span.attrs["gen_ai.usage.input_tokens"], String(record.input_tokens));
      assert.equal(span.attrs["gen_ai.usage.output_tokens"], String(record.output_tokens));
      assert.equal(span.attrs["http.response.status_code"], "200");
      assert.equal(span.attrs["server.address"], "127.0.0.1");
      assert.equal(span.attrs["kestrel.cost_usd"], record.cost_usd);
      assert.equal(span.attrs["kestrel.key_id"], record.key_id);
      assert.equal(span.attrs["kestrel.outcome"], "ok");
      assert.equal(span.attrs["kestrel.usage_source"], "reported");
      assert.equal(span.startTimeUnixNano, `${Date.parse(record.ts)}000000`);
      assert.ok(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano));
    }
    assert.ok(records.json.cost_usd !== null, "gpt-4o-mini is priced");
    assert.equal(byUser("json").attrs["gen_ai.usage.cache_read.input_tokens"], "100");
    assert.equal(byUser("json").attrs["gen_ai.response.id"], "c2");
    assert.equal(byUser("sse").attrs["gen_ai.response.id"], "c1");
    assert.equal(byUser("sse").attrs["kestrel.streaming"], true);
    assert.equal(byUser("json").traceId, PARENT_TRACE);
    assert.equal(byUser("json").parentSpanId, PARENT_SPAN);
    assert.match(byUser("sse").traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(byUser("sse").traceId, PARENT_TRACE);
    assert.equal(byUser("sse").parentSpanId, undefined);

    const line = k.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.user === "json")!;
    assert.equal(line["gen_ai.provider.name"], "openai");
    assert.equal(line["gen_ai.operation.name"], "chat");
    assert.equal(line["gen_ai.request.model"], "gpt-4o-mini");
    assert.equal(line["gen_ai.response.model"], "gpt-4o-mini-2024-07-18");
    assert.equal(line["gen_ai.response.id"], "c2");
    assert.equal(line["gen_ai.usage.input_tokens"], 120);
    assert.equal(line["gen_ai.usage.output_tokens"], 30);
    assert.equal(line["gen_ai.usage.cache_read.input_tokens"], 100);
    assert.equal(line["http.response.status_code"], 200);
    assert.equal(line["server.address"], "127.0.0.1");
    assert.equal(line.cost_usd, records.json.cost_usd, "Kestrel's own fields stay");

    assert.equal(await k.stop(), 0);
    assert.match(k.lines.at(-1)!, /2 spans exported, 0 dropped/);
    assert.equal((k.lines.join("\n") + k.stderr()).includes(OTLP_SECRET), false, "the OTLP header is never logged");
  } finally {
    await k.stop();
    await mock.close();
    await receiver.close();
  }
});

test("with the OTLP receiver down, requests are served and the lost spans are counted", async () => {
  const mock = await upstream();
  const k = await startKestrel(["--upstream", `openai=${mock.url}`, "--otlp-endpoint", `http://127.0.0.1:${await closedPort()}/v1/traces`]);
  try {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${k.url}/openai/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-kestrel-tags": `down${i}` },
        body: JSON.stringify({ model: "gpt-4o-mini" }),
      });
      assert.equal(res.status, 200);
      await res.text();
    }
    await recordTagged(k.url, "down2");
    await k.waitForLine(/WRN\] OTLP export to http:\/\/127\.0\.0\.1:\d+ failed/);
    assert.equal(await k.stop(), 0);
    assert.match(k.lines.at(-1)!, /0 spans exported, 3 dropped/);
  } finally {
    await k.stop();
    await mock.close();
  }
});
