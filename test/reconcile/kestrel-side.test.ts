// Kestrel's side of the comparison on every backend: records summed per UTC day × model × key, records without a
// key as the rest of the provider's total, models lower-cased, groups that billed nothing left out.
import assert from "node:assert/strict";
import { kestrelUsage } from "../../src/reconcile/kestrel-side.ts";
import { testNeeding } from "../_helpers/host.ts";
import { backends } from "../store/backends.ts";
import { makeRecord } from "../store/helpers.ts";

const at = (iso: string) => ({ ts: iso });
const RECORDS = [
  makeRecord(1, { ...at("2026-11-20T10:00:00.000Z"), provider: "openai", model: "GPT-4o", key_id: "k1", input_tokens: 10, output_tokens: 1, cost_pico: 5 }),
  makeRecord(2, { ...at("2026-11-20T11:00:00.000Z"), provider: "openai", model: "gpt-4o", key_id: "k1", input_tokens: 20, output_tokens: 2, cost_pico: 7 }),
  makeRecord(3, { ...at("2026-11-20T12:00:00.000Z"), provider: "openai", model: "gpt-4o", key_id: null, input_tokens: 30, output_tokens: 3, cost_pico: 11 }),
  makeRecord(4, { ...at("2026-11-21T00:00:00.000Z"), provider: "openai", model: "gpt-4o", key_id: "k2", input_tokens: 40, output_tokens: 4, cost_pico: 13 }),
  // Refused: no usage, no cost. Left out.
  makeRecord(5, { ...at("2026-11-21T01:00:00.000Z"), provider: "openai", model: "gpt-4o-mini", key_id: "k2", outcome: "blocked", input_tokens: null, output_tokens: null, total_tokens: null, cache_read_tokens: null, cache_write_tokens: null, cost_pico: null, priced: false, usage_source: "none" }),
  // Another provider, and a day outside the range.
  makeRecord(6, { ...at("2026-11-20T10:00:00.000Z"), provider: "anthropic", key_id: "k1" }),
  makeRecord(7, { ...at("2026-11-22T00:00:00.000Z"), provider: "openai", model: "gpt-4o", key_id: "k1" }),
].map((r) => ({ ...r, cache_read_tokens: 0, cache_write_tokens: 0 }));

for (const { name, missing, database } of await backends()) {
  testNeeding(`${name}: Kestrel's records per day, model and key`, missing, async () => {
    const store = (await database())();
    for (const r of RECORDS) store.add(r);
    await store.flush();
    const rows = await kestrelUsage(store, "openai", "2026-11-20", "2026-11-22");
    assert.deepEqual(
      rows.map((r) => [r.day, r.model, r.key_id, r.requests, r.input_tokens, r.output_tokens, r.cost_pico]).sort(),
      [
        ["2026-11-20", "gpt-4o", null, 1, 30, 3, 11n],
        ["2026-11-20", "gpt-4o", "k1", 2, 30, 3, 12n],
        ["2026-11-21", "gpt-4o", "k2", 1, 40, 4, 13n],
      ],
    );
  });
}
