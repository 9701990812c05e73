// Realtime meters (src/realtime/): documented event sequences → one record per metered response, with the usage
// and exact cost the price table gives; the Gemini Live rule switch; no JSON parse for frames without usage.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createPricer } from "../../src/pricing/pricer.ts";
import { getProvider } from "../../src/providers/registry.ts";
import { sessionExchange, type Session } from "../../src/realtime/exchange.ts";
import { createGeminiLiveMeter } from "../../src/realtime/gemini-live.ts";
import { createRealtimeMeter, familyOf, type Metered, urlModel } from "../../src/realtime/meter.ts";
import { eventKind } from "../../src/realtime/openai-events.ts";
import { buildRecord } from "../../src/sink/record.ts";
import { repriceRecord } from "../../src/commands/report-reprice.ts";
import { isUnpriced } from "../../src/usage/record.ts";
import {
  type Expected,
  GEMINI_CLIENT,
  GEMINI_EXPECTED,
  GEMINI_SESSION,
  OPENAI_CLIENT,
  OPENAI_EXPECTED,
  OPENAI_SESSION,
  RESPONSES_CLIENT,
  RESPONSES_EXPECTED,
  RESPONSES_SESSION,
  type Step,
  wire,
} from "./_sequences.ts";

const pricer = createPricer();
const encoder = new TextEncoder();

function session(provider: string, path: string, query: string): Session {
  return {
    id: "01TESTSESSION",
    spec: getProvider(provider)!,
    facts: { provider, method: "GET", path, query, body: undefined, headers: new Headers({ authorization: "Bearer sk-test" }) },
    clientPath: `/${provider}${path}`,
    upstreamUrl: `https://example.test${path}${query}`,
    startedAt: Date.UTC(2026, 11, 1),
    t0: performance.now(),
    ttfbMs: 5,
    responseHeaders: null,
    attributes: null,
    reservation: null,
  };
}

/** Plays a session through a meter (client messages between the steps, as a real client would send them). */
async function play(provider: string, path: string, query: string, steps: Step[], client: unknown[]) {
  const metered: Metered[] = [];
  const family = familyOf(provider, path);
  assert.notEqual(family, null, `${provider} ${path} is metered`);
  const meter = createRealtimeMeter(family!, { urlModel: urlModel(query), now: () => Date.now(), emit: (m) => metered.push(m) });
  let sent = 0;
  for (const step of steps) {
    if ("awaitClient" in step) {
      while (sent < step.awaitClient) meter.fromClient(JSON.stringify(client[sent++]));
      continue;
    }
    const { data } = wire(step);
    meter.fromUpstream(typeof data === "string" ? encoder.encode(data) : data);
  }
  meter.end();
  const s = session(provider, path, query);
  const records = await Promise.all(metered.map((m) => buildRecord(sessionExchange(s, { kind: "response", metered: m }), pricer)));
  return { records, model: meter.model };
}

function check(records: Awaited<ReturnType<typeof play>>["records"], expected: Expected[]) {
  assert.equal(records.length, expected.length, "one record per metered response");
  for (const [i, e] of expected.entries()) {
    const r = records[i]!;
    assert.equal(r.session_id, "01TESTSESSION");
    assert.equal(r.response_id, e.response_id, `record ${i}`);
    assert.equal(r.model, e.model, `record ${i}`);
    assert.equal(r.input_tokens, e.input_tokens < 0 ? null : e.input_tokens, `record ${i} input`);
    assert.equal(r.output_tokens, e.output_tokens < 0 ? null : e.output_tokens, `record ${i} output`);
    assert.equal(r.cost_usd, e.cost_usd, `record ${i} cost`);
    assert.equal(r.status, 101);
    assert.equal(r.close_code, null, "only the session record has a close code");
  }
}

test("OpenAI Realtime: every response.done and every transcription is a record, priced exactly", async () => {
  const { records, model } = await play("openai", "/v1/realtime", "?model=gpt-realtime", OPENAI_SESSION, OPENAI_CLIENT);
  check(records, OPENAI_EXPECTED);
  assert.equal(model, "gpt-realtime");
  // The cached audio and the image are priced at their own rates.
  assert.deepEqual(records[2]!.cost_breakdown, { input: "0.001376", cache_read: "0.0002048", output: "0.00016", audio_input: "0.004608", audio_output: "0.00256" });
  assert.equal(records[3]!.cost_breakdown?.image_input, "0.00025");
  // The cancelled response is billed like any other: it is a normal record.
  assert.equal(records[3]!.outcome, "ok");
  // Billed by duration: no tokens, no cost, the reason on the record, and it is not "unpriced".
  assert.match(records[4]!.usage_error ?? "", /billed by duration \(3 s\)/);
  assert.equal(isUnpriced(records[4]!), false);
  assert.deepEqual(records[4]!.usage_native, { type: "duration", seconds: 3 });
});

test("kestrel reprice gives a realtime record the same cost: cached audio and images are read back from usage_native", async () => {
  const { records } = await play("openai", "/v1/realtime", "?model=gpt-realtime", OPENAI_SESSION, OPENAI_CLIENT);
  for (const r of records.filter((r) => r.priced)) assert.deepEqual(repriceRecord(r, pricer), { kind: "same" }, String(r.response_id));
});

test("Azure OpenAI Realtime (deployment in the URL, model from the session) is metered the same way", async () => {
  const { records } = await play("azure-openai", "/openai/realtime", "?api-version=2025-04-01-preview&deployment=my-voice", OPENAI_SESSION, OPENAI_CLIENT);
  assert.equal(records.length, OPENAI_EXPECTED.length);
  assert.equal(records[0]!.model, "gpt-realtime");
  assert.equal(records[0]!.cost_usd, "0.007196");
});

test("the Responses API over WebSocket: usage from response.completed", async () => {
  const { records } = await play("openai", "/v1/responses", "", RESPONSES_SESSION, RESPONSES_CLIENT);
  check(records, RESPONSES_EXPECTED);
});

test("Gemini Live: one record per turn, each turn's report priced as it is (per-turn rule)", async () => {
  const { records, model } = await play("google-ai-studio", "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent", "?key=AIzaTest", GEMINI_SESSION, GEMINI_CLIENT);
  check(records, GEMINI_EXPECTED);
  assert.equal(model, GEMINI_EXPECTED[0]!.model, "the model comes from the client's setup");
  assert.deepEqual(records[1]!.usage_native, { promptTokenCount: 700, responseTokenCount: 30, totalTokenCount: 730, promptTokensDetails: [{ modality: "TEXT", tokenCount: 420 }, { modality: "AUDIO", tokenCount: 280 }], responseTokensDetails: [{ modality: "TEXT", tokenCount: 30 }] });
});

test("Gemini Live: the cumulative rule records each turn as the difference from the previous report", () => {
  const metered: Metered[] = [];
  const meter = createGeminiLiveMeter({ urlModel: null, now: () => 0, emit: (m) => metered.push(m) }, "cumulative");
  const turn = (prompt: number, response: number) =>
    meter.fromUpstream(encoder.encode(JSON.stringify({ serverContent: { turnComplete: true }, usageMetadata: { promptTokenCount: prompt, responseTokenCount: response } })));
  turn(500, 40);
  turn(800, 70);
  assert.deepEqual(metered.map((m) => [m.outcome.usage?.input_tokens, m.outcome.usage?.output_tokens]), [[500, 40], [300, 30]]);
});

test("Gemini Live: a turn cut by the end of the session is recorded with the usage reported so far", () => {
  const metered: Metered[] = [];
  const meter = createGeminiLiveMeter({ urlModel: null, now: () => 0, emit: (m) => metered.push(m) });
  meter.fromUpstream(encoder.encode(JSON.stringify({ serverContent: { modelTurn: { parts: [] } }, usageMetadata: { promptTokenCount: 90, responseTokenCount: 9 } })));
  assert.equal(metered.length, 0, "the turn is still open");
  meter.end();
  assert.equal(metered.length, 1);
  assert.equal(metered[0]!.outcome.usage?.input_tokens, 90);
  assert.match(metered[0]!.outcome.usageError ?? "", /ended before the turn completed/);
});

test("the realtime protocol is picked by provider and upstream path", () => {
  // [provider, upstream path, family]
  const table: [string, string, string | null][] = [
    ["openai", "/v1/realtime", "openai"],
    ["openai", "/v1/responses", "openai"],
    ["openai", "/v1/chat/completions", null],
    ["azure-openai", "/openai/realtime", "openai"],
    ["azure-openai", "/openai/v1/realtime", "openai"],
    ["google-ai-studio", "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent", "gemini-live"],
    ["google-ai-studio", "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained", "gemini-live"],
    ["google-vertex-ai", "/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent", "gemini-live"],
    ["elevenlabs", "/v1/convai/conversation", null],
  ];
  for (const [provider, path, family] of table) assert.equal(familyOf(provider, path), family, `${provider} ${path}`);
});

test("frames without usage cost no JSON parse (the type is probed as bytes)", () => {
  const delta = encoder.encode(JSON.stringify({ type: "response.output_audio.delta", event_id: "e", response_id: "r", item_id: "i", output_index: 0, content_index: 0, delta: "QUFB".repeat(8000) }));
  const geminiAudio = encoder.encode(JSON.stringify({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: "audio/pcm", data: "QUFB".repeat(8000) } }] } } }));
  const openai = createRealtimeMeter("openai", { urlModel: null, now: () => 0, emit: () => assert.fail("nothing to emit") });
  const gemini = createRealtimeMeter("gemini-live", { urlModel: null, now: () => 0, emit: () => assert.fail("nothing to emit") });
  const parse = JSON.parse;
  let parses = 0;
  JSON.parse = ((...args: Parameters<typeof JSON.parse>) => (parses++, parse(...args))) as typeof JSON.parse;
  try {
    for (let i = 0; i < 1000; i++) {
      openai.fromUpstream(delta);
      gemini.fromUpstream(geminiAudio);
    }
  } finally {
    JSON.parse = parse;
  }
  assert.equal(parses, 0);
  // The probe reads the top-level type only: a nested "type" is not the event's.
  assert.equal(eventKind(encoder.encode('{"event_id":"e","item":{"type":"response.done"},"type":"response.output_audio.delta"}')), 0);
  assert.notEqual(eventKind(encoder.encode('{"event_id":"e","type":"response.done","response":{}}')), 0);
});
