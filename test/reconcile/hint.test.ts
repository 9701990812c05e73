// Key hints: Anthropic's form of a key (first 16 and last 4 characters), matching the providers' masked keys, and
// the recorder that stores each new key's hint once per process and never the key.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createKeyHints, hintFits, keyHint } from "../../src/reconcile/hint.ts";

const KEY = `sk-ant-api03-R2D${"x".repeat(80)}igAA`;

test("keyHint is Anthropic's partial_key_hint form; a short credential gets none", () => {
  assert.equal(keyHint(KEY), "sk-ant-api03-R2D...igAA");
  assert.equal(keyHint("sk-short-test-key"), null);
});

// [masked value the provider lists, fits the hint of KEY]
const CASES: [string, boolean][] = [
  ["sk-ant-api03-R2D...igAA", true], // Anthropic's own form
  ["sk-ant-...igAA", true], // a shorter visible start
  ["sk-ant-api03-R2D\u2026igAA", true], // an ellipsis character
  ["sk-ant-****igAA", true], // stars
  ["sk-ant-api03-R2D...igAB", false], // another key's end
  ["sk-proj-...igAA", false], // another start
  ["sk-ant-...AA", false], // too few visible trailing characters to tell keys apart
  ["sk-ant-api03-R2DxxxxigAA", false], // nothing masked: not a masked key
];
for (const [masked, fits] of CASES) {
  test(`hintFits(${JSON.stringify(masked)}) is ${fits}`, () => assert.equal(hintFits(masked, keyHint(KEY)!), fits));
}

test("the recorder stores a key's hint once per process, only for reconciled providers, retrying a while after a failure", async () => {
  const stored: string[] = [];
  let fail = true;
  const errors: string[] = [];
  let asked = 0;
  const hints = createKeyHints(async (fp, provider, hint) => {
    if (fail) {
      fail = false;
      throw new Error("database busy");
    }
    stored.push(`${provider} ${fp} ${hint}`);
  }, (m) => errors.push(m), ["anthropic"], 30);
  const credential = () => (asked++, KEY);
  hints.see("anthropic", "fp1", credential);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(errors, ["Key hint for anthropic key fp1 not stored: database busy"]);
  hints.see("anthropic", "fp1", credential); // within the minute: not asked again
  assert.equal(asked, 1);
  await new Promise((r) => setTimeout(r, 60));
  hints.see("anthropic", "fp1", credential);
  hints.see("anthropic", "fp1", credential);
  hints.see("openai", "fp2", credential);
  hints.see("anthropic", null, credential);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(stored, ["anthropic fp1 sk-ant-api03-R2D...igAA"]);
  assert.equal(asked, 2, "the credential is read only for a fingerprint not yet recorded");
  assert.ok(!JSON.stringify([stored, errors]).includes(KEY));
});
