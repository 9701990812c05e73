// RFC 6455 framing of Kestrel's upstream client (src/realtime/frames.ts): the reader at every split, its refusals,
// and masked frames that unmask to their payload.
import assert from "node:assert/strict";
import { test } from "node:test";
import { closePayload, encodeFrame, FrameReader, OP_BINARY, OP_CLOSE, OP_TEXT, relayCloseCode } from "../../src/realtime/frames.ts";
import { concatBytes } from "../../src/sse/bytes.ts";
import { serverFrame } from "../_helpers/ws-mock.ts";

type Seen = [string, ...unknown[]];

function read(chunks: Uint8Array[], max = 1 << 20): Seen[] {
  const seen: Seen[] = [];
  const reader = new FrameReader({
    message: (p, text) => seen.push(["message", text, text ? new TextDecoder().decode(p) : [...p]]),
    ping: (p) => seen.push(["ping", [...p]]),
    pong: (p) => seen.push(["pong", [...p]]),
    close: (code, reason) => seen.push(["close", code, reason]),
    fail: (code, reason) => seen.push(["fail", code, reason]),
  }, max);
  for (const c of chunks) reader.push(c);
  return seen;
}

const enc = (s: string) => new TextEncoder().encode(s);
const join = (parts: Uint8Array[]) => concatBytes(parts, parts.reduce((a, p) => a + p.byteLength, 0));

const STREAM = join([
  serverFrame(OP_TEXT, enc('{"type":"session.created"}')),
  serverFrame(OP_BINARY, new Uint8Array(300).map((_, i) => i & 0xff)),
  serverFrame(OP_TEXT, enc("héllo, "), false),
  serverFrame(0x9, enc("p")), // a ping between fragments is allowed
  serverFrame(0x0, enc("wörld"), true),
  serverFrame(OP_BINARY, new Uint8Array(70_000).fill(7)),
  serverFrame(OP_CLOSE, closePayload(4001, "bye")),
]);

test("the reader gives the same messages at every split of the stream and one byte at a time", () => {
  const whole = read([STREAM]);
  assert.equal(whole.length, 6);
  assert.deepEqual(whole[2], ["ping", [112]]);
  assert.deepEqual(whole[3], ["message", true, "héllo, wörld"]);
  assert.deepEqual(whole[5], ["close", 4001, "bye"]);
  const small = STREAM.subarray(0, 600); // every split of the first frames (the 70 kB frame is split below)
  for (let at = 0; at <= small.byteLength; at++) {
    assert.deepEqual(read([small.subarray(0, at), small.subarray(at)]), read([small]), `split at ${at}`);
  }
  assert.deepEqual(read([...STREAM].map((b) => new Uint8Array([b]))), whole);
  assert.deepEqual(read([STREAM.subarray(0, 1000), STREAM.subarray(1000, 40_000), STREAM.subarray(40_000)]), whole);
});

test("protocol violations fail the connection with the right code and stop reading", () => {
  const cases: [string, Uint8Array, number][] = [
    // [what, bytes, close code]
    ["masked frame from the server", new Uint8Array([0x81, 0x80, 1, 2, 3, 4]), 1002],
    ["reserved bit without an extension", new Uint8Array([0xc1, 0x00]), 1002],
    ["control frame longer than 125", serverFrame(0x9, new Uint8Array(126)), 1002],
    ["fragmented control frame", serverFrame(0x9, new Uint8Array(1), false), 1002],
    ["continuation without a message", serverFrame(0x0, enc("x")), 1002],
    ["new message inside a fragmented one", join([serverFrame(OP_TEXT, enc("a"), false), serverFrame(OP_TEXT, enc("b"))]), 1002],
    ["unknown opcode", serverFrame(0x3, enc("x")), 1002],
    ["close frame of one byte", serverFrame(OP_CLOSE, new Uint8Array([3])), 1002],
    ["close code 1005 on the wire", serverFrame(OP_CLOSE, closePayload(1005, "")), 1002],
    ["close reason not UTF-8", serverFrame(OP_CLOSE, new Uint8Array([3, 232, 0xff])), 1007],
    ["message over the limit", serverFrame(OP_BINARY, new Uint8Array(2000)), 1009],
  ];
  for (const [what, bytes, code] of cases) {
    const seen = read([join([bytes, serverFrame(OP_TEXT, enc("after"))])], 1000);
    assert.equal(seen.length, 1, what);
    assert.deepEqual(seen[0]!.slice(0, 2), ["fail", code], what);
  }
  // A fragmented message counts its parts against the limit.
  const parts = read([join([serverFrame(OP_BINARY, new Uint8Array(600), false), serverFrame(0x0, new Uint8Array(600))])], 1000);
  assert.deepEqual(parts[0]!.slice(0, 2), ["fail", 1009]);
});

test("an empty close frame reads as 1005 (no status)", () => {
  assert.deepEqual(read([serverFrame(OP_CLOSE, new Uint8Array(0))]), [["close", 1005, ""]]);
});

/** Unmasks a client frame the way a server does. */
function unmask(frame: Uint8Array): { fin: boolean; op: number; payload: Uint8Array } {
  assert.equal(frame[1]! & 0x80, 0x80, "client frames are masked");
  let n = frame[1]! & 0x7f;
  let at = 2;
  if (n === 126) (n = (frame[2]! << 8) | frame[3]!, at = 4);
  else if (n === 127) (n = new DataView(frame.buffer, frame.byteOffset).getUint32(6), at = 10);
  const key = frame.subarray(at, at + 4);
  const payload = frame.slice(at + 4);
  assert.equal(payload.byteLength, n);
  for (let i = 0; i < n; i++) payload[i]! ^= key[i & 3]!;
  return { fin: (frame[0]! & 0x80) !== 0, op: frame[0]! & 0x0f, payload };
}

test("encoded frames are masked and unmask to the payload, at every length class", () => {
  for (const size of [0, 1, 3, 4, 5, 125, 126, 127, 65535, 65536, 100_003]) {
    const bytes = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
    const f = unmask(encodeFrame(OP_BINARY, bytes));
    assert.deepEqual([f.fin, f.op], [true, OP_BINARY], `size ${size}`);
    assert.deepEqual(f.payload, bytes, `size ${size}`);
  }
  for (const text of ["", "a", "héllo wörld ✓ 🐦", "x".repeat(70_000) + "é"]) {
    const f = unmask(encodeFrame(OP_TEXT, text));
    assert.equal(new TextDecoder().decode(f.payload), text);
  }
  // Two frames of the same payload are masked with different keys.
  assert.notDeepEqual(encodeFrame(OP_TEXT, "same"), encodeFrame(OP_TEXT, "same"));
});

test("close codes are passed on as a peer may send them", () => {
  // [code received, code sent on]
  const table: [number, number | null][] = [
    [1000, 1000], [1001, 1001], [1008, 1008], [1011, 1011], [1013, 1013], [4000, 4000],
    [1005, null], // no status: a close frame without a code
    [1006, 1001], // the connection dropped: going away
    [1015, 1011], [999, 1011],
  ];
  for (const [code, sent] of table) assert.equal(relayCloseCode(code), sent, String(code));
  // A long reason is cut on a character boundary to fit a control frame.
  const payload = closePayload(1000, "é".repeat(100));
  assert.ok(payload.byteLength <= 125);
  assert.doesNotThrow(() => new TextDecoder("utf-8", { fatal: true }).decode(payload.subarray(2)));
});
