import { test } from "node:test";
import assert from "node:assert/strict";
import { createParser } from "eventsource-parser";
import { byteAtATime, everySplit, listFixtures, readFixture, seededSplits, splitAt } from "../_chunking.ts";
import { collect, type Expected, mismatch, record, settledAfter } from "./_collect.ts";

const SEED = 0xc0ffee;
/** Fixtures up to this size are fed at every split point as whole streams (quadratic, so only small ones). */
const WHOLE_SPLIT_LIMIT = 16 * 1024;

/** 44 recorded .sse files today; fewer means the glob broke (or fixtures were lost), not that there is less to test. */
const FIXTURES = listFixtures(".sse", 44);
const name = (path: string) => path.split("/").slice(-2).join("/");

/** The events with index in [from, to), offsets moved by -lo: what a scanner fed `bytes[lo, …)` should see. */
function slice(want: Expected, from: number, to: number, lo: number): Expected {
  return {
    names: want.names.slice(from, to),
    data: want.data.slice(from, to),
    starts: want.starts.slice(from, to).map((s) => s - lo),
    ends: want.ends.slice(from, to).map((e) => e - lo),
    errors: 0,
  };
}

/**
 * Every two-way split point of a large fixture, checked on a window instead of the whole stream: after a
 * dispatched event the scanner holds no state (only the offset), so a split at `i` can only change the events
 * between the last dispatch before `i` and the one after the event containing `i`. The window runs over exactly
 * those two events, fed as its own stream. Whole-stream feeds (one byte at a time, seeded random splits) check
 * the "no state after a dispatch" premise itself.
 */
function windowedSplits(bytes: Uint8Array, want: Expected): string | null {
  const bounds = [0, ...want.ends];
  if (bounds[bounds.length - 1] !== bytes.length) bounds.push(bytes.length);
  let j = 0;
  for (let i = 0; i <= bytes.length; i++) {
    while (j + 1 < bounds.length && (bounds[j + 1] as number) <= i) j++;
    const lo = bounds[j] as number;
    const hi = bounds[Math.min(j + 2, bounds.length - 1)] as number;
    const window = bytes.subarray(lo, hi);
    const problem = mismatch(splitAt(window, i - lo), slice(want, j, j + 2, lo));
    if (problem !== null) return `split at ${i}: ${problem}`;
  }
  return null;
}

for (const path of FIXTURES) {
  test(`chunking property: ${name(path)}`, () => {
    const bytes = readFixture(path);
    const want = record([bytes]);
    assert.ok(want.data.length > 0, "no events");
    assert.equal(want.errors, 0);
    if (bytes.length <= WHOLE_SPLIT_LIMIT) {
      let i = 0;
      for (const chunks of everySplit(bytes)) assert.equal(mismatch(chunks, want), null, `split at ${i++}`);
    } else {
      assert.equal(windowedSplits(bytes, want), null);
    }
    assert.equal(mismatch(byteAtATime(bytes), want), null, "one byte at a time");
    let k = 0;
    for (const chunks of seededSplits(bytes, SEED, 10)) assert.equal(mismatch(chunks, want), null, `seeded ${k++}`);
  });
}

/** Whether the bytes end with a blank line, i.e. their last event is terminated (CR, LF and CRLF all end lines). */
function endsWithBlankLine(bytes: Uint8Array): boolean {
  return new TextDecoder().decode(bytes.subarray(-4)).replace(/\r\n?/g, "\n").endsWith("\n\n");
}

type Events = [string | null, string][];

/**
 * Null when our events equal eventsource-parser's, else why not. The one deliberate difference: we dispatch an
 * unterminated last event at the end of the stream and eventsource-parser drops it — allowed only for bytes that
 * do not end with a blank line, so an extra event after a terminated stream is still a failure.
 */
function differenceFromParser(bytes: Uint8Array, ours: Events, theirs: Events): string | null {
  const compared = !endsWithBlankLine(bytes) && ours.length === theirs.length + 1 ? ours.slice(0, -1) : ours;
  try {
    assert.deepEqual(compared, theirs);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

test("every fixture scans to the same events as eventsource-parser", () => {
  for (const path of FIXTURES) {
    const bytes = readFixture(path);
    const theirs: Events = [];
    const parser = createParser({ onEvent: (e) => theirs.push([e.event ?? null, e.data]) });
    parser.feed(new TextDecoder().decode(bytes));
    const ours: Events = collect([bytes]).events.map((e) => [e.event, e.data]);
    assert.equal(differenceFromParser(bytes, ours, theirs), null, name(path));
  }
});

test("a fixture glob that finds too few files fails instead of testing nothing", () => {
  assert.throws(() => listFixtures(".no-such-extension", 1), /^Error: Expected at least 1 \*\.no-such-extension fixtures under .*, found 0$/);
});

test("an extra last event is excused only when the stream does not end with a blank line", () => {
  const a: Events = [[null, "a"]];
  const ab: Events = [[null, "a"], [null, "b"]];
  const enc = (s: string) => new TextEncoder().encode(s);
  for (const end of ["\n\n", "\r\n\r\n", "\r\r", "\n\r\n"]) {
    assert.notEqual(differenceFromParser(enc(`data: a${end}data: b${end}`), ab, a), null, JSON.stringify(end));
  }
  for (const end of ["", "\n", "\r\n", "\r"]) {
    assert.equal(differenceFromParser(enc(`data: a\n\ndata: b${end}`), ab, a), null, JSON.stringify(end));
  }
  assert.notEqual(differenceFromParser(enc("data: a\n\ndata: b"), [[null, "a"], [null, "b"], [null, "c"]], a), null);
});

test("every fixture's events cut out by offsets rescan to themselves", () => {
  for (const path of FIXTURES) {
    const bytes = readFixture(path);
    const events = collect([bytes]).events;
    for (const e of events) {
      const alone = collect([bytes.subarray(e.start, e.end)]).events;
      assert.deepEqual(alone.map((a) => [a.event, a.data, a.end]), [[e.event, e.data, e.end - e.start]], name(path));
    }
  }
});

test("settled() never moves back and is the same at every split point of the small fixtures", () => {
  for (const path of FIXTURES) {
    const bytes = readFixture(path);
    if (bytes.length > WHOLE_SPLIT_LIMIT) continue;
    const perByte = settledAfter(byteAtATime(bytes));
    for (let i = 1; i < perByte.length; i++) {
      assert.ok((perByte[i] as number) >= (perByte[i - 1] as number), `${name(path)} moved back at ${i}`);
      assert.ok((perByte[i - 1] as number) <= i, `${name(path)} ahead of the bytes at ${i}`);
    }
    assert.equal(perByte[perByte.length - 1], bytes.length, `${name(path)} after end()`);
    for (let i = 1; i < bytes.length; i++) {
      assert.equal(settledAfter(splitAt(bytes, i))[0], perByte[i - 1], `${name(path)} split at ${i}`);
    }
  }
});
