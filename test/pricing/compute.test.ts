// Compute seconds, provider-reported costs beside the table's, and Bedrock ARNs that name no model (issue 23,
// docs/architecture.md §21).
import { test } from "node:test";
import assert from "node:assert/strict";
import { arnGap } from "../../src/pricing/lookup.ts";
import { parsePriceOverrides } from "../../src/pricing/overrides.ts";
import { createPricer, REPORTED_TOLERANCE, reportedApart } from "../../src/pricing/pricer.ts";
import { ctx, usage } from "./_helpers.ts";

const overrides = parsePriceOverrides(
  JSON.stringify({
    "replicate/stability-ai/sdxl": { second: 0.000725 },
    "replicate/acme/image-only": { image: 0.003 },
  }),
  "compute.json",
);
const pricer = createPricer({ overrides });

test("compute_ms × the per-second rate / 1000, exact; the breakdown names it", () => {
  const r = pricer.price(usage({ compute_ms: 4512 }), ctx("replicate", "stability-ai/sdxl"));
  assert.deepEqual([r.priced, r.cost_pico, r.breakdown], [true, 3_271_200_000, { compute_ms: 3_271_200_000 }]);
});

test("a token-priced Replicate language model bills its tokens; its running time is not billed on top", () => {
  const r = pricer.price(usage({ input_tokens: 100, output_tokens: 50, compute_ms: 2300 }), ctx("replicate", "meta/llama-3-8b-instruct"));
  // $0.05 / $0.25 per M
  assert.deepEqual([r.priced, r.cost_pico], [true, 100 * 50_000 + 50 * 250_000]);
});

test("time without a per-second rate is unpriced with the reason, never $0", () => {
  const row = pricer.price(usage({ compute_ms: 1200 }), ctx("replicate", "acme/image-only"));
  assert.deepEqual([row.priced, row.cost_pico], [false, null]);
  assert.match(row.note ?? "", /no per-second compute price/);
  const none = pricer.price(usage({ compute_ms: 1200 }), ctx("replicate", "black-forest-labs/flux-dev"));
  assert.equal(none.priced, false);
  assert.equal(
    none.note,
    'unpriced: no per-second compute price for black-forest-labs/flux-dev (a --prices row "replicate/black-forest-labs/flux-dev": {"second": USD} gives one)',
  );
  // Language model rows without a rate still need tokens to skip the time: a time alone stays unpriced.
  assert.equal(pricer.price(usage({ compute_ms: 1200 }), ctx("replicate", "meta/llama-3-8b-instruct")).priced, false);
});

test("a reported cost is the cost; the computed breakdown stays; beyond 1% and $0.000001 it is noted", () => {
  const u = usage({ input_tokens: 1000, output_tokens: 100 });
  const same = createPricer().price(u, ctx("openrouter", "openai/gpt-4o", { reportedCostPico: 3_500_000_000 }));
  assert.deepEqual([same.cost_pico, same.source, same.breakdown, same.note], [3_500_000_000, "reported", { input: 2_500_000_000, output: 1_000_000_000 }, undefined]);
  const off = createPricer().price(u, ctx("openrouter", "openai/gpt-4o", { reportedCostPico: 4_000_000_000 }));
  assert.equal(off.cost_pico, 4_000_000_000);
  assert.match(off.note ?? "", /^reported cost \$0\.004 differs from the \$0\.0035 computed at openrouter\/openai\/gpt-4o by more than 1%/);
  // Unknown model: nothing to compare.
  const unknown = createPricer().price(u, ctx("openrouter", "acme/new-model", { reportedCostPico: 9 }));
  assert.deepEqual([unknown.cost_pico, unknown.note], [9, undefined]);
});

test("Perplexity's reported cost is compared too: its request fee by context size is computed", () => {
  // Perplexity's docs example: 24 + 2681 tokens on sonar-pro at low context, reported as $0.04629 (exact: $0.046287).
  const u = usage({ input_tokens: 24, output_tokens: 2681, request_fees: 1 });
  const at = (reportedCostPico: number) =>
    createPricer().price(u, ctx("perplexity-ai", "sonar-pro", { reportedCostPico, searchContext: "low" }));
  assert.equal(at(46_290_000_000).note, undefined);
  assert.match(at(60_000_000_000).note ?? "", /^reported cost \$0\.06 differs from the \$0\.046287 computed at perplexity\/sonar-pro/);
});

test("the tolerance: 1% of the computed cost AND $0.000001, both exceeded", () => {
  assert.equal(reportedApart(3_535_000_000, 3_500_000_000, "k"), null); // exactly 1%
  assert.notEqual(reportedApart(3_535_000_001, 3_500_000_000, "k"), null);
  assert.equal(reportedApart(1_000_001, 1, "k"), null); // far over 1%, but exactly $0.000001 apart
  assert.notEqual(reportedApart(1_000_002, 1, "k"), null);
  assert.equal(reportedApart(900_000, 1, "k"), null); // far apart in % but below a millionth of a dollar
});

test("Bedrock ARNs that name no model: the reason by kind; profiles and foundation models are not gaps", () => {
  const arn = (kind: string) => `arn:aws:bedrock:us-east-1:123456789012:${kind}/abc`;
  assert.match(arnGap("aws-bedrock", arn("application-inference-profile")) ?? "", /application inference profile ARN does not name its model/);
  assert.match(arnGap("aws-bedrock", encodeURIComponent(arn("application-inference-profile"))) ?? "", /application inference profile/);
  assert.match(arnGap("aws-bedrock", arn("provisioned-model")) ?? "", /billed per model unit and hour/);
  assert.match(arnGap("aws-bedrock", arn("custom-model")) ?? "", /"custom-model" ARN names no model/);
  assert.equal(arnGap("aws-bedrock", arn("inference-profile").replace("abc", "us.anthropic.claude-3-haiku-20240307-v1:0")), null);
  assert.equal(arnGap("aws-bedrock", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"), null);
  assert.equal(arnGap("openai", arn("application-inference-profile")), null);
  const r = createPricer().price(usage({ input_tokens: 10 }), ctx("aws-bedrock", arn("application-inference-profile")));
  assert.match(r.note ?? "", /^unpriced: an application inference profile ARN/);
});

test("reported cost: the Number comparison decides as BigInt arithmetic does, over many amounts", () => {
  let seed = 9;
  const next = () => Math.floor((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 15);
  const amount = () => Math.min(Number.MAX_SAFE_INTEGER, Math.floor((next() / 65536) * 10 ** (next() % 17)));
  for (let i = 0; i < 20_000; i++) {
    const computed = amount();
    const reported = i % 3 === 0 ? computed + (next() % 3 - 1) * Math.floor(computed / 100) : amount();
    if (!Number.isSafeInteger(reported) || reported < 0) continue;
    const diff = BigInt(Math.abs(reported - computed));
    const within = diff <= BigInt(REPORTED_TOLERANCE.pico) || diff * 100n <= BigInt(computed) * BigInt(REPORTED_TOLERANCE.percent);
    assert.equal(reportedApart(reported, computed, "k") === null, within, `${reported} ${computed}`);
  }
});
