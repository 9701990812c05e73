// `kestrel usage`: a column for each unit the report has (issue 23), none when it has none.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderUsageTable } from "../../src/commands/report-table.ts";
import type { UsageTotals } from "../../src/store/queries.ts";

const totals = (over: Partial<UsageTotals> = {}): UsageTotals => ({
  requests: 1, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0,
  cache_write_1h_tokens: 0, audio_input_tokens: 0, audio_output_tokens: 0, characters: 0, audio_ms: 0, images: 0,
  search_queries: 0, request_fees: 0, compute_ms: 0, cost_usd: "0", unpriced_requests: 0, ...over,
});

test("usage table: unit columns only for units the report has, before the cost", () => {
  const t = totals({ characters: 1500, cost_usd: "0.0225" });
  const text = renderUsageTable({ groups: [{ key: "tts-1", ...t }], total: t }, "model");
  const header = text.split("\n")[0] ?? "";
  assert.match(header, /reasoning\s+characters\s+cost \(USD\)/);
  assert.doesNotMatch(header, /images|audio ms/);
  assert.match(text, /1,500/);
  const plain = renderUsageTable({ groups: [{ key: "gpt-4o", ...totals() }], total: totals() }, "model");
  assert.doesNotMatch(plain.split("\n")[0] ?? "", /characters/);
});

test("usage table: compute milliseconds (Replicate) get their own column, never added to audio", () => {
  const t = totals({ compute_ms: 16_858, cost_usd: "0.01222205" });
  const text = renderUsageTable({ groups: [{ key: "stability-ai/sdxl", ...t }], total: t }, "model");
  assert.match(text.split("\n")[0] ?? "", /reasoning\s+compute ms\s+cost \(USD\)/);
  assert.doesNotMatch(text.split("\n")[0] ?? "", /audio ms/);
  assert.match(text, /16,858/);
});
