import { test } from "node:test";
import assert from "node:assert/strict";
import { mergePriceOverrides, parsePriceOverrides } from "../../src/pricing/overrides.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import { PRICE_VERSION } from "../../src/pricing/version.ts";
import { ctx, usage } from "./_helpers.ts";

const NATIVE = `{
  "openai/gpt-x": {
    "input": 3,
    "output": 15,
    "cache_read": 0.3,
    "cache_write": 3.75,
    "cache_write_1h": 6
  },
  "mistral/magistral-medium-2507": { "input": 2, "output": 5 },
  "my-vllm/llama-3": { "input": 0, "output": 0 },
  "google-ai-studio/gemini-x": {
    "input": 1.25, "output": 10,
    "tiers": [{ "above": 200000, "input": 2.5, "output": 15 }],
    "priority": { "input": 2.25 },
    "web_search": 35
  }
}`;

const LITELLM = `{
  "gpt-4o": {
    "litellm_provider": "openai",
    "mode": "chat",
    "input_cost_per_token": 1e-06,
    "output_cost_per_token": 2e-06
  }
}`;

const overrides = mergePriceOverrides([parsePriceOverrides(NATIVE, "native.json"), parsePriceOverrides(LITELLM, "litellm.json")]);
const pricer = createPricer({ overrides });

// [provider, model, usage, tier, expected total pico, hand computation]
const PRICED: [string, string, Parameters<typeof usage>[0], string | null, number, string][] = [
  ["openai", "gpt-x", { input_tokens: 1000, cache_read_tokens: 100, output_tokens: 10 }, null, 2_880_000_000, "900 × 3 + 100 × 0.3 + 10 × 15 = 2700e6 + 30e6 + 150e6"],
  ["mistral", "magistral-medium-2507", { input_tokens: 10, output_tokens: 46 }, null, 250_000_000, "10 × 2 + 46 × 5 = 20e6 + 230e6 (the fixture's model, unpriced without the override)"],
  ["my-vllm", "llama-3", { input_tokens: 10, output_tokens: 10 }, null, 0, "explicitly free: 0, priced"],
  ["openai", "gpt-4o", { input_tokens: 1000, output_tokens: 100 }, null, 1_200_000_000, "LiteLLM-format override wins: 1000 × 1 + 100 × 2 = 1000e6 + 200e6"],
  ["google-ai-studio", "gemini-x", { input_tokens: 200_001, output_tokens: 10, web_search_requests: 2 }, null, 500_002_500_000 + 150_000_000 + 70_000_000_000, "200,001 × 2.5 + 10 × 15 + 2 × $0.035"],
  ["google-ai-studio", "gemini-x", { input_tokens: 1000 }, "priority", 2_250_000_000, "1000 × 2.25 (priority input)"],
];

for (const [provider, model, u, tier, want, why] of PRICED) {
  test(`overrides: ${provider}/${model}${tier ? ` ${tier}` : ""} — ${why}`, () => {
    const r = pricer.price(usage(u), ctx(provider, model, { serviceTier: tier }));
    assert.equal(r.priced, true);
    assert.equal(r.source, "override");
    assert.equal(r.cost_pico, want);
  });
}

test("overrides: version and describe say where prices come from", () => {
  assert.match(pricer.version, new RegExp(`^${PRICE_VERSION.replace(/[.+]/g, "\\$&")}\\+o[0-9a-f]{8}$`));
  assert.match(pricer.describe("gpt-x"), /override from "native\.json" line 2/);
  assert.match(pricer.describe("openai/gpt-4o"), /\[override\][\s\S]*override from "litellm\.json" line 2/);
  assert.match(pricer.describe(), /overrides: native\.json, litellm\.json/);
  // Without overrides, gpt-4o is the table's.
  assert.equal(createPricer().price(usage({ input_tokens: 1000 }), ctx("openai", "gpt-4o")).cost_pico, 2_500_000_000);
});

// [file text, expected error message] — the message names the file, the line and the key at fault.
const BAD: [string, string][] = [
  [`{\n  "openai/gpt-x": {\n    "output": 15,\n    "input": -1\n  }\n}`, `Invalid price file "p.json": line 4, key "openai/gpt-x": "input" must be a non-negative number`],
  [`{\n  "openai/gpt-x": {\n    "input": 3,\n    "output": "15"\n  }\n}`, `Invalid price file "p.json": line 4, key "openai/gpt-x": "output" must be a non-negative number`],
  [`{\n  "openai/gpt-x": { "input": 3, "output": 15,\n    "inptu": 3 }\n}`, `Invalid price file "p.json": line 3, key "openai/gpt-x": "inptu" is not a known price field`],
  [`{\n\n  "openai/gpt-x": { "input": 3 }\n}`, `Invalid price file "p.json": line 3, key "openai/gpt-x": "input" and "output" are required (or a per-unit rate: character, second, image, query, request)`],
  [`{\n  "gpt-x": { "input": 3, "output": 15 }\n}`, `Invalid price file "p.json": line 2, key "gpt-x": must be "provider/model" (or a LiteLLM row with "litellm_provider")`],
  [`{\n  "openai/gpt-x": { "input": 0.0000001, "output": 1 }\n}`, `Invalid price file "p.json": line 2, key "openai/gpt-x": "input" must be a non-negative number exact to 1e-12 USD`],
  [`{\n  "openai/gpt-x": { "input": 1, "output": 1,\n    "tiers": [{ "above": 1.5, "input": 2 }] }\n}`, `Invalid price file "p.json": line 3, key "openai/gpt-x": "above" must be a whole number of tokens`],
  [`{\n  "x": {\n    "litellm_provider": "ollama",\n    "input_cost_per_token": 1e-6\n  }\n}`, `Invalid price file "p.json": line 3, key "x": "litellm_provider" "ollama" is not a provider Kestrel prices`],
  [`{\n  "x": {\n    "litellm_provider": "openai",\n    "input_cost_per_token": "1e-6",\n    "output_cost_per_token": 1e-6\n  }\n}`, `Invalid price file "p.json": line 4, key "x": "input_cost_per_token" must be a non-negative number`],
  [`{\n  "x": {\n    "litellm_provider": "openai",\n    "input_cost_per_tokn": 1e-6\n  }\n}`, `Invalid price file "p.json": line 4, key "x": "input_cost_per_tokn" is not a known price field`],
  [`{\n  "x": { "litellm_provider": "openai", "mode": "video_generation",\n    "input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6 }\n}`, `Invalid price file "p.json": line 2, key "x": cannot price tokens (mode "video_generation")`],
  [`{\n  "openai/a": { "input": 1, "output": 1 },\n}`, `Invalid price file "p.json": line 3, expected a key`],
  [`{\n  "openai/A": { "input": 1, "output": 1 },\n  "openai/A": { "input": 2, "output": 2 }\n}`, `Invalid price file "p.json": line 3, duplicate key "openai/A"`],
  [`[]`, `Invalid price file "p.json": line 1, the file must be a JSON object`],
  [`{\n  "openai/a": 3\n}`, `Invalid price file "p.json": line 2, key "openai/a": must be an object`],
];

for (const [text, message] of BAD) {
  test(`overrides: refused — ${message.slice(message.indexOf("line"))}`, () => {
    assert.throws(() => parsePriceOverrides(text, "p.json"), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal(e.message, message);
      return true;
    });
  });
}

// Issue 20 item 10: a price check-config accepts can no longer make a request over ~$9,007 silently unpriced.
test("overrides: a token rate above $10,000 per million tokens is refused with its field", () => {
  assert.throws(() => parsePriceOverrides(`{ "openai/x": { "input": 10001, "output": 1 } }`, "p.json"), /"input" must be at most 10000 USD per million tokens/);
  assert.throws(
    () => parsePriceOverrides(`{ "x": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 0.02, "output_cost_per_token": 1e-6 } }`, "p.json"),
    /input_cost_per_token.*above 0.01 USD per token/,
  );
});

test("overrides: a request beyond the exact range is unpriced and says why, never silently", () => {
  const p = createPricer({ overrides: parsePriceOverrides(`{ "openai/dear": { "input": 10000, "output": 10000 } }`, "p.json") });
  const r = p.price(usage({ input_tokens: 1_000_000, output_tokens: 1 }), ctx("openai", "dear"));
  assert.equal(r.priced, false);
  assert.match(r.note ?? "", /exceeds the exact integer range \(2\^53, about \$9,007 in pico-USD\)/);
});

test("overrides: per-unit rates in USD per unit (issue 23)", () => {
  const o = parsePriceOverrides(`{"elevenlabs/eleven_multilingual_v2": {"character": 0.00018, "mode": "audio_speech"},
    "openai/whisper-x": {"second": 0.0001}}`, "p.json");
  assert.equal(o.entries.get("elevenlabs")?.get("elevenlabs/eleven_multilingual_v2")?.price.character, 180_000_000);
  assert.equal(o.entries.get("openai")?.get("whisper-x")?.price.second, 100_000_000);
  assert.throws(() => parsePriceOverrides(`{"openai/w": {"second": 0.0000000001}}`, "p.json"), /"second" must be exact to 1e-9 USD/);
});
