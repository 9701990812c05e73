import assert from "node:assert/strict";
import { test } from "node:test";
import { parseTimeBound, parseTimeRange, type TimeBound } from "../../src/store/time-range.ts";

const NOW = Date.UTC(2026, 10, 27, 12, 30, 0, 0); // 2026-11-27T12:30:00.000Z
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const CASES: [input: string, bound: TimeBound, expected: string | null][] = [
  ["24h", "since", "2026-11-26T12:30:00.000Z"], // relative hours
  ["7d", "since", "2026-11-20T12:30:00.000Z"], // relative days
  ["30d", "until", "2026-10-28T12:30:00.000Z"], // relative is the same for either bound
  ["90m", "since", "2026-11-27T11:00:00.000Z"], // m is minutes, not months
  ["45s", "since", "2026-11-27T12:29:15.000Z"], // seconds
  ["2w", "since", "2026-11-13T12:30:00.000Z"], // weeks
  ["0d", "since", "2026-11-27T12:30:00.000Z"], // zero age is now
  ["now", "until", "2026-11-27T12:30:00.000Z"], // keyword
  [" 7d ", "since", "2026-11-20T12:30:00.000Z"], // surrounding spaces are ignored
  ["2026-11-01", "since", "2026-11-01T00:00:00.000Z"], // a date starts at midnight UTC
  ["2026-11-30", "until", "2026-12-01T00:00:00.000Z"], // an until date includes its whole day
  ["2026-12-31", "until", "2027-01-01T00:00:00.000Z"], // ... across a year end
  ["2024-02-29", "since", "2024-02-29T00:00:00.000Z"], // leap day exists in 2024
  ["2026-11-27T10:00", "since", "2026-11-27T10:00:00.000Z"], // datetime without zone is UTC
  ["2026-11-27 10:00:05", "since", "2026-11-27T10:00:05.000Z"], // space separator
  ["2026-11-27T10:00:05.5Z", "since", "2026-11-27T10:00:05.500Z"], // fraction padded to ms
  ["2026-11-27T10:00:05.123456Z", "since", "2026-11-27T10:00:05.123Z"], // extra precision truncated
  ["2026-11-27T10:00:00+02:00", "since", "2026-11-27T08:00:00.000Z"], // positive offset
  ["2026-11-27T10:00:00-0530", "since", "2026-11-27T15:30:00.000Z"], // negative offset without colon
  ["2026-11-27T10:00z", "until", "2026-11-27T10:00:00.000Z"], // lower-case z; until datetimes are exact
  ["2026-02-29", "since", null], // not a leap year: rejected, not rolled to March 1
  ["2026-13-01", "since", null], // month out of range
  ["2026-11-27T24:00", "since", null], // hour out of range
  ["2026-11-27T10:00+25:00", "since", null], // offset out of range
  ["0050-01-01", "since", null], // years below 100 would be mapped to 19xx by Date.UTC
  ["7", "since", null], // a bare number is ambiguous
  ["7D", "since", null], // units are lower-case
  ["1.5h", "since", null], // whole numbers only
  ["-7d", "since", null], // no negative ages
  ["7 days", "since", null], // no words
  ["yesterday", "since", null], // no words
  ["", "since", null], // empty
  ["2026-11-27T10:00:00Zjunk", "since", null], // trailing garbage
];

for (const [input, bound, expected] of CASES) {
  test(`parseTimeBound(${JSON.stringify(input)}, ${bound}) → ${expected}`, () => {
    assert.equal(iso(parseTimeBound(input, NOW, bound)), expected);
  });
}

test("a huge relative age clamps to year 0 instead of producing an unsortable timestamp", () => {
  assert.equal(iso(parseTimeBound("999999999w", NOW, "since")), "0000-01-01T00:00:00.000Z");
});

test("parseTimeRange: both bounds, absent bounds, and the error messages", () => {
  assert.deepEqual(parseTimeRange({ since: "7d", until: "2026-11-27" }, NOW), {
    ok: true,
    range: { since: "2026-11-20T12:30:00.000Z", until: "2026-11-28T00:00:00.000Z" },
  });
  assert.deepEqual(parseTimeRange({}, NOW), { ok: true, range: { since: null, until: null } });
  assert.deepEqual(parseTimeRange({ since: "" }, NOW), { ok: true, range: { since: null, until: null } });
  const bad = parseTimeRange({ since: "soon" }, NOW);
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.message : "", /^Invalid since "soon": use a date/);
  const reversed = parseTimeRange({ since: "1h", until: "2h" }, NOW);
  assert.deepEqual(reversed, { ok: false, message: `Since "1h" is not before until "2h"` });
});
