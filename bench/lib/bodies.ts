/**
 * @module Realistic response bodies built from the recorded fixtures (test/fixtures), seeded: a small chat
 * completion JSON with usage, and chat / Anthropic SSE streams of any length with usage at the end (one
 * response each: head events once, content deltas sampled from the recording, the usage events last).
 */
import { readFileSync } from "node:fs";
import { createRng } from "../../test/_chunking.ts";

const FIXTURES = new URL("../../test/fixtures", import.meta.url).pathname;
const encoder = new TextEncoder();

/** The seeded generator the chunking tests use (mulberry32). */
export const rng = createRng;

/** Splits a recorded SSE file into its events, each with its terminating blank line. */
function events(file: string): string[] {
  return readFileSync(`${FIXTURES}/${file}`, "utf8").split("\n\n").filter((e) => e.trim() !== "").map((e) =>
    `${e}\n\n`
  );
}

/** The parts of one recorded stream: events before the deltas, the deltas, events after them. */
export interface StreamShape {
  head: string[];
  deltas: string[];
  tail: string[];
  /** Usage the tail reports, for checking a meter's result. */
  usage: { input: number; output: number };
}

export function chatShape(): StreamShape {
  const all = events("openai-chat/openai-text.sse");
  // Recording: role chunk, content chunks, finish chunk, usage chunk, [DONE].
  return { head: all.slice(0, 1), deltas: all.slice(1, -3), tail: all.slice(-3), usage: { input: 16, output: 300 } };
}

export function anthropicShape(): StreamShape {
  const all = events("anthropic-messages/anthropic-text.sse");
  const isDelta = (e: string) => e.startsWith("event: content_block_delta");
  const first = all.findIndex(isDelta);
  const last = all.findLastIndex(isDelta);
  // More varied text deltas from a longer recording of the same API.
  const more = events("anthropic-messages/anthropic-compaction.1.sse").filter((e) =>
    isDelta(e) && e.includes('"text_delta"')
  );
  return {
    head: all.slice(0, first),
    deltas: [...all.slice(first, last + 1), ...more],
    tail: all.slice(last + 1),
    usage: { input: 12, output: 30 },
  };
}

/** One response of about `bytes` bytes: head, seeded deltas, tail (usage at the end). */
export function buildStream(shape: StreamShape, bytes: number, seed = 0xc0ffee): Uint8Array {
  const next = rng(seed);
  const head = encoder.encode(shape.head.join(""));
  const tail = encoder.encode(shape.tail.join(""));
  const deltas = shape.deltas.map((d) => encoder.encode(d));
  const out = new Uint8Array(Math.max(bytes, head.length + tail.length) + 8192);
  out.set(head, 0);
  let at = head.length;
  while (at + tail.length < bytes) {
    const d = deltas[Math.floor(next() * deltas.length)]!;
    out.set(d, at);
    at += d.length;
  }
  out.set(tail, at);
  return out.slice(0, at + tail.length);
}

/** Cuts bytes into seeded chunks of 16–64 KiB, each in its own buffer, as fetch bodies arrive. */
export function chunk(bytes: Uint8Array, seed = 0xc0ffee, min = 16384, max = 65536): Uint8Array[] {
  const next = rng(seed);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = min + Math.floor(next() * (max - min + 1));
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  return chunks;
}

/** A non-streaming chat completion with usage, as the recording, with a short answer (~600 bytes). */
export function chatJson(): Uint8Array {
  const body = JSON.parse(readFileSync(`${FIXTURES}/openai-chat/openai-text.json`, "utf8"));
  body.choices[0].message.content = body.choices[0].message.content.slice(0, 160);
  return encoder.encode(JSON.stringify(body));
}

/** A stream of `count` events: head, `count - head - tail` deltas in recorded order, tail. */
export function chatEvents(count: number): Uint8Array[] {
  const { head, deltas, tail } = chatShape();
  const middle = Math.max(0, count - head.length - tail.length);
  const list = [...head, ...Array.from({ length: middle }, (_, i) => deltas[i % deltas.length]!), ...tail];
  return list.map((e) => encoder.encode(e));
}
