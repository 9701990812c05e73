/**
 * @module M4A/MP4 (ISO BMFF): the `moov`/`mvhd` box's duration over its timescale (docs/architecture.md §21).
 * Top-level boxes are walked header to header and skipped by size, so `moov` is found after `mdat` too (a file
 * not made "fast start"); inside `moov` only the box headers up to `mvhd` are read. Every top-level box must be
 * whole: a file cut short answers null, as do a duration of 0 or all ones (fragmented or live: not known).
 */
import { type Reader, roundMs, type Step, tag, u32be, u64be } from "./stream.ts";

interface Box {
  type: string;
  /** Bytes of the header itself (8, or 16 with a 64-bit size). */
  head: number;
  /** Bytes after the header; null when the box runs to the end of the file (size 0). */
  body: number | null;
}

/** The next box's header; "end" at a clean end of the stream, null when cut inside a header or malformed. */
function* boxHeader(): Generator<Step, Box | "end" | null, Uint8Array> {
  const h = yield { read: 8 };
  if (h.length === 0) return "end";
  if (h.length < 8) return null;
  const size = u32be(h, 0);
  if (size === 0) return { type: tag(h, 4), head: 8, body: null };
  if (size !== 1) return size < 8 ? null : { type: tag(h, 4), head: 8, body: size - 8 };
  const large = yield { read: 8 };
  const size64 = large.length === 8 ? u64be(large, 0) : null;
  return size64 === null || size64 < 16 ? null : { type: tag(h, 4), head: 16, body: size64 - 16 };
}

export function* mp4(): Reader {
  let ms: number | null = null;
  for (;;) {
    const box = yield* boxHeader();
    if (box === "end") return ms;
    if (box === null) return null;
    if (box.body === null) {
      yield { tail: 0 }; // runs to the end: nothing after it can be cut off
      return ms;
    }
    if (box.type === "moov") {
      const read = yield* movieHeader(box.body);
      if (read === null) return null;
      ms = read.ms;
      yield { skip: read.left };
    } else {
      yield { skip: box.body };
    }
  }
}

/** Walks `moov`'s children to `mvhd`: its length in ms (null when unknown) and the bytes of `moov` left to skip. */
function* movieHeader(size: number): Generator<Step, { ms: number | null; left: number } | null, Uint8Array> {
  let left = size;
  for (;;) {
    const child = yield* boxHeader();
    if (child === "end" || child === null || child.body === null) return null;
    left -= child.head + child.body;
    if (left < 0) return null;
    if (child.type !== "mvhd") {
      yield { skip: child.body };
      continue;
    }
    // Version 0: created, modified (4 each), timescale, duration (4); version 1: 8, 8, timescale 4, duration 8.
    const v1 = (yield { peek: 1 })[0] === 1;
    const need = v1 ? 32 : 20;
    if (child.body < need) return null;
    const b = yield { read: need };
    if (b.length < need) return null;
    const timescale = u32be(b, v1 ? 20 : 12);
    const duration = v1 ? u64be(b, 24) : u32be(b, 16);
    const known = duration !== null && duration !== 0 && duration !== 0xffffffff && timescale !== 0;
    return { ms: known ? roundMs(duration, timescale) : null, left: left + child.body - need };
  }
}
