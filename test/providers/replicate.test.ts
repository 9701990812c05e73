// Replicate predictions (docs/architecture.md §21): compute seconds from `metrics.predict_time` on a finished
// prediction, once per prediction; the prediction object as documented at replicate.com/docs/reference/http.
import { test } from "node:test";
import assert from "node:assert/strict";
import { replicateRequestModel } from "../../src/providers/replicate.ts";
import { buildUsage } from "../../src/usage/build.ts";
import { accumulatorOrNull, facts, meterJson } from "./_feed.ts";

const finished = (id: string, metrics: Record<string, unknown>, status = "succeeded") => ({
  id,
  model: "stability-ai/sdxl",
  version: "39ed52f2",
  status,
  output: ["https://replicate.delivery/x.png"],
  error: null,
  metrics,
  urls: { get: `https://api.replicate.com/v1/predictions/${id}` },
});
const CREATE = facts("replicate", "/v1/models/stability-ai/sdxl/predictions", { body: { input: { prompt: "x" } } });

test("a finished prediction: predict_time in whole milliseconds, reported; the metrics are the native usage", () => {
  const r = meterJson(CREATE, finished("t-ok", { predict_time: 4.5125 }));
  assert.deepEqual([r.usage, r.source, r.model, r.native], [buildUsage({ input: 0, output: 0, computeMs: 4513 }), "reported", "stability-ai/sdxl", { predict_time: 4.5125 }]);
});

test("failed and canceled predictions are billed for the time they ran", () => {
  for (const status of ["failed", "canceled"]) {
    assert.equal(meterJson(CREATE, finished(`t-${status}`, { predict_time: 0.75 }, status)).usage?.compute_ms, 750);
  }
});

test("a prediction still starting or processing has no usage yet (the poll that sees it end has)", () => {
  for (const status of ["starting", "processing"]) {
    const r = meterJson(CREATE, { ...finished(`t-${status}-p`, {}), status, output: null });
    assert.deepEqual([r.usage, r.source], [null, "none"]);
  }
});

test("the same finished prediction fetched again is not metered twice", () => {
  const get = facts("replicate", "/v1/predictions/t-twice", { method: "GET" });
  assert.equal(meterJson(get, finished("t-twice", { predict_time: 2 })).usage?.compute_ms, 2000);
  assert.deepEqual([meterJson(get, finished("t-twice", { predict_time: 2 })).source], ["none"]);
});

test("language models: token counts beside the time", () => {
  const r = meterJson(CREATE, finished("t-llm", { predict_time: 1.234, input_token_count: 12, output_token_count: 34, tokens_per_second: 40 }));
  assert.deepEqual(r.usage, buildUsage({ input: 12, output: 34, computeMs: 1234 }));
});

test("an error answer, or an unreadable time, has no usage", () => {
  assert.equal(meterJson(CREATE, { detail: "Invalid version" }, { status: 422 }).usage, null);
  assert.equal(meterJson(CREATE, finished("t-bad", { predict_time: "soon" })).usage, null);
  assert.equal(meterJson(CREATE, finished("t-neg", { predict_time: -1 })).usage, null);
});

test("which requests are metered, and the model a create names", () => {
  assert.notEqual(accumulatorOrNull(facts("replicate", "/v1/predictions")), null);
  assert.notEqual(accumulatorOrNull(facts("replicate", "/v1/deployments/acme/sdxl/predictions")), null);
  assert.notEqual(accumulatorOrNull(facts("replicate", "/v1/predictions/abc/cancel")), null);
  assert.notEqual(accumulatorOrNull(facts("replicate", "/v1/predictions/abc", { method: "GET" })), null);
  // Lists repeat every prediction's metrics; models, trainings and files are not predictions.
  assert.equal(accumulatorOrNull(facts("replicate", "/v1/predictions", { method: "GET" })), null);
  assert.equal(accumulatorOrNull(facts("replicate", "/v1/models/acme/x", { method: "GET" })), null);
  assert.equal(accumulatorOrNull(facts("replicate", "/v1/trainings")), null);
  assert.equal(replicateRequestModel(CREATE), "stability-ai/sdxl");
  assert.equal(replicateRequestModel(facts("replicate", "/v1/predictions", { body: { version: "stability-ai/sdxl:39ed52f2" } })), "stability-ai/sdxl");
  assert.equal(replicateRequestModel(facts("replicate", "/v1/predictions", { body: { version: "39ed52f2" } })), null);
});
