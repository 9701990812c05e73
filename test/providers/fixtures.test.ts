/**
 * Every fixture of test/fixtures/MANIFEST.json, fed through the real meter whole, at two-way split points, one
 * byte at a time and in seeded random splits, must give exactly the manifest's `usage_native` and model, and
 * the normalized Usage written out by hand below (from the rules of docs/architecture.md §4, not from the code).
 *
 * `.sse` files are SSE, `.json` files JSON. Bedrock `.chunks.txt` files (decoded ConverseStream events; the
 * binary framing was not recorded) are encoded into event-stream frames, one per line: event type = the
 * object's key, payload = its value's JSON. Every other `.chunks.txt` holds the same events as its sibling
 * `.sse` (the manifest says so: same source, same usage_native) and is skipped; a test below checks that.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { accumulatorFor, facts, feed, FIXTURES } from "./_feed.ts";
import { chunkings, EXPECTED, load, MANIFEST, ROUTES, type Entry } from "./_fixture-table.ts";

const skipped = (e: Entry) => e.file.endsWith(".chunks.txt") && e.provider_api !== "bedrock-converse";

for (const [index, entry] of MANIFEST.entries()) {
  if (skipped(entry)) continue;
  test(`fixture ${entry.file}`, () => {
    const folder = entry.file.slice(0, entry.file.indexOf("/"));
    const route = ROUTES[folder];
    assert.ok(route, `route for ${folder}`);
    const expected = EXPECTED[entry.file];
    assert.ok(expected, `expected row for ${entry.file}`);
    const { bytes, framing } = load(entry);
    const f = facts(route.provider, entry.streaming ? route.stream : route.json, { query: route.query ?? "" });
    for (const [name, chunks] of chunkings(bytes, index + 1)) {
      const r = feed(accumulatorFor(f), framing, chunks);
      const at = `${entry.file} (${name})`;
      assert.deepEqual(r.native, entry.usage_native, `native ${at}`);
      assert.deepEqual(r.usage, expected.usage, `usage ${at}`);
      assert.equal(r.model, expected.model ?? entry.model, `model ${at}`);
      assert.equal(r.source, expected.usage === null ? "none" : "reported", `source ${at}`);
      assert.equal(r.serviceTier, expected.tier ?? null, `tier ${at}`);
      assert.equal(r.geo, expected.geo ?? null, `geo ${at}`);
      assert.equal(r.reportedCostPico, expected.costPico ?? null, `cost ${at}`);
      assert.equal(r.upstreamError, expected.error ?? null, `error ${at}`);
      assert.equal(r.usageError, null, `usageError ${at}`);
    }
  });
}

test("every manifest entry is fed or skipped for a reason, and the table has no stale rows", () => {
  const fed = MANIFEST.filter((e) => !skipped(e)).map((e) => e.file);
  assert.deepEqual(Object.keys(EXPECTED).sort(), [...fed].sort());
  // A skipped .chunks.txt must duplicate a fed .sse: same source events, same usage and model.
  for (const e of MANIFEST.filter(skipped)) {
    const sibling = MANIFEST.find((s) => s.file === e.file.replace(/\.chunks\.txt$/, ".sse"));
    assert.ok(sibling, `${e.file} has a sibling .sse`);
    assert.deepEqual(sibling.usage_native, e.usage_native, e.file);
    assert.equal(sibling.model, e.model, e.file);
  }
  assert.equal(MANIFEST.length, 107);
});

test("usage_native_all: several terminal Responses events, the last one so far wins", () => {
  const entry = MANIFEST.find((e) => e.usage_native_all !== undefined && e.file.endsWith(".sse"));
  assert.ok(entry?.usage_native_all);
  const text = readFileSync(join(FIXTURES, entry.file), "utf8");
  const f = facts("openai", "/v1/responses");
  // Cut the stream right after each response.completed event: the native usage is that event's.
  const ends: number[] = [];
  for (let at = text.indexOf("event: response.completed\n"); at !== -1;) {
    const end = text.indexOf("\n\n", at) + 2;
    ends.push(end);
    at = text.indexOf("event: response.completed\n", end);
  }
  assert.equal(ends.length, entry.usage_native_all.length);
  const all = new TextEncoder().encode(text);
  const offset = (chars: number) => new TextEncoder().encode(text.slice(0, chars)).length;
  entry.usage_native_all.forEach((native, k) => {
    const r = feed(accumulatorFor(f), "sse", [all.subarray(0, offset(ends[k] as number))]);
    assert.deepEqual(r.native, native, `after terminal event ${k + 1}`);
    assert.equal(r.source, "reported");
  });
  assert.deepEqual(feed(accumulatorFor(f), "sse", [all]).native, entry.usage_native);
});
