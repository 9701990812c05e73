// Two-level usage groups (`group_by=hour,model`, the dashboard's stacked charts), one request by id, and the extra
// token kinds in totals: single-level answers keep their old shape.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runUsage } from "../../src/commands/usage.ts";
import { createStore } from "../../src/store/store.ts";
import { fakeIo } from "../commands/cli-io.ts";
import { drivers, makeRecord, withTempDir } from "../store/helpers.ts";
import { mountApi, NOW, sampleRecords, seededStore } from "../store/seed.ts";
import { join } from "node:path";

const { open } = (await drivers())[0]!;

interface Group {
  key: string | null;
  group?: string | null;
  requests: number;
  cost_usd: string;
  input_tokens: number;
}

/** Exact decimal USD → pico-USD bigint, so sums can be compared without floats. */
function pico(usd: string): bigint {
  const [whole, frac = ""] = usd.split(".");
  return BigInt(whole!) * 1_000_000_000_000n + BigInt(frac.padEnd(12, "0"));
}

test("GET /api/usage?group_by=hour,model: one row per hour and model, summing to the single-level answer", async () => {
  const records = sampleRecords(); // 150 within minutes of BASE, one at 2026-11-21T03:00 (gemini)
  const store = await seededStore(open(":memory:"), records);
  const app = mountApi(store);
  const two = await (await app.request("/api/usage?group_by=hour,model")).json();
  const one = await (await app.request("/api/usage?group_by=model")).json();
  assert.deepEqual(two.total, one.total);
  // Chronological by hour; within an hour, by cost descending.
  const keys = two.groups.map((g: Group) => g.key);
  assert.deepEqual(keys, [...keys].sort());
  assert.ok(two.groups.every((g: Group) => /^\d{4}-\d{2}-\d{2}T\d{2}:00Z$/.test(g.key!) && "group" in g));
  const last = two.groups.at(-1) as Group;
  assert.deepEqual([last.key, last.group, last.requests], ["2026-11-21T03:00Z", "gemini-2.5-pro", 1]);
  // Per model, the hours add up exactly to the model's single-level row.
  for (const row of one.groups as Group[]) {
    const parts = (two.groups as Group[]).filter((g) => g.group === row.key);
    assert.ok(parts.length > 0, String(row.key));
    assert.equal(parts.reduce((s, g) => s + g.requests, 0), row.requests);
    assert.equal(parts.reduce((s, g) => s + pico(g.cost_usd), 0n), pico(row.cost_usd));
    assert.ok(!("group" in row), "single-level groups carry no group field");
  }
  await store.close();
});

test("GET /api/usage?group_by=day,project keeps null values as a group", async () => {
  const store = await seededStore(open(":memory:"), [
    makeRecord(0, { project: "alpha" }),
    makeRecord(1, { project: null }),
    makeRecord(2, { project: "alpha" }),
  ]);
  const body = await (await mountApi(store).request("/api/usage?group_by=day,project")).json();
  assert.deepEqual(body.groups.map((g: Group) => [g.key, g.group, g.requests]).sort(), [
    [body.groups[0].key, "alpha", 2],
    [body.groups[0].key, null, 1],
  ].sort());
  await store.close();
});

for (
  const [query, message] of [
    ["model,hour", /^Invalid first group_by "model": use one of day, hour$/],
    ["hour,day", /^Invalid second group_by "day": use one of provider, model, key_id, user, project$/],
    ["hour,", /^Invalid group_by "hour,": use a time \(day, hour\), a comma, then a field$/],
    ["hour,model,user", /^Invalid second group_by "model,user"/],
  ] as const
) {
  test(`GET /api/usage?group_by=${query} → 400`, async () => {
    const store = await seededStore(open(":memory:"), []);
    const res = await mountApi(store).request(`/api/usage?group_by=${encodeURIComponent(query)}`);
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, message);
    await store.close();
  });
}

test("usage totals carry cache_write_1h, audio input and audio output tokens", async () => {
  const store = await seededStore(open(":memory:"), [
    makeRecord(0, { cache_write_1h_tokens: 2, audio_input_tokens: 30, audio_output_tokens: 7 }),
    makeRecord(1, { cache_write_1h_tokens: 1, audio_input_tokens: null, audio_output_tokens: 5 }),
  ]);
  const { total } = await (await mountApi(store).request("/api/usage")).json();
  assert.deepEqual([total.cache_write_1h_tokens, total.audio_input_tokens, total.audio_output_tokens], [3, 30, 12]);
  await store.close();
});

test("GET /api/requests/:id → the record in full; an unknown id → 404 JSON", async () => {
  const records = sampleRecords();
  const store = await seededStore(open(":memory:"), records);
  const app = mountApi(store);
  const wanted = records[151]!;
  const res = await app.request(`/api/requests/${encodeURIComponent(wanted.id)}`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), wanted);
  const missing = await app.request("/api/requests/nope");
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: { code: "not_found", message: 'No request with id "nope"' } });
  const unauthorized = await mountApi(store, { adminToken: "s3cret" }).request(`/api/requests/${wanted.id}`);
  assert.equal(unauthorized.status, 401);
  await store.close();
});

test("kestrel usage --group-by hour,model: both group columns in table and CSV", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const store = createStore(open(path));
    store.add(makeRecord(0, { model: "gpt-4o", cost_pico: 1_500_000_000_000 }));
    store.add(makeRecord(1, { model: "claude-sonnet-4-5", cost_pico: 3 }));
    await store.close();
    const table = fakeIo(open, NOW);
    assert.equal(await runUsage(["--db", path, "--group-by", "hour,model", "--since", "2020-01-01"], table.io), 0);
    const lines = table.out().split("\n");
    assert.match(lines[0]!, /^hour\s+model\s+requests/);
    assert.match(lines[2]!, /^\d{4}-\d{2}-\d{2}T\d{2}:00Z\s+gpt-4o\s+1\s/);
    assert.match(lines[3]!, /^\d{4}-\d{2}-\d{2}T\d{2}:00Z\s+claude-sonnet-4-5\s+1\s/);
    assert.match(lines[5]!, /^total\s+2\s/);
    const csv = fakeIo(open, NOW);
    assert.equal(await runUsage(["--db", path, "--format", "csv", "--group-by=day,model", "--since", "2020-01-01"], csv.io), 0);
    const rows = csv.out().split("\r\n");
    assert.match(rows[0]!, /^day,model,requests,/);
    assert.match(rows[1]!, /^\d{4}-\d{2}-\d{2},gpt-4o,1,/);
  });
});
