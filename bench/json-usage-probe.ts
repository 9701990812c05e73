/**
 * @module Whether a JSON (non-stream) answer's usage should be read by byte probes instead of JSON.parse of the
 * whole answer (issue 25). Run: `node_modules/.bin/bun bench/json-usage-probe.ts`. µs per answer, best of 9, for
 * (a) TextDecoder + JSON.parse, what the meter does; (b) a walk of the top-level members with valueEnd, reading
 * `usage` (parsed), `model`, `id`, `service_tier`, `error`, `x_groq` at the right nesting, the only probe way
 * that finds the accumulator's fields where it reads them; (c) four findKey probes at any depth (not correct:
 * a tool call's `id` would match; a lower bound). Answers: the bench's chat completion (~750 bytes), and ~100 KB
 * ones whose content has a `"` every 30 bytes or none.
 */
import { findKey, keyPattern, parseSlice, readString, valueEnd } from "../src/json/probe.ts";
import { chatJson } from "./lib/bodies.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TOP = ["model", "id", "service_tier", "usage", "error", "x_groq"].map((k) => encoder.encode(k));
const ANY = ["model", "id", "service_tier", "usage"].map((k) => keyPattern(k));
const space = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

function large(sentence: string): Uint8Array {
  const body = JSON.parse(decoder.decode(chatJson()));
  body.choices[0].message.content = sentence.repeat(Math.ceil(100_000 / sentence.length));
  return encoder.encode(JSON.stringify(body));
}

/** The top-level members the chat accumulator reads, by a walk over the members; -1 when not an object. */
function walk(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  let read = 0;
  while (space(bytes[i])) i++;
  if (bytes[i++] !== 0x7b) return -1;
  for (;;) {
    while (space(bytes[i])) i++;
    if (bytes[i] === 0x7d) return read;
    const keyEnd = valueEnd(bytes, i);
    if (bytes[i] !== 0x22 || keyEnd === -1) return -1;
    const key = i + 1;
    const keyLength = keyEnd - 1 - key;
    i = keyEnd;
    while (space(bytes[i])) i++;
    if (bytes[i++] !== 0x3a) return -1;
    while (space(bytes[i])) i++;
    const end = valueEnd(bytes, i);
    if (end === -1) return -1;
    for (const name of TOP) {
      if (name.length !== keyLength) continue;
      let k = 0;
      while (k < keyLength && bytes[key + k] === name[k]) k++;
      if (k < keyLength) continue;
      read++;
      if (bytes[i] === 0x22) readString(bytes, i);
      else parseSlice(bytes, i, end);
    }
    i = end;
    while (i < n && space(bytes[i])) i++;
    if (bytes[i] === 0x2c) i++;
    else return bytes[i] === 0x7d ? read : -1;
  }
}

function anyDepth(bytes: Uint8Array): number {
  let read = 0;
  for (const key of ANY) {
    const at = findKey(bytes, key);
    if (at === -1) continue;
    read++;
    parseSlice(bytes, at, valueEnd(bytes, at));
  }
  return read;
}

let sink = 0;
function time(bytes: Uint8Array, fn: (b: Uint8Array) => unknown, iterations: number): number {
  let best = Infinity;
  for (let round = 0; round < 9; round++) {
    const t0 = performance.now();
    for (let k = 0; k < iterations; k++) sink += fn(bytes) === undefined ? 0 : 1;
    best = Math.min(best, performance.now() - t0);
  }
  return (best * 1000) / iterations;
}

const answers: [string, Uint8Array, number][] = [
  ["chat answer", chatJson(), 20_000],
  ["100 KB, a quote per 30 B", large('Say "hi" to the world, then. '), 300],
  ["100 KB, no quotes", large("Hello world and more text here. "), 300],
];
const rows = answers.map(([name, bytes, n]) => ({
  answer: `${name} (${bytes.length} B)`,
  "JSON.parse µs": time(bytes, (b) => JSON.parse(decoder.decode(b)), n).toFixed(2),
  "top-level walk µs": time(bytes, walk, n).toFixed(2),
  "findKey any depth µs": time(bytes, anyDepth, n).toFixed(2),
}));
console.table(rows);
if (sink === 0) console.log("");
