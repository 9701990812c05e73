/**
 * Spend sums (ControlStore.spend) as both stores must answer them, over records written through each store's real
 * flusher (so the rollup holds exactly what the raw rows do): one set of records and expectations for both.
 */
import assert from "node:assert/strict";
import type { ControlStore, SpendBucket } from "../../src/control/types.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { makeRecord } from "./helpers.ts";

export const T0 = Date.parse("2026-11-20T12:00:00.000Z");
const BLOCKED = "blocked" as unknown as UsageRecord["outcome"];

/** Five records a minute apart (cost 1000·(i+1) pico, 10·(i+1) tokens) plus ones that must not count. */
export function spendRecords(): UsageRecord[] {
  const at = (i: number, minutes: number) => ({ ts: new Date(T0 + minutes * 60_000).toISOString(), id: `r${i}` });
  const base = { project: "team-a", user: "alice", key_id: "k1", provider: "openai", model: "gpt-4o", requested_model: "gpt-4o" };
  const records = [0, 1, 2, 3, 4].map((i) =>
    makeRecord(i, {
      ...base,
      ...at(i, i),
      cost_pico: 1000 * (i + 1),
      total_tokens: 10 * (i + 1),
      tags: i % 2 === 0 ? ["batch", "night"] : ["interactive"],
    })
  );
  records.push(
    makeRecord(10, { ...base, ...at(10, 2), cost_pico: 1_000_000, total_tokens: 999, outcome: BLOCKED }),
    makeRecord(11, { ...base, ...at(11, 2), project: "team-b", cost_pico: 7, total_tokens: 7 }),
    // Unpriced: its tokens count, its cost is unknown.
    makeRecord(12, { ...base, ...at(12, 3), cost_pico: null, cost_usd: null, priced: false, total_tokens: 5 }),
  );
  return records;
}

const b = (at: number, cost: number, tokens: number, requests: number): SpendBucket => ({ at, cost_pico: BigInt(cost), tokens, requests });

/** Every expectation over spendRecords(), written to `c`'s store. */
export async function checkSpend(c: Pick<ControlStore, "spend">): Promise<void> {
  assert.deepEqual(await c.spend({ project: "team-a" }, null, null), [b(0, 15_000, 155, 6)]);
  assert.deepEqual(await c.spend({}, null, null), [b(0, 15_007, 162, 7)]);
  assert.deepEqual(await c.spend({ project: "nobody" }, T0, null), [b(T0, 0, 0, 0)]);
  // Since minute 2 (inclusive): inside a rollup bucket, read from the raw rows.
  assert.deepEqual(await c.spend({ project: "team-a", user: "alice" }, T0 + 120_000, null), [b(T0 + 120_000, 12_000, 125, 4)]);
  // A tag matches when it is one of the record's tags.
  assert.deepEqual(await c.spend({ tag: "batch" }, null, null), [b(0, 9000, 90, 3)]);
  assert.deepEqual(await c.spend({ tag: "night", key_id: "k1" }, null, null), [b(0, 9000, 90, 3)]);
  assert.deepEqual(await c.spend({ tag: "bat" }, null, null), [b(0, 0, 0, 0)]);
  assert.deepEqual(await c.spend({ model: "gpt-4o", provider: "anthropic" }, null, null), [b(0, 0, 0, 0)]);
  assert.deepEqual(await c.spend({ model: "gpt-4o" }, null, null), [b(0, 15_007, 162, 7)]);
  // Minute buckets: empty ones are left out; the blocked record at minute 2 is not in its bucket.
  assert.deepEqual(await c.spend({ project: "team-a" }, T0 + 60_000, 60_000), [
    b(T0 + 60_000, 2000, 20, 1),
    b(T0 + 120_000, 3000, 30, 1),
    b(T0 + 180_000, 4000, 45, 2),
    b(T0 + 240_000, 5000, 50, 1),
  ]);
  // Hour buckets align to the epoch, not to `since`.
  assert.deepEqual(await c.spend({ tag: "interactive" }, T0 - 1800_000, 3_600_000), [b(T0, 6000, 60, 2)]);
}

/**
 * Issue 20 item 6: records older than the retention are deleted, and a window reaching back past it keeps their
 * spend (the rollup is kept). `prune` deletes raw rows older than `days`.
 */
export async function checkRetention(
  store: { add(r: UsageRecord): void; flush(): Promise<void>; prune(days: number): Promise<number>; control: Pick<ControlStore, "spend"> },
  now: number,
): Promise<void> {
  const day = 86_400_000;
  const at = (i: number, ms: number) => ({ id: `old${i}`, ts: new Date(ms).toISOString() });
  for (let i = 0; i < 3; i++) {
    store.add(makeRecord(100 + i, { ...at(i, now - (5 - i) * day), project: "retained", cost_pico: 1_000_000 * (i + 1), total_tokens: 10 }));
  }
  store.add(makeRecord(200, { ...at(9, now - 1000), project: "retained", cost_pico: 7, total_tokens: 1 }));
  await store.flush();
  const week = now - 7 * day - (now % (15 * 60_000));
  const before = await store.control.spend({ project: "retained" }, week, null);
  assert.equal(await store.prune(2), 3);
  assert.deepEqual(await store.control.spend({ project: "retained" }, week, null), before);
  assert.deepEqual(before, [b(week, 6_000_007, 31, 4)]);
}
