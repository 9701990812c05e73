/**
 * @module WebM/Matroska: the Segment Info's Duration (a float, in ticks) × TimecodeScale (ns a tick, default 1 ms)
 * (docs/architecture.md §21). EBML elements are walked header to header: the Segment, its Info, and any element
 * of unknown size (a live Cluster) are entered, the rest skipped by size; element IDs are unique across the
 * schema, so the walk need not track nesting. A file cut inside an element, or without a Duration (what a
 * browser's MediaRecorder writes), answers null.
 */
import { type Reader, type Step } from "./stream.ts";

const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const TIMECODE_SCALE = 0x2ad7b1;
const DURATION = 0x4489;

/** An EBML variable-length integer: the ID keeps its length marker, a size does not. Null at the end or cut. */
function* vint(keepMarker: boolean): Generator<Step, { value: number; unknown: boolean } | "end" | null, Uint8Array> {
  const first = yield { read: 1 };
  if (first.length === 0) return "end";
  const length = Math.clz32(first[0]!) - 23; // 1 for 0b1xxxxxxx … 8 for 0b00000001
  if (length < 1 || length > 8) return null;
  const rest = yield { read: length - 1 };
  if (rest.length < length - 1) return null;
  let value = keepMarker ? first[0]! : first[0]! & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (const b of rest) {
    value = value * 256 + b;
    allOnes &&= b === 0xff;
  }
  return Number.isSafeInteger(value) ? { value, unknown: !keepMarker && allOnes } : null;
}

export function* webm(): Reader {
  let scale = 1_000_000;
  let duration: number | null = null;
  for (;;) {
    const id = yield* vint(true);
    if (id === "end") break;
    const size = id === null ? null : yield* vint(false);
    if (id === null || size === null || size === "end") return null;
    if (id.value === TIMECODE_SCALE || id.value === DURATION) {
      if (size.unknown || size.value > 8) return null;
      const b = yield { read: size.value };
      if (b.length < size.value) return null;
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (id.value === TIMECODE_SCALE) scale = b.reduce((n, x) => n * 256 + x, 0);
      else if (size.value === 4) duration = view.getFloat32(0);
      else if (size.value === 8) duration = view.getFloat64(0);
      else return null;
    } else if (!(id.value === SEGMENT || id.value === INFO || size.unknown)) {
      yield { skip: size.value };
    }
  }
  if (duration === null || !Number.isFinite(duration) || duration <= 0 || scale <= 0) return null;
  return Math.round((duration * scale) / 1e6);
}
