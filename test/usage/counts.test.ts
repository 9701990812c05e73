import { test } from "node:test";
import assert from "node:assert/strict";
import { emptyUsage, USAGE_FIELDS, usageCounts } from "../../src/usage/types.ts";

test("usageCounts: every USAGE_FIELDS column, in order, from the usage; all null when it is unknown", () => {
  const usage = { ...emptyUsage(), cache_read_audio_tokens: 3, citation_tokens: 4 };
  USAGE_FIELDS.forEach((f, i) => usage[f] = i + 1);
  assert.deepEqual(Object.entries(usageCounts(usage)), USAGE_FIELDS.map((f, i) => [f, i + 1]));
  assert.deepEqual(Object.entries(usageCounts(null)), USAGE_FIELDS.map((f) => [f, null]));
});
