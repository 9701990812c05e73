/**
 * `--rollup-retention-days` (src/store/upkeep.ts): rollup rows older than the cut-off go, whole buckets only (quarter
 * hours, and the hours and days of the coarse levels), on both stores; newer ones and every raw record inside `--retention-days` stay, and reports keep adding up.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { testNeeding } from "../_helpers/host.ts";
import { until } from "../_helpers/poll.ts";
import { rollupCutoff } from "../../src/store/upkeep.ts";
import { backends } from "./backends.ts";
import { makeRecord } from "./helpers.ts";

const DAY = 86_400_000;
const NOW = Date.parse("2026-11-30T10:07:00.000Z");

for (const backend of await backends()) {
  testNeeding(`${backend.name}: rollup rows older than --rollup-retention-days are deleted, the rest kept`, backend.missing, async () => {
    const open = await backend.database();
    const writer = open({ now: () => NOW });
    const ages = [40, 21, 19, 5, 0]; // days before NOW
    ages.forEach((age, i) => writer.add(makeRecord(i, { ts: new Date(NOW - age * DAY - 60_000).toISOString() })));
    await writer.flush();
    await writer.close();
    const store = open({ now: () => NOW, retentionDays: 20, rollupRetentionDays: 20 });
    try {
      // Raw rows go first (≤ 20 days kept), then the rollup's older buckets: what is left adds up to the same.
      // Each level (day, hour, quarter hour: by user) is pruned in turn.
      const left = async () => Promise.all((["day", "hour", "user"] as const).map(async (g) => (await store.usage({}, g)).total.requests));
      await until("old rollup rows and raw rows pruned", async () => (await left()).every((n) => n === 3));
      const report = await store.usage({ since: new Date(NOW - 30 * DAY).toISOString() }, "day");
      assert.deepEqual(report.groups.map((g) => g.requests), [1, 1, 1]);
      assert.equal((await store.listRequests({}, { limit: 10, before: null })).requests.length, 3);
    } finally {
      await store.close();
    }
  });
}

test("the rollup cut-off is a whole quarter hour", () => {
  assert.equal(rollupCutoff(NOW, 1), "2026-11-29T10:00:00.000Z");
  assert.equal(rollupCutoff(Date.parse("2026-11-30T10:15:00.000Z"), 2), "2026-11-28T10:15:00.000Z");
});
