// Key hints: digests of every masked form of a key, meeting the digest of a provider's masked key only when its
// visible ends are the key's, and the recorder that stores each new key's digests once per process, never a key
// character.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createKeyHints, keyDigests, maskedDigest } from "../../src/reconcile/hint.ts";

const KEY = `sk-ant-api03-R2D${"x".repeat(80)}igAA`;

test("keyDigests: 32 forms of hex digests, none holding a key character; a short credential gets none", async () => {
  const digests = (await keyDigests(KEY))!;
  assert.equal(digests.length, 32);
  assert.equal(new Set(digests).size, 32);
  for (const d of digests) assert.match(d, /^[0-9a-f]{32}$/);
  assert.equal(await keyDigests("sk-short-test-key"), null);
});

// [masked value the provider lists, links to KEY]
const CASES: [string, boolean][] = [
  ["sk-ant-api03-R2D...igAA", true], // Anthropic's own form
  ["sk-ant-...igAA", true], // a shorter visible start
  ["sk-ant-api03-R2D\u2026igAA", true], // an ellipsis character
  ["sk-ant-****igAA", true], // stars
  ["sk-ant-api03-R2D...igAB", false], // another key's end
  ["sk-proj-...igAA", false], // another start
  ["sk-ant-...AA", false], // too few visible trailing characters to tell keys apart
  ["sk-ant-api03-R2DxxxxigAA", false], // nothing masked: not a masked key
  ["...igAA", false], // no visible start
];
for (const [masked, fits] of CASES) {
  test(`maskedDigest(${JSON.stringify(masked)}) links: ${fits}`, async () => {
    const digest = await maskedDigest(masked);
    assert.equal(digest !== null && (await keyDigests(KEY))!.includes(digest), fits);
  });
}

test("the recorder stores a key's digests once per process, only for reconciled providers, retrying a while after a failure", async () => {
  const stored: string[] = [];
  let fail = true;
  const errors: string[] = [];
  let asked = 0;
  const hints = createKeyHints(async (fp, provider, digests) => {
    if (fail) {
      fail = false;
      throw new Error("database busy");
    }
    stored.push(`${provider} ${fp} ${digests.join(" ")}`);
  }, (m) => errors.push(m), ["anthropic"], 30);
  const credential = () => (asked++, KEY);
  hints.see("anthropic", "fp1", credential);
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(errors, ["Key hint for anthropic key fp1 not stored: database busy"]);
  hints.see("anthropic", "fp1", credential); // within the minute: not asked again
  assert.equal(asked, 1);
  await new Promise((r) => setTimeout(r, 60));
  hints.see("anthropic", "fp1", credential);
  hints.see("anthropic", "fp1", credential);
  hints.see("openai", "fp2", credential);
  hints.see("anthropic", null, credential);
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(stored, [`anthropic fp1 ${(await keyDigests(KEY))!.join(" ")}`]);
  assert.equal(asked, 2, "the credential is read only for a fingerprint not yet recorded");
  const seen = JSON.stringify([stored, errors]);
  for (const part of [KEY.slice(0, 8), KEY.slice(-4)]) assert.ok(!seen.includes(part), part);
});
