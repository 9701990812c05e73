import { test } from "node:test";
import assert from "node:assert/strict";
import { lookupModel, normalizeModelId } from "../../src/pricing/lookup.ts";
import { createTable } from "../../src/pricing/table.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import { ctx, usage } from "./_helpers.ts";

const table = createTable();

// [provider, model as reported, geo, expected table key (null = unpriced), why]
const ROWS: [string, string, string | null, string | null, string][] = [
  ["openai", "gpt-4o-2024-08-06", null, "gpt-4o-2024-08-06", "dated snapshot present: exact"],
  ["anthropic", "claude-sonnet-4-5-20250929", null, "claude-sonnet-4-5-20250929", "exact"],
  ["anthropic", "claude-sonnet-4-5-20990101", null, "claude-sonnet-4-5", "unknown snapshot → alias: every sonnet-4-5 snapshot has its price"],
  ["openai", "gpt-5-mini-2099-01-01", null, "gpt-5-mini", "unknown snapshot → alias (family agrees)"],
  ["openai", "gpt-4o-2099-01-01", null, null, "gpt-4o-2024-05-13 was $5/$15: an unknown gpt-4o snapshot stays unpriced"],
  ["openai", "gpt-3.5-turbo-instruct:20230824-v2", null, "gpt-3.5-turbo-instruct", "build tag dropped"],
  ["openai", "ft:gpt-4o-mini-2024-07-18:org::abc123", null, "ft:gpt-4o-mini-2024-07-18", "fine-tunes at their own ft: row (issue 23)"],
  ["anthropic", "claude-3-opus-latest", null, "claude-3-opus-latest", "alias added by corrections"],
  ["anthropic", "claude-3-5-haiku-20241022", null, "claude-3-5-haiku-20241022", "row added by corrections"],
  ["aws-bedrock", "us.anthropic.claude-3-5-sonnet-20241022-v2:0", null, "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "region profile, exact"],
  ["aws-bedrock", "jp.anthropic.claude-3-haiku-20240307-v1:0", null, "anthropic.claude-3-haiku-20240307-v1:0", "unknown profile → base: all known profiles price alike"],
  ["aws-bedrock", "ca.amazon.nova-lite-v1:0", null, null, "eu./apac. nova-lite differ from base: an unknown profile could too"],
  ["aws-bedrock", "us.anthropic.claude-3-5-haiku-20241022-v1%3A0", null, "us.anthropic.claude-3-5-haiku-20241022-v1:0", "URL-encoded path id"],
  ["aws-bedrock", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0", null, "us.anthropic.claude-3-5-haiku-20241022-v1:0", "inference-profile ARN"],
  ["aws-bedrock", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", null, "anthropic.claude-3-haiku-20240307-v1:0", "foundation-model ARN"],
  ["aws-bedrock", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", null, null, "application profile ARN names no model"],
  ["aws-bedrock", "anthropic.claude-sonnet-4-6-v1:0", null, "anthropic.claude-sonnet-4-6", "-v1:0 suffix dropped (the table has the id without it)"],
  ["aws-bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0", "us-gov-west-1", "bedrock/us-gov-west-1/anthropic.claude-sonnet-4-5-20250929-v1:0", "region-specific row when the region is known"],
  ["aws-bedrock", "arn:aws-us-gov:bedrock:us-gov-west-1:1:inference-profile/anthropic.claude-sonnet-4-5-20250929-v1:0", null, "bedrock/us-gov-west-1/anthropic.claude-sonnet-4-5-20250929-v1:0", "region from the ARN"],
  ["aws-bedrock", "anthropic.claude-3-5-sonnet-20241022-v1:0", null, null, "near miss: v1 of 20241022 does not exist (v2 does); no match"],
  ["google-vertex-ai", "gemini-2.5-pro", null, "gemini-2.5-pro", "Vertex Gemini is bare"],
  ["google-vertex-ai", "projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro", null, "gemini-2.5-pro", "resource path dropped"],
  ["google-vertex-ai", "claude-sonnet-4-5@20250929", null, "vertex_ai/claude-sonnet-4-5@20250929", "Vertex Claude prefix"],
  ["google-vertex-ai", "claude-opus-4-1-20250805", null, "vertex_ai/claude-opus-4-1@20250805", "-date and @date spell one snapshot"],
  ["google-vertex-ai", "gemini-3.1-pro-preview", null, "gemini-3.1-pro-preview", "fixture model"],
  ["google-ai-studio", "models/gemini-2.5-flash", null, "gemini/gemini-2.5-flash", "AI Studio models/ prefix"],
  ["google-ai-studio", "gemini-3-pro-preview", null, "gemini/gemini-3-pro-preview", "AI Studio gemini/ key prefix"],
  ["google-ai-studio", "gemini-2.5-pro-preview", null, null, "near miss: no preview row, never the GA price"],
  ["openrouter", "anthropic/claude-sonnet-4.5", null, "openrouter/anthropic/claude-sonnet-4.5", "OpenRouter vendor/model"],
  ["azure-openai", "gpt-5-nano-2025-08-07", null, "azure/gpt-5-nano-2025-08-07", "Azure reports the underlying snapshot"],
  ["azure-openai", "gpt-5-nano-2025-08-07", "eu", "azure/eu/gpt-5-nano-2025-08-07", "Azure EU data zone row"],
  ["together", "meta-llama/llama-3.3-70b-instruct-turbo", null, "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "case-insensitive"],
  ["together", "Baai/Bge-Base-En-v1.5", null, null, "two keys differ only in case: exact spelling required"],
  ["fireworks", "llama-v3p1-8b-instruct", null, "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct", "short Fireworks id"],
  ["mistral", "mistral-small-latest", null, "mistral/mistral-small-latest", "fixture alias, provider prefix"],
  ["mistral", "magistral-medium-2507", null, null, "no row for 2507 (2506 and 2509 exist): no neighbour guessing"],
  ["groq", "llama-3.3-70b-versatile", null, "groq/llama-3.3-70b-versatile", "provider prefix"],
  ["grok", "grok-3-mini", null, "xai/grok-3-mini", "provider prefix"],
  ["openai", "gpt-4o-mini-tts", null, "gpt-4o-mini-tts", "its own speech row (issue 23), never gpt-4o-mini's price"],
  ["openai", "gpt-4o-min", null, null, "near miss: no prefix matching"],
  ["anthropic", "gpt-4o", null, null, "another provider's model"],
  ["my-vllm", "llama-3", null, null, "provider without table prices"],
];

for (const [provider, model, geo, want, why] of ROWS) {
  test(`lookup: ${provider} ${model}${geo ? ` (${geo})` : ""} — ${why}`, () => {
    const m = lookupModel(table, provider, model, geo);
    assert.equal(m?.key ?? null, want);
  });
}

test("lookup: Azure falls back to the OpenAI row for the same id only", () => {
  // text-embedding-3-small-like ids exist on both; pick one the azure partition lacks.
  const azureKeys = new Set(table.keys("azure-openai"));
  const onlyOpenAI = [...table.keys("openai")].find((k) => !azureKeys.has(`azure/${k}`) && !azureKeys.has(`azure_ai/${k}`));
  assert.ok(onlyOpenAI, "some OpenAI model has no Azure row");
  const m = lookupModel(table, "azure-openai", onlyOpenAI, null);
  assert.equal(m?.provider, "openai");
  assert.equal(m?.key, onlyOpenAI);
});

test("lookup: normalizeModelId", () => {
  assert.deepEqual(normalizeModelId("aws-bedrock", " anthropic.claude-v2%3A1 "), { id: "anthropic.claude-v2:1", region: null });
  assert.deepEqual(normalizeModelId("google-ai-studio", "tunedModels/abc"), { id: "tunedModels/abc", region: null }); // a tune is not its base
  assert.equal(normalizeModelId("aws-bedrock", "arn:aws:bedrock:us-east-1:1:provisioned-model/xyz"), null);
  assert.equal(normalizeModelId("openai", "  "), null);
  assert.deepEqual(normalizeModelId("openai", "bad%zzescape"), { id: "bad%zzescape", region: null });
});

test("lookup: fine-tunes at their ft:<base> row, never at base rates (issue 23)", () => {
  const t = createTable();
  assert.equal(lookupModel(t, "openai", "ft:gpt-4o-mini-2024-07-18:acme::AbC123", null)?.key, "ft:gpt-4o-mini-2024-07-18");
  assert.equal(lookupModel(t, "openai", "ft:gpt-4o-mini-2024-07-18:acme:my-name:AbC123", null)?.key, "ft:gpt-4o-mini-2024-07-18");
  assert.equal(lookupModel(t, "openai", "ft:gpt-5-nano-2025-08-07:acme::X", null), null); // no ft: row
  const r = createPricer().price(usage({ input_tokens: 10, output_tokens: 5, total_tokens: 15 }), ctx("openai", "ft:gpt-5-nano-2025-08-07:acme::X"));
  assert.equal(r.priced, false);
  assert.match(r.note ?? "", /fine-tune of gpt-5-nano-2025-08-07 and no "ft:gpt-5-nano-2025-08-07" price row/);
});
