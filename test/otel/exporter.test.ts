// The OTLP span exporter with an injected fetch: batching, the bounded queue, failures counted and never retried,
// the flush at shutdown, the traces URL rule and the headers variable.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createSpanExporter, type ExporterOptions, parseHeaders, tracesUrl } from "../../src/otel/exporter.ts";
import type { OtlpSpan } from "../../src/otel/span.ts";
import { until } from "../_helpers/poll.ts";

const span = (i: number): OtlpSpan => ({
  traceId: "1".repeat(32),
  spanId: String(i).padStart(16, "0"),
  name: `span ${i}`,
  kind: 3,
  startTimeUnixNano: "1",
  endTimeUnixNano: "2",
  attributes: [],
  status: {},
});

interface Call {
  url: string;
  headers: Headers;
  spans: string[];
}

function fakeFetch(answer: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    const call = { url, headers: new Headers(init.headers), spans: JSON.parse(String(init.body)).map((s: OtlpSpan) => s.name) };
    calls.push(call);
    return await answer(call);
  }) as unknown as typeof globalThis.fetch;
  return { calls, fetch };
}

function exporter(fetch: typeof globalThis.fetch, extra: Partial<ExporterOptions> = {}) {
  const warnings: string[] = [];
  const spans = createSpanExporter({
    url: "http://user:pw@collector.test:4318/v1/traces?token=abc",
    headers: { authorization: "Bearer SECRET" },
    fetch,
    encode: (batch) => JSON.stringify(batch),
    warn: (m) => warnings.push(m),
    delayMs: 5,
    ...extra,
  });
  return { spans, warnings };
}

test("the traces URL: a base URL gets /v1/traces, a URL with a path is used as given", () => {
  assert.equal(tracesUrl("http://127.0.0.1:4318"), "http://127.0.0.1:4318/v1/traces");
  assert.equal(tracesUrl("http://127.0.0.1:4318/"), "http://127.0.0.1:4318/v1/traces");
  assert.equal(tracesUrl("https://otel.example/custom/traces"), "https://otel.example/custom/traces");
  assert.equal(tracesUrl("https://otel.example/v1/traces"), "https://otel.example/v1/traces");
});

test("KESTREL_OTLP_HEADERS: k=v pairs, trimmed and percent-decoded; a bad pair is refused without quoting values", () => {
  assert.deepEqual(parseHeaders("Authorization=Basic%20abc, x-scope=team-a ,"), { authorization: "Basic abc", "x-scope": "team-a" });
  assert.deepEqual(parseHeaders("a=b=c"), { a: "b=c" });
  assert.throws(() => parseHeaders("novalue-SECRET"), (err: Error) => !err.message.includes("SECRET"));
  assert.throws(() => parseHeaders("bad name=x"));
  assert.throws(() => parseHeaders("k=%E0%SECRET"), (err: Error) => !err.message.includes("SECRET"));
});

test("spans go in one POST with the JSON content type and the configured headers, once the batch delay passes", async () => {
  const { calls, fetch } = fakeFetch(() => new Response("{}"));
  const { spans } = exporter(fetch);
  for (let i = 0; i < 3; i++) spans.add(span(i));
  await until("one export", () => calls.length === 1);
  assert.deepEqual(calls[0]!.spans, ["span 0", "span 1", "span 2"]);
  assert.equal(calls[0]!.headers.get("content-type"), "application/json");
  assert.equal(calls[0]!.headers.get("authorization"), "Bearer SECRET");
  await until("the export counted", () => spans.stats().exported === 3);
  assert.deepEqual(spans.stats(), { exported: 3, dropped: 0, queued: 0 });
  await spans.flush();
});

test("a full batch goes at once; one POST in flight at a time", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let open = 0;
  let maxOpen = 0;
  const { calls, fetch } = fakeFetch(async () => {
    maxOpen = Math.max(maxOpen, ++open);
    await gate;
    open--;
    return new Response("{}");
  });
  const { spans } = exporter(fetch, { batchSize: 2, delayMs: 60_000 });
  for (let i = 0; i < 5; i++) spans.add(span(i));
  await until("the first batch sent", () => calls.length === 1);
  release();
  await spans.flush();
  assert.deepEqual(calls.map((c) => c.spans), [["span 0", "span 1"], ["span 2", "span 3"], ["span 4"]]);
  assert.equal(maxOpen, 1);
  assert.equal(spans.stats().exported, 5);
});

test("the queue is bounded: spans beyond it are dropped and counted", async () => {
  const { calls, fetch } = fakeFetch(() => new Response("{}"));
  const { spans } = exporter(fetch, { maxQueue: 3, batchSize: 100, delayMs: 60_000 });
  for (let i = 0; i < 5; i++) spans.add(span(i));
  assert.deepEqual(spans.stats(), { exported: 0, dropped: 2, queued: 3 });
  await spans.flush();
  assert.equal(calls.length, 1);
  assert.deepEqual(spans.stats(), { exported: 3, dropped: 2, queued: 0 });
});

test("a failed export drops its batch (no retry), warns once without credentials, and says when it works again", async () => {
  let fail = true;
  const { calls, fetch } = fakeFetch(() => {
    if (fail) throw new TypeError("connection refused to http://user:pw@collector.test:4318/v1/traces?token=abc");
    return new Response("{}");
  });
  const { spans, warnings } = exporter(fetch);
  spans.add(span(1));
  await spans.flush();
  spans.add(span(2));
  await spans.flush();
  assert.equal(calls.length, 2, "one POST per batch, no retries");
  assert.deepEqual(spans.stats(), { exported: 0, dropped: 2, queued: 0 });
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0]!, /OTLP export to http:\/\/collector\.test:4318 failed .*1 spans dropped/);
  fail = false;
  spans.add(span(3));
  await spans.flush();
  assert.equal(spans.stats().exported, 1);
  assert.match(warnings.at(-1)!, /works again/);
  for (const w of warnings) assert.equal(/pw@|token=abc|SECRET/.test(w), false, w);
});

test("HTTP errors and partial success count as dropped", async () => {
  let answer = new Response("nope", { status: 503 });
  const { fetch } = fakeFetch(() => answer);
  const { spans } = exporter(fetch);
  spans.add(span(1));
  await spans.flush();
  assert.deepEqual(spans.stats(), { exported: 0, dropped: 1, queued: 0 });
  answer = new Response(JSON.stringify({ partialSuccess: { rejectedSpans: "2", errorMessage: "bad" } }));
  for (let i = 0; i < 3; i++) spans.add(span(i));
  await spans.flush();
  assert.deepEqual(spans.stats(), { exported: 1, dropped: 3, queued: 0 });
});

test("a shutdown flush starts no POST after its deadline: what is left is dropped and counted", async () => {
  const { calls, fetch } = fakeFetch(() => new Promise((resolve) => setTimeout(() => resolve(new Response("{}")), 30)));
  const { spans } = exporter(fetch, { batchSize: 2, delayMs: 60_000 });
  for (let i = 0; i < 6; i++) spans.add(span(i));
  await spans.flush(10);
  assert.equal(calls.length, 1, "the POST started at once is waited for; no more after the deadline");
  assert.deepEqual(spans.stats(), { exported: 2, dropped: 4, queued: 0 });
});

test("a collector that never answers costs one timeout per batch, then the spans count as dropped", async () => {
  const { fetch } = fakeFetch((call) => new Promise(() => void call)); // never settles: the abort is ignored too
  const hanging = ((url: string, init: RequestInit) =>
    Promise.race([
      fetch(url, init),
      new Promise<Response>((_, reject) => init.signal!.addEventListener("abort", () => reject(new Error("aborted")))),
    ])) as typeof globalThis.fetch;
  const { spans, warnings } = exporter(hanging, { timeoutMs: 20 });
  spans.add(span(1));
  await spans.flush();
  assert.deepEqual(spans.stats(), { exported: 0, dropped: 1, queued: 0 });
  assert.match(warnings[0]!, /no answer in 20 ms/);
});
