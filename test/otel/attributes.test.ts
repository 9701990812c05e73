// The record → GenAI semconv mapping shared by the JSON log line and the span, and the span's OTLP encoding.
import assert from "node:assert/strict";
import { test } from "node:test";
import { genAiAttributes, hostOf, operationName, providerName } from "../../src/otel/attributes.ts";
import { safeJson } from "../../src/json/safe.ts";
import { encodeSpan, parseTraceParent, randomHex, spanName, traceRequest, unixNanos } from "../../src/otel/span.ts";
import { PROVIDER_IDS } from "../../src/resolve/routes.ts";
import { makeRecord } from "../store/helpers.ts";

const record = makeRecord(1, {
  provider: "openai",
  model: "gpt-4o-2024-08-06",
  path: "/openai/v1/chat/completions",
  input_tokens: 120,
  output_tokens: 30,
  cache_read_tokens: 100,
  cache_write_tokens: null,
  reasoning_tokens: 7,
  cost_usd: "0.000325",
  key_id: "0123456789ab",
  user: "alice",
  project: "web",
});
const source = {
  record,
  requestModel: "gpt-4o",
  responseModel: "gpt-4o-2024-08-06",
  responseId: "chatcmpl-abc",
  upstreamUrl: "https://api.openai.com/v1/chat/completions",
};

test("provider names: semconv well-known values for the providers that have one, Kestrel's id otherwise", () => {
  assert.equal(providerName("aws-bedrock"), "aws.bedrock");
  assert.equal(providerName("azure-openai"), "azure.ai.openai");
  assert.equal(providerName("google-ai-studio"), "gcp.gemini");
  assert.equal(providerName("google-vertex-ai"), "gcp.vertex_ai");
  assert.equal(providerName("grok"), "x_ai");
  assert.equal(providerName("mistral"), "mistral_ai");
  assert.equal(providerName("perplexity-ai"), "perplexity");
  assert.equal(providerName("openrouter"), "openrouter");
  for (const id of PROVIDER_IDS) assert.match(providerName(id), /^[a-z_.-]+$/);
});

test("operation names from the method and the client path; unknown endpoints have none", () => {
  const cases: [string, string, string | null][] = [
    ["POST", "/openai/v1/chat/completions", "chat"],
    ["POST", "/azure-openai/res/openai/deployments/d/chat/completions", "chat"],
    ["POST", "/openai/v1/completions", "text_completion"],
    ["POST", "/openai/v1/embeddings", "embeddings"],
    ["POST", "/openai/v1/responses", "chat"],
    ["POST", "/anthropic/v1/messages", "chat"],
    ["POST", "/anthropic/v1/messages/count_tokens", null],
    ["POST", "/openai/v1/threads/t1/messages", null],
    ["POST", "/cohere/v2/chat", "chat"],
    ["POST", "/cohere/v1/embed", "embeddings"],
    ["POST", "/google-ai-studio/v1beta/models/gemini-2.0-flash:generateContent", "generate_content"],
    ["POST", "/google-ai-studio/v1beta/models/gemini-2.0-flash:streamGenerateContent", "generate_content"],
    ["POST", "/google-ai-studio/v1beta/models/text-embedding-004:embedContent", "embeddings"],
    ["POST", "/google-ai-studio/v1beta/models/gemini-2.0-flash:countTokens", null],
    ["POST", "/aws-bedrock/bedrock-runtime/us-east-1/model/m/converse-stream", "chat"],
    ["POST", "/aws-bedrock/bedrock-runtime/us-east-1/model/m/invoke", null],
    ["GET", "/openai/v1/models", null],
    ["GET", "/openai/v1/chat/completions", null],
  ];
  for (const [method, path, expected] of cases) assert.equal(operationName(method, path), expected, `${method} ${path}`);
});

test("server.address is the bare host: no userinfo, port, path or query", () => {
  assert.equal(hostOf("https://api.openai.com/v1/x"), "api.openai.com");
  assert.equal(hostOf("http://user:pw@127.0.0.1:8080/a?b=c"), "127.0.0.1");
  assert.equal(hostOf("http://[::1]:9/a"), "[::1]");
  assert.equal(hostOf("https://x.example?key=1"), "x.example");
  assert.equal(hostOf(null), null);
});

test("gen_ai attributes: models, tokens (cache and reasoning), status, server; unknown values are left out", () => {
  assert.deepEqual(Object.fromEntries(genAiAttributes(source)), {
    "gen_ai.provider.name": "openai",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.response.id": "chatcmpl-abc",
    "gen_ai.usage.input_tokens": 120,
    "gen_ai.usage.output_tokens": 30,
    "gen_ai.usage.cache_read.input_tokens": 100,
    "gen_ai.usage.reasoning.output_tokens": 7,
    "http.response.status_code": 200,
    "server.address": "api.openai.com",
  });
  const failed = genAiAttributes({ ...source, record: { ...record, outcome: "upstream_error", status: 429, input_tokens: null } });
  const byKey = Object.fromEntries(failed);
  assert.equal(byKey["error.type"], "429");
  assert.equal("gen_ai.usage.input_tokens" in byKey, false);
  const cut = Object.fromEntries(genAiAttributes({ ...source, record: { ...record, outcome: "timeout", status: 0 } }));
  assert.equal(cut["error.type"], "timeout");
  assert.equal("http.response.status_code" in cut, false);
});

test("the JSON log line keeps every record field and adds the gen_ai attributes; strings redacted in both", () => {
  const line = JSON.parse(safeJson(record, genAiAttributes(source)));
  for (const [key, value] of Object.entries(record)) assert.deepEqual(line[key], value, key);
  assert.equal(line["gen_ai.usage.input_tokens"], 120);
  assert.equal(line["gen_ai.provider.name"], "openai");
  assert.deepEqual(JSON.parse(safeJson({}, [["a", 1]])), { a: 1 });
  const secret = safeJson({ ...record, user: "Bearer sk-SECRET" }, genAiAttributes({ ...source, requestModel: "m?key=SECRET" }));
  assert.equal(secret.includes("SECRET"), false);
  assert.equal(JSON.parse(secret)["gen_ai.request.model"], "m?key=[redacted]");
});

test("traceparent: version 00 parsed; invalid, all-zero and ff headers ignored; future versions keep their ids", () => {
  const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  assert.deepEqual(parseTraceParent(tp), { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" });
  assert.deepEqual(parseTraceParent(` ${tp} `)?.spanId, "00f067aa0ba902b7");
  for (const bad of [null, "", "garbage", tp.toUpperCase(), `${tp}-extra`, `ff${tp.slice(2)}`,
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"]) {
    assert.equal(parseTraceParent(bad), null, String(bad));
  }
  assert.equal(parseTraceParent(`01${tp.slice(2)}-what-comes-next`)?.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
});

test("random ids are lower-case hex of the right length and never all zero", () => {
  for (let i = 0; i < 200; i++) {
    assert.match(randomHex(16), /^[0-9a-f]{32}$/);
    assert.notEqual(randomHex(8), "0000000000000000");
  }
});

test("unix nanos as decimal strings, exact to the microsecond", () => {
  assert.equal(unixNanos(1764528000123), "1764528000123000000");
  assert.equal(unixNanos(1764528000123 + 45.6789), "1764528000168679000");
});

test("a span: CLIENT kind, semconv name, times from the exchange, gen_ai and kestrel attributes, parent from traceparent", () => {
  const span = encodeSpan({
    ...source,
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    startedAt: 1764528000123,
    durationMs: 250.5,
  });
  assert.equal(span.name, "chat gpt-4o");
  assert.equal(span.kind, 3);
  assert.equal(span.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  assert.equal(span.parentSpanId, "00f067aa0ba902b7");
  assert.match(span.spanId, /^[0-9a-f]{16}$/);
  assert.equal(span.startTimeUnixNano, "1764528000123000000");
  assert.equal(span.endTimeUnixNano, "1764528000373500000");
  assert.deepEqual(span.status, {});
  const attrs = Object.fromEntries(span.attributes.map((a) => [a.key, a.value]));
  assert.deepEqual(attrs["gen_ai.usage.input_tokens"], { intValue: "120" });
  assert.deepEqual(attrs["gen_ai.request.model"], { stringValue: "gpt-4o" });
  assert.deepEqual(attrs["kestrel.cost_usd"], { stringValue: "0.000325" });
  assert.deepEqual(attrs["kestrel.outcome"], { stringValue: "ok" });
  assert.deepEqual(attrs["kestrel.key_id"], { stringValue: "0123456789ab" });
  assert.deepEqual(attrs["kestrel.user"], { stringValue: "alice" });
  assert.deepEqual(attrs["kestrel.project"], { stringValue: "web" });
  assert.deepEqual(attrs["kestrel.usage_source"], { stringValue: "reported" });
  assert.deepEqual(attrs["kestrel.streaming"], { boolValue: false });
});

test("a failed exchange's span has status ERROR; without traceparent it starts its own trace", () => {
  const failed = { ...record, outcome: "upstream_aborted" as const, usage_error: "upstream reset" };
  const span = encodeSpan({ ...source, record: failed, traceparent: null, startedAt: 1, durationMs: 1 });
  assert.deepEqual(span.status, { code: 2, message: "upstream reset" });
  assert.match(span.traceId, /^[0-9a-f]{32}$/);
  assert.equal(span.parentSpanId, undefined);
});

test("span names: `{operation}` without a model, `{method} {provider}` for endpoints that are not GenAI operations", () => {
  assert.equal(spanName({ ...record, model: null }, null), "chat");
  assert.equal(spanName({ ...record, method: "GET", path: "/openai/v1/models" }, null), "GET openai");
});

test("the export body: one resource (service.name kestrel, service.version), one scope, the spans; strings redacted", () => {
  const span = encodeSpan({ ...source, record: { ...record, model: "m?key=SECRET" }, requestModel: "m?key=SECRET", traceparent: null, startedAt: 1, durationMs: 1 });
  const text = traceRequest([span], "1.2.3+test");
  assert.equal(text.includes("SECRET"), false);
  const body = JSON.parse(text);
  const resource = body.resourceSpans[0].resource.attributes;
  assert.deepEqual(resource, [
    { key: "service.name", value: { stringValue: "kestrel" } },
    { key: "service.version", value: { stringValue: "1.2.3+test" } },
  ]);
  assert.equal(body.resourceSpans[0].scopeSpans[0].scope.name, "kestrel");
  assert.equal(body.resourceSpans[0].scopeSpans[0].spans.length, 1);
});
