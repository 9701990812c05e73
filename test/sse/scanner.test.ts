import { test } from "node:test";
import assert from "node:assert/strict";
import { createParser } from "eventsource-parser";
import { createSseScanner } from "../../src/sse/scanner.ts";
import { byteAtATime, everySplit, splitAt } from "../_chunking.ts";
import { collect, type Seen, settledAfter } from "./_collect.ts";
import type { SseEvent, SseScanner } from "../../src/sse/types.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const BOM = [0xef, 0xbb, 0xbf];

/** A chunk given as text (UTF-8 encoded) or as raw bytes. */
type ChunkSpec = string | number[];

function toBytes(spec: ChunkSpec): Uint8Array {
  return typeof spec === "string" ? enc(spec) : new Uint8Array(spec);
}

function concat(specs: ChunkSpec[]): Uint8Array {
  const parts = specs.map(toBytes);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Shorthand for an expected event. */
function ev(data: string, start: number, end: number, event: string | null = null): Seen {
  return { event, data, start, end };
}

interface Row {
  chunks: ChunkSpec[];
  events: Seen[];
  errors?: number;
  max?: number;
}

const multibyte = enc('data: {"t":"日本"}\n\n'); // 日 = e6 97 a5 at bytes 12..14

const ROWS: [string, Row][] = [
  // LF line ends
  ["lf", { chunks: ["data: a\n\n"], events: [ev("a", 0, 9)] }],
  // CRLF line ends (Gemini, Vertex)
  ["crlf", { chunks: ["data: a\r\n\r\n"], events: [ev("a", 0, 11)] }],
  // bare CR line ends
  ["cr", { chunks: ["data: a\r\r"], events: [ev("a", 0, 9)] }],
  // mixed line ends inside one event
  ["mixed", { chunks: ["data: a\rdata: b\ndata: c\r\n\n"], events: [ev("a\nb\nc", 0, 26)] }],
  // CRLF of a data line split across chunks is one line end, not a blank line
  ["crlf split in data line", { chunks: ["data: a\r", "\ndata: b\r\n\r\n"], events: [ev("a\nb", 0, 20)] }],
  // CRLF of the blank line split across chunks: the LF still belongs to the event's end
  [
    "crlf split in blank line",
    { chunks: ["data: a\r\n\r", "\ndata: b\n\n"], events: [ev("a", 0, 11), ev("b", 11, 20)] },
  ],
  // CR at a chunk end followed by CR: line end then blank line
  ["cr then cr", { chunks: ["data: a\r", "\rdata: b\r\r"], events: [ev("a", 0, 9), ev("b", 9, 18)] }],
  // blank line CR at a chunk end, next chunk starts another event
  ["cr blank then event", { chunks: ["data: a\r\r", "data: b\n\n"], events: [ev("a", 0, 9), ev("b", 9, 18)] }],
  // blank line CR as the very last byte of the stream
  ["cr blank at eof", { chunks: ["data: a\r\n\r"], events: [ev("a", 0, 10)] }],
  // BOM dropped; offsets still count its three bytes
  ["bom", { chunks: ["\ufeffdata: a\n\n"], events: [ev("a", 3, 12)] }],
  // BOM split byte by byte across chunks
  ["bom split", { chunks: [[0xef], [0xbb], [0xbf], "data: a\n\n"], events: [ev("a", 3, 12)] }],
  // BOM split after two bytes, rest in the same chunk as data
  ["bom split 2+1", { chunks: [[0xef, 0xbb], [0xbf, ...enc("data: a\n\n")]], events: [ev("a", 3, 12)] }],
  // two BOM bytes then data: not a BOM, so the first line is an unknown field and is ignored
  ["partial bom is data", { chunks: [[0xef, 0xbb], "data: a\n\ndata: b\n\n"], events: [ev("b", 11, 20)] }],
  // a stream of only a partial BOM
  ["only partial bom", { chunks: [[0xef, 0xbb]], events: [] }],
  // a BOM later in the stream is not dropped (field name becomes "\ufeffdata")
  ["bom mid-stream", { chunks: ["data: a\n\n\ufeffdata: b\n\n"], events: [ev("a", 0, 9)] }],
  // only one BOM is dropped
  ["double bom", { chunks: [[...BOM, ...BOM], "data: a\n\n"], events: [] }],
  // keep-alive comment blocks dispatch nothing and do not count toward the next event
  ["comments", { chunks: [": keep-alive\n\n", ": OPENROUTER PROCESSING\n\ndata: a\n\n"], events: [ev("a", 39, 48)] }],
  // a comment line inside an event block is where the event starts
  ["comment in event", { chunks: [": c\ndata: a\n\n"], events: [ev("a", 0, 13)] }],
  // no space after the colon
  ["no space", { chunks: ["data:a\n\n"], events: [ev("a", 0, 8)] }],
  // two spaces: exactly one is stripped
  ["two spaces", { chunks: ["data:  a\n\n"], events: [ev(" a", 0, 10)] }],
  // several data lines are joined with LF
  ["multi-line", { chunks: ["data: a\ndata: b\n\n"], events: [ev("a\nb", 0, 17)] }],
  // empty data lines (with colon and bare) add empty lines
  ["empty data lines", { chunks: ["data:\ndata\ndata: x\n\n"], events: [ev("\n\nx", 0, 20)] }],
  // one empty data line dispatches an event with empty data
  ["empty data", { chunks: ["data:\n\n"], events: [ev("", 0, 7)] }],
  // event names; the last event line wins
  [
    "event names",
    {
      chunks: ["event: ping\ndata: 1\n\nevent:delta\nevent: last\ndata: 2\n\n"],
      events: [ev("1", 0, 21, "ping"), ev("2", 21, 54, "last")],
    },
  ],
  // an event with only an event line is not dispatched, and its name does not leak into the next
  ["event only", { chunks: ["event: x\n\ndata: y\n\n"], events: [ev("y", 10, 19)] }],
  // an empty event name names no type: WHATWG dispatches it as "message", null here like an absent one
  ["empty event name", { chunks: ["event:\ndata: y\n\n"], events: [ev("y", 0, 16)] }],
  // one space after the colon is dropped, leaving an empty name
  ["empty event name after a space", { chunks: ["event: \ndata: y\n\n"], events: [ev("y", 0, 17)] }],
  // the last event line wins, even when it is empty
  ["empty event name last", { chunks: ["event: x\nevent:\ndata: y\n\n"], events: [ev("y", 0, 25)] }],
  // id, retry, unknown fields and look-alike names are ignored
  [
    "ignored fields",
    { chunks: ["id: 1\nretry: 5\nfoo: bar\ndatabase: z\neventual: q\ndata: y\n\n"], events: [ev("y", 0, 57)] },
  ],
  // U+2028 inside JSON is not a line end
  ["u+2028", { chunks: ['data: {"t":"a\u2028b"}\n\n'], events: [ev('{"t":"a\u2028b"}', 0, 21)] }],
  // multibyte UTF-8 split across chunks
  [
    "utf-8 split",
    { chunks: [[...multibyte.subarray(0, 13)], [...multibyte.subarray(13)]], events: [ev('{"t":"日本"}', 0, 22)] },
  ],
  // unterminated last event (last line ends, no blank line)
  ["unterminated", { chunks: ["data: a\n\ndata: b\n"], events: [ev("a", 0, 9), ev("b", 9, 17)] }],
  // unterminated last line
  ["unterminated line", { chunks: ["data: a\n\ndata: b"], events: [ev("a", 0, 9), ev("b", 9, 16)] }],
  // leading blank lines of every kind before the first event
  ["leading blanks", { chunks: ["\n\r\n\rdata: a\n\n"], events: [ev("a", 4, 13)] }],
  // extra blank lines between events are not part of either event
  ["extra blanks", { chunks: ["data: a\n\n\n\r\ndata: b\n\n"], events: [ev("a", 0, 9), ev("b", 12, 21)] }],
  // oversized event: reported once, dropped, the next event is delivered
  [
    "oversized",
    { chunks: ["data: " + "x".repeat(30) + "\n\ndata: ok\n\n"], events: [ev("ok", 38, 48)], errors: 1, max: 20 },
  ],
  // oversized event split over many chunks: still one error
  [
    "oversized spanning",
    {
      chunks: ["data: ab", "x".repeat(10), "x".repeat(10), "x".repeat(10), "\n", "\ndata: ok\n\n"],
      events: [ev("ok", 40, 50)],
      errors: 1,
      max: 20,
    },
  ],
  // an event of exactly the cap is delivered
  ["at cap", { chunks: ["data: 12345678901234\n\n"], events: [ev("12345678901234", 0, 22)], max: 22 }],
  // oversized block of comments only: still reported (the cap bounds memory, not just data)
  [
    "oversized comments",
    { chunks: [": " + "c".repeat(30) + "\n\ndata: ok\n\n"], events: [ev("ok", 34, 44)], errors: 1, max: 20 },
  ],
];

for (const [name, row] of ROWS) {
  test(`scanner boundary: ${name}`, () => {
    const chunks = row.chunks.map(toBytes);
    const run = collect(chunks, row.max);
    assert.deepEqual(run.events, row.events);
    assert.equal(run.errors.length, row.errors ?? 0);
    for (const error of run.errors) assert.equal(error.code, "event_too_large");
    // The same bytes chunked any other way give the same events and errors.
    const whole = concat(row.chunks);
    for (const split of [...everySplit(whole), byteAtATime(whole)]) {
      const other = collect(split, row.max);
      assert.deepEqual(other.events, row.events, `split ${split.map((c) => c.length).join("+")}`);
      assert.equal(other.errors.length, row.errors ?? 0);
    }
    // Every event cut out of the stream by its offsets scans alone to the same event (the BOM aside).
    for (const e of row.events) {
      const alone = collect([whole.subarray(e.start, e.end)], row.max).events;
      assert.deepEqual(alone.map((a) => [a.event, a.data]), [[e.event, e.data]]);
    }
  });
}

test("events inside one chunk are views into it; spanning events are not", () => {
  const chunk = enc("data: one\n\ndata: tw");
  const seen: [boolean, number][] = [];
  const scanner = createSseScanner({
    onEvent: (e) => seen.push([e.data.buffer === chunk.buffer, e.data.byteOffset]),
  });
  scanner.push(chunk);
  scanner.push(enc("o\n\n"));
  scanner.end();
  assert.deepEqual(seen, [[true, 6], [false, 6]]);
});

test("the scanner reuses one event object and interns names", () => {
  const objects = new Set<unknown>();
  const names = new Set<unknown>();
  const scanner = createSseScanner({
    onEvent: (e) => {
      objects.add(e);
      names.add(e.event);
    },
  });
  scanner.push(enc("event: a\ndata: 1\n\nevent: a\ndata: 2\n\nevent: a\ndata: 3\n\n"));
  scanner.end();
  assert.equal(objects.size, 1);
  assert.equal(names.size, 1);
});

test("chunks are never mutated and a chunk's buffer may be reused after push", () => {
  const buf = enc("data: abc");
  const copy = buf.slice();
  const got: string[] = [];
  const scanner = createSseScanner({ onEvent: (e) => got.push(new TextDecoder().decode(e.data)) });
  scanner.push(buf);
  assert.deepEqual(buf, copy);
  buf.fill(0x7a); // the caller recycles its buffer: the pending event must not change
  scanner.push(enc("\n\n"));
  scanner.end();
  assert.deepEqual(got, ["abc"]);
});

test("an exception from a callback never leaves push and scanning goes on", () => {
  const got: string[] = [];
  const scanner = createSseScanner({
    onEvent: (e) => {
      const data = new TextDecoder().decode(e.data);
      got.push(data);
      if (data === "boom") throw new Error("consumer bug");
    },
    onError: () => {
      throw new Error("consumer bug");
    },
    maxEventBytes: 20,
  });
  scanner.push(enc("data: boom\n\ndata: a\n\ndata: b"));
  scanner.push(enc("\n\ndata: " + "x".repeat(30) + "\n\ndata: c\n\ndata: boom"));
  scanner.end();
  assert.deepEqual(got, ["boom", "a", "b", "c", "boom"]);
});

test("push after end is ignored and end is idempotent", () => {
  const run: string[] = [];
  const scanner = createSseScanner({ onEvent: (e) => run.push(new TextDecoder().decode(e.data)) });
  scanner.push(enc("data: a"));
  scanner.end();
  scanner.end();
  scanner.push(enc("data: b\n\n"));
  assert.deepEqual(run, ["a"]);
});

test("an event spanning many chunks is joined once with exact offsets", () => {
  const payload = "x".repeat(100_000);
  const whole = enc(`: hi\ndata: ${payload}\ndata: y\n\ndata: z\n\n`);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < whole.length; i += 7) chunks.push(whole.subarray(i, i + 7));
  const run = collect(chunks);
  assert.deepEqual(run.events, [ev(`${payload}\ny`, 0, 100_021), ev("z", 100_021, 100_030)]);
});

test("settled() holds back exactly the open event block", () => {
  const cases: [string, ChunkSpec[], number[], number?][] = [
    // open event after a dispatched one, then dispatched at end()
    ["open block", ["data: a\n\nda", "ta: b"], [9, 9, 16]],
    // comment-only block settles when its blank line arrives
    ["keep-alive", [": keep-alive\n", "\n"], [0, 14, 14]],
    // blank line ending in CR at a chunk end: held until the next byte shows whether an LF follows
    ["await lf", ["data: a\r\r", "\n", "data: b\n\n"], [0, 10, 19, 19]],
    // the byte after the CR is not an LF: the event ends at the CR
    ["await other", ["data: a\r\r", "data: b\n\n"], [0, 18, 18]],
    // bytes that may be a BOM are held; a whole BOM settles
    ["bom", [[0xef, 0xbb], [0xbf], "data"], [0, 3, 3, 7]],
    // an oversized event is never dispatched, so it is not held
    ["oversized", ["data: " + "x".repeat(30), "x\n\ndata: ok"], [36, 39, 47], 20],
    // blank lines between events settle as they arrive
    ["blank lines", ["data: a\n\n\n\r\n", "\r"], [12, 13, 13]],
  ];
  for (const [name, specs, want, max] of cases) assert.deepEqual(settledAfter(specs.map(toBytes), max), want, name);
});

test("settled() is the same however the stream is chunked", () => {
  for (const [name, row] of ROWS) {
    const whole = concat(row.chunks);
    const perByte = settledAfter(byteAtATime(whole), row.max);
    for (let i = 1; i < whole.length; i++) {
      const [first] = settledAfter(splitAt(whole, i), row.max);
      assert.equal(first, perByte[i - 1], `${name} split at ${i}`);
    }
  }
});

test("settled() inside onEvent is the event's end", () => {
  const seen: [number, number][] = [];
  const scanner: SseScanner = createSseScanner({ onEvent: (e) => seen.push([e.end, scanner.settled()]) });
  scanner.push(enc("data: a\n\ndata: b\r\n\r"));
  scanner.push(enc("\ndata: c"));
  scanner.end();
  assert.deepEqual(seen, [[9, 9], [20, 20], [27, 27]]);
});

test("the named-event fast path gives what the general path and eventsource-parser give, at every split", () => {
  // Shapes at the fast path's edges: no space / one / two after the colons, empty and blank names and data, and
  // neighbours that must fall back (a CR, a second data line, an `event` line without a colon, a cut blank line).
  const text = [
    "event:a\ndata:1\n\n",
    "event: b\ndata: 2\n\n",
    "event:  c\ndata:  3\n\n",
    "event:\ndata:4\n\n",
    "event: \ndata: \n\n",
    "event:d\ndata:\n\n",
    "event: e\ndata: 5\r\n\r\n",
    "event: f\ndata: 6\ndata: 7\n\n",
    "event\ndata: 8\n\n",
    "event: g\r\ndata: 9\n\n",
    "event: h\ndata: 10\n",
  ].join("");
  const whole = enc(text);
  const theirs: [string | null, string][] = [];
  // eventsource-parser drops an unterminated last event (the scanner dispatches it): give it the blank line.
  const parser = createParser({ onEvent: (e) => theirs.push([e.event || null, e.data]) });
  parser.feed(text + "\n");
  const expected = collect([whole]).events;
  assert.deepEqual(expected.map((e) => [e.event, e.data]), theirs);
  for (const split of [...everySplit(whole), byteAtATime(whole)]) {
    assert.deepEqual(collect(split).events, expected, `split ${split.map((c) => c.length).join("+")}`);
  }
});

test("the reused event lets go of its chunk once the callback returns", () => {
  let kept: SseEvent | null = null;
  const scanner = createSseScanner({ onEvent: (e) => void (kept = e) });
  scanner.push(enc("data: one\n\nevent: x\ndata: two\n\n"));
  assert.ok(kept !== null);
  const e = kept as SseEvent;
  assert.equal(e.bytes.length, 0);
  assert.equal(e.data.length, 0);
});
