import { test } from "node:test";
import assert from "node:assert/strict";
import { calendarWindow, isoTime, parseWindow } from "../../src/control/window.ts";

function window(unit: "day" | "week" | "month", tz: string, at: string): [string, string] {
  const w = calendarWindow(unit, tz, Date.parse(at));
  return [isoTime(w.start), isoTime(w.end)];
}

test("window: UTC day, ISO week (Monday), month", () => {
  assert.deepEqual(window("day", "UTC", "2026-11-15T12:00:00Z"), ["2026-11-15T00:00:00Z", "2026-11-16T00:00:00Z"]);
  // 2026-11-15 is a Sunday: its ISO week began Monday the 9th.
  assert.deepEqual(window("week", "UTC", "2026-11-15T23:59:59Z"), ["2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z"]);
  assert.deepEqual(window("week", "UTC", "2026-11-16T00:00:00Z"), ["2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"]);
  assert.deepEqual(window("month", "UTC", "2026-12-31T23:59:59.999Z"), ["2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"]);
  assert.deepEqual(window("month", "UTC", "2028-02-29T10:00:00Z"), ["2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"]);
});

test("window: America/New_York across the DST changes (23 h and 25 h days)", () => {
  // 2026-03-08: clocks go 02:00 EST → 03:00 EDT; the day is 23 hours long.
  assert.deepEqual(window("day", "America/New_York", "2026-03-08T12:00:00Z"), [
    "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z",
  ]);
  // 2026-11-01: 02:00 EDT → 01:00 EST; 25 hours.
  assert.deepEqual(window("day", "America/New_York", "2026-11-01T12:00:00Z"), [
    "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z",
  ]);
  // 03:30 UTC on Nov 1 is still Oct 31 in New York.
  assert.deepEqual(window("month", "America/New_York", "2026-11-01T03:30:00Z"), [
    "2026-10-01T04:00:00Z", "2026-11-01T04:00:00Z",
  ]);
  assert.deepEqual(window("week", "America/New_York", "2026-03-10T12:00:00Z"), [
    "2026-03-09T04:00:00Z", "2026-03-16T04:00:00Z",
  ]);
  assert.deepEqual(window("week", "America/New_York", "2026-03-08T12:00:00Z"), [
    "2026-03-02T05:00:00Z", "2026-03-09T04:00:00Z",
  ]);
});

test("window: Asia/Kolkata (UTC+05:30) and a midnight that does not exist (America/Santiago)", () => {
  assert.deepEqual(window("day", "Asia/Kolkata", "2026-11-30T20:00:00Z"), [
    "2026-11-30T18:30:00Z", "2026-12-01T18:30:00Z",
  ]);
  assert.deepEqual(window("month", "Asia/Kolkata", "2026-11-30T18:30:00Z"), [
    "2026-11-30T18:30:00Z", "2026-12-31T18:30:00Z",
  ]);
  // Chile springs forward at 00:00 on 2026-09-06: that day starts at 01:00 local (04:00 UTC, -03).
  assert.deepEqual(window("day", "America/Santiago", "2026-09-06T12:00:00Z"), [
    "2026-09-06T04:00:00Z", "2026-09-07T03:00:00Z",
  ]);
});

test("window: rolling lengths and their buckets", () => {
  assert.deepEqual(parseWindow("90m", "UTC"), { kind: "rolling", lengthMs: 5_400_000, bucketMs: 60_000, buckets: 90, label: "90m" });
  assert.deepEqual(parseWindow("24h", "UTC"), { kind: "rolling", lengthMs: 86_400_000, bucketMs: 60_000, buckets: 1440, label: "24h" });
  assert.deepEqual(parseWindow("7d", "UTC"), { kind: "rolling", lengthMs: 604_800_000, bucketMs: 3_600_000, buckets: 168, label: "7d" });
  assert.equal(typeof parseWindow("2881m", "UTC"), "string");
  assert.deepEqual(parseWindow("total", "UTC"), { kind: "total" });
});
