// Only exact integers reach the INTEGER columns: one absurd value (1e308, 2^53+1, 1.5) would make every SUM
// over the table REAL, Infinity or inexact, so it is stored as null (unknown) instead.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RECORD_COLUMNS, recordToParams } from "../../src/store/columns.ts";
import { makeRecord } from "./helpers.ts";

const at = (column: (typeof RECORD_COLUMNS)[number]) => RECORD_COLUMNS.indexOf(column);

test("token counts and cost that are non-integer, unsafe or infinite are stored as null", () => {
  const params = recordToParams(makeRecord(1, {
    input_tokens: 1e308,
    output_tokens: 2 ** 53 + 1,
    total_tokens: 1.5,
    cache_read_tokens: Infinity,
    cost_pico: 9007199254740993,
  }));
  for (const column of ["input_tokens", "output_tokens", "total_tokens", "cache_read_tokens", "cost_pico"] as const) {
    assert.equal(params[at(column)], null, column);
  }
});

test("ordinary integers are stored as they are", () => {
  const params = recordToParams(makeRecord(1, { input_tokens: 0, output_tokens: 1_000_000, cost_pico: 2 ** 53 - 1 }));
  assert.equal(params[at("input_tokens")], 0);
  assert.equal(params[at("output_tokens")], 1_000_000);
  assert.equal(params[at("cost_pico")], 2 ** 53 - 1);
});
