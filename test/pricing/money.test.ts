import { test } from "node:test";
import assert from "node:assert/strict";
import { decimalToScaled, decimalToScaledRounded } from "../../src/pricing/decimal.ts";
import { sumPico, ticksToPico, usd, usdFixed, usdToPico } from "../../src/pricing/money.ts";
import { createTable } from "../../src/pricing/table.ts";
import { RATE_CLASSES } from "../../src/pricing/litellm-row.ts";
import type { RateSet } from "../../src/pricing/types.ts";

// [pico, usd(pico)]
const USD: [number | bigint, string][] = [
  [0, "0"],
  [1, "0.000000000001"], // one pico-dollar
  [1_350_000_000, "0.00135"], // seed total, trailing zeros trimmed
  [45_000_000, "0.000045"],
  [1_000_000_000_000, "1"],
  [123_456_789_012_345, "123.456789012345"],
  [-2_500_000, "-0.0000025"],
  [10n ** 30n + 1n, "1000000000000000000.000000000001"], // bigint beyond 2^53
];
for (const [pico, want] of USD) test(`money: usd(${pico}) = ${want}`, () => assert.equal(usd(pico), want));

// [pico, decimals, usdFixed] — half up (away from zero)
const FIXED: [number, number, string][] = [
  [45_000_000, 6, "0.000045"],
  [1_350_000_000, 6, "0.001350"], // seed's Total=$0.001350
  [499_999, 6, "0.000000"], // 0.000000499999 rounds down
  [500_000, 6, "0.000001"], // exactly half rounds up
  [-500_000, 6, "-0.000001"], // half away from zero
  [-499_999, 6, "0.000000"], // no "-0.000000"
  [1_999_999_999_999, 2, "2.00"],
  [1_234_567_890_123, 0, "1"],
  [1_500_000_000_000, 0, "2"],
  [7, 12, "0.000000000007"],
];
for (const [pico, d, want] of FIXED) {
  test(`money: usdFixed(${pico}, ${d}) = ${want}`, () => assert.equal(usdFixed(pico, d), want));
}

test("money: invalid amounts are refused, not rounded", () => {
  assert.throws(() => usd(0.5), /not an exact integer/);
  assert.throws(() => usd(2 ** 53), /not an exact integer/);
  assert.throws(() => usdFixed(1, 13), /Decimals/);
});

// [decimal text, scale, exact scaled value or null]
const DECIMALS: [string, number, bigint | null][] = [
  ["2.5e-06", 12, 2_500_000n], // $2.50/M in pico per token
  ["3.75e-06", 12, 3_750_000n],
  ["1.875e-05", 12, 18_750_000n],
  ["0.000033333333333333335", 12, null], // Gemini video per-second price: not exact in pico
  ["5e-09", 12, 5_000n],
  ["0", 12, 0n],
  ["0.0", 12, 0n],
  ["1.1", 3, 1_100n], // multiplier in thousandths
  ["1.10000", 3, 1_100n],
  ["1.1005", 3, null],
  ["-3", 0, -3n],
  ["3.", 0, null], // not JSON
  ["abc", 0, null],
  ["1e400", 0, null], // absurd exponent refused
];
for (const [text, scale, want] of DECIMALS) {
  test(`decimal: ${text} × 10^${scale}`, () => assert.equal(decimalToScaled(text, scale), want));
}

test("decimal: rounded conversion for provider-reported amounts", () => {
  assert.equal(decimalToScaledRounded("0.0000001234565", 12), 123_457n); // 123456.5 → 123457
  assert.equal(decimalToScaledRounded("0.0000001234564", 12), 123_456n);
  assert.equal(usdToPico(0.00014), 140_000_000); // OpenRouter usage.cost
  assert.equal(usdToPico("1.5e-7"), 150_000);
  assert.equal(usdToPico(-1), null);
  assert.equal(usdToPico(Number.NaN), null);
  assert.equal(ticksToPico(1_466_250), 146_625_000); // xAI: 1 tick = 1e-10 USD = 100 pico
  assert.equal(ticksToPico(1.5), null);
});

test("money: 1,000,000 × the smallest priced token sums exactly", () => {
  // Find the smallest non-zero per-token rate anywhere in the table (base, tiers, service tiers).
  const table = createTable();
  let min = Number.POSITIVE_INFINITY;
  const visit = (s: RateSet | undefined) => {
    if (!s) return;
    for (const c of RATE_CLASSES) {
      const v = s[c];
      if (v !== undefined && v > 0 && v < min) min = v;
    }
    for (const t of s.tiers ?? []) visit(t);
  };
  for (const p of table.providers()) {
    for (const k of table.keys(p)) {
      const price = table.get(p, k)?.price;
      visit(price);
      visit(price?.flex);
      visit(price?.priority);
      visit(price?.batch);
    }
  }
  // The smallest rate in this table is 130 pico-USD (Fireworks image rows, kept since the image modes are: issue 23);
  // 1e6 of them = 1.3e8 pico = $0.00013.
  assert.equal(min, 130);
  const costs = Array.from({ length: 1_000_000 }, () => min);
  const total = sumPico(costs);
  assert.equal(total, 130_000_000n);
  assert.equal(usd(total), "0.00013");
  // The same sum in float USD drifts; integers do not.
  let floatUsd = 0;
  for (const c of costs) floatUsd += c / 1e12;
  assert.notEqual(floatUsd, 0.00013);
  // gpt-5-nano cached input (2500 pico, $0.0025/M): 1e6 tokens = $0.0025 exactly.
  assert.equal(usd(sumPico(Array.from({ length: 1_000_000 }, () => 2500))), "0.0025");
});

test("money: usd of a safe integer (the Number path) equals the BigInt path's text, over many amounts", () => {
  let seed = 25;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const amounts: number[] = [0, -0, 1, -1, 10, 1e12, -1e12, 1e12 - 1, 1e12 + 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
  for (let i = 0; i < 20_000; i++) {
    // Every magnitude, with and without trailing zeros.
    const digits = next() % 16;
    const n = Math.floor((next() / 2 ** 31) * 10 ** digits) * 10 ** (next() % 4);
    if (Number.isSafeInteger(n)) amounts.push(i % 7 === 0 ? -n : n);
  }
  for (const n of amounts) assert.equal(usd(n), usd(BigInt(n)), String(n));
});
