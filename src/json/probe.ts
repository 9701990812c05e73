/**
 * @module Byte-level probes over UTF-8 JSON, so accumulators can find a key (`"usage"`) in an event's bytes and
 * decode only that value instead of the whole event.
 *
 * Why a byte search for `"name"` finds keys and nothing else: inside a JSON string every `"` is escaped (`\"`),
 * and outside strings a `"` always opens or closes one. In valid JSON, a match whose opening quote is not
 * escaped therefore opens a string whose content is exactly `name`; when `:` follows it, that string is an
 * object key. The key may sit at ANY nesting depth (`{"choices":[{"usage":…}]}` matches too): callers that
 * need the top-level key choose a `from` offset or check the structure around the value themselves. UTF-8
 * never encodes a non-ASCII code point with ASCII bytes, so multibyte text cannot produce false matches.
 *
 * Every probe takes an optional `end`: the JSON is `bytes[from, end)`, so an SSE event can be probed where it
 * sits in its chunk (src/sse/types.ts) without a `subarray` per event. Nothing at or past `end` is ever
 * matched or returned. The native `indexOf` has no end bound, so a search may read past `end` until its byte
 * occurs: `indexOfBytes` notices a search that ran far and bounds the next ones in that buffer.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const LOWER_T = 0x74;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;

const TRUE = new Uint8Array([0x74, 0x72, 0x75, 0x65]);
const FALSE = new Uint8Array([0x66, 0x61, 0x6c, 0x73, 0x65]);
const NULL = new Uint8Array([0x6e, 0x75, 0x6c, 0x6c]);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Pre-encodes `"name"` (quotes included) for {@link findKey}; call once per key, not per event. */
export function keyPattern(name: string): Uint8Array {
  return encoder.encode(JSON.stringify(name));
}

/**
 * Bytes of LLM API JSON from most to least frequent (measured over the recorded fixtures, 1.3 MB): `"` is 9%
 * of all bytes, `g` under 1%. Bytes not listed are rarer still.
 */
const COMMON_BYTES = '"etna:odcls i,rpu_bf0-m71h842\nx3.g6{}9ykv5jw[]q/';
/** Commonness rank per byte value: higher is more common; 0 for bytes not in COMMON_BYTES. */
const COMMONNESS = new Uint8Array(256);
for (let i = 0; i < COMMON_BYTES.length; i++) COMMONNESS[COMMON_BYTES.charCodeAt(i)] = COMMON_BYTES.length - i;

/** Index in `needle` of its least common byte, the best anchor for a native single-byte search. */
function anchorOf(needle: Uint8Array): number {
  let best = 0;
  let bestRank = 256;
  for (let k = 0; k < needle.length; k++) {
    const rank = COMMONNESS[needle[k] as number] as number;
    if (rank < bestRank) {
      best = k;
      bestRank = rank;
    }
  }
  return best;
}

/**
 * Bytes past `end` a search may read before its buffer is searched through bounded views instead (see
 * `boundedHay`). Events are a few hundred bytes; chunks up to 64 KiB or more.
 */
const FAR = 4096;
/**
 * The last buffer in which a search ran far past its `end` (its byte is rare or absent in the rest of the
 * chunk): searches in it go through a `subarray` so they stop at `end`. Without this, probing each event of a
 * chunk in place would cost O(chunk) per event when the anchor byte never occurs (a chat stream whose chunks hold
 * no `g` for `"usage"`). Only ever changes how fast a search is, never what it finds, so sharing it between
 * streams is harmless.
 */
let boundedHay: Uint8Array | null = null;

/** A search for a whole needle done by the runtime: the first index at or after `from`, or -1. */
export type ByteSearch = (hay: Uint8Array, needle: Uint8Array, from: number) => number;

/**
 * The runtime's own whole-needle search, when it beats the anchored one below: installed once at start-up from
 * `Traits.byteSearch` (src/serve.ts; Bun's Buffer#indexOf finds `"usage"` in a chat event in a third of the time,
 * Deno's is slower than the anchored search: bench/other-runs.md "Native key search"). Module state rather than a
 * parameter because the probes are free functions called deep inside every accumulator; it only ever changes how
 * fast a search is, never what it finds.
 */
let nativeSearch: ByteSearch | null = null;

export function useByteSearch(search: ByteSearch | null): void {
  nativeSearch = search;
}

/**
 * Index of the first occurrence of `needle` in `hay[from, end)` at or after `from`, or -1. HOT (once per event in
 * accumulators): the native `indexOf` looks for the needle's least common byte and each hit is verified. Key
 * patterns start with `"`, the most common byte in JSON, so anchoring on the first byte stops at every key;
 * anchoring on `g` in `"usage"` is 8× faster on Bun (bench/scanner-micro.ts measures the alternatives).
 */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0, end = hay.length): number {
  const n = needle.length;
  if (n === 0) return from <= end ? from : -1;
  const a = anchorOf(needle);
  const anchor = needle[a] as number;
  const last = end - n + a;
  if (last - from < SHORT) return indexOfShort(hay, needle, a, from, last);
  if (hay === boundedHay && hay.length - end > FAR) return indexOfInView(hay, needle, a, from, end);
  if (nativeSearch !== null) {
    const s = nativeSearch(hay, needle, from);
    if (s !== -1 && s + n <= end) return s;
    if ((s === -1 ? hay.length : s) - end > FAR) boundedHay = hay;
    return -1;
  }
  let i = hay.indexOf(anchor, from + a);
  while (i !== -1 && i <= last) {
    const s = i - a;
    let k = 0;
    while (k < n && hay[s + k] === needle[k]) k++;
    if (k === n) return s;
    i = hay.indexOf(anchor, i + 1);
  }
  if ((i === -1 ? hay.length : i) - end > FAR) boundedHay = hay;
  return -1;
}

/**
 * Ranges shorter than this are searched by a plain loop: a native call costs more than looking at a few dozen
 * bytes, and the range is typically an event's tail after its `"usage":null`, where the native search would run
 * on into the next event.
 */
const SHORT = 48;

/** indexOfBytes over a short range: anchor positions `from + a` to `last`, compared in place. */
function indexOfShort(hay: Uint8Array, needle: Uint8Array, a: number, from: number, last: number): number {
  const n = needle.length;
  const anchor = needle[a] as number;
  for (let i = from + a; i <= last; i++) {
    if (hay[i] !== anchor) continue;
    const s = i - a;
    let k = 0;
    while (k < n && hay[s + k] === needle[k]) k++;
    if (k === n) return s;
  }
  return -1;
}

/** indexOfBytes through a view of `hay[from, end)`, so the native search stops at `end`. */
function indexOfInView(hay: Uint8Array, needle: Uint8Array, a: number, from: number, end: number): number {
  if (from >= end) return -1;
  const view = hay.subarray(from, end);
  const n = needle.length;
  const anchor = needle[a] as number;
  const last = view.length - n + a;
  let i = view.indexOf(anchor, a);
  while (i !== -1 && i <= last) {
    const s = i - a;
    let k = 0;
    while (k < n && view[s + k] === needle[k]) k++;
    if (k === n) return from + s;
    i = view.indexOf(anchor, i + 1);
  }
  return -1;
}

/** True when `bytes[at]` is preceded by an odd run of backslashes, i.e. the byte is escaped. */
function isEscaped(bytes: Uint8Array, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && bytes[i] === BACKSLASH) i--;
  return ((at - 1 - i) & 1) === 1;
}

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Index of the first byte of the VALUE of the first key matching `pattern` (from {@link keyPattern}) at or after
 * `from`, at any nesting depth, or -1 when there is none (or the input ends before the value starts).
 */
export function findKey(bytes: Uint8Array, pattern: Uint8Array, from = 0, end = bytes.length): number {
  let at = indexOfBytes(bytes, pattern, from, end);
  while (at !== -1) {
    if (!isEscaped(bytes, at)) {
      let i = at + pattern.length;
      while (i < end && isSpace(bytes[i])) i++;
      if (i < end && bytes[i] === COLON) {
        i++;
        while (i < end && isSpace(bytes[i])) i++;
        return i < end ? i : -1;
      }
    }
    at = indexOfBytes(bytes, pattern, at + 1, end);
  }
  return -1;
}

/** Exclusive end of the string starting with the quote at `start`, or -1 when it is not closed before `end`. */
function stringEnd(bytes: Uint8Array, start: number, end: number): number {
  let q = bytes.indexOf(QUOTE, start + 1);
  while (q !== -1 && q < end && isEscaped(bytes, q)) q = bytes.indexOf(QUOTE, q + 1);
  return q === -1 || q >= end ? -1 : q + 1;
}

function literalEnd(bytes: Uint8Array, start: number, literal: Uint8Array, end: number): number {
  const n = literal.length;
  if (start + n > end) return -1;
  for (let k = 0; k < n; k++) if (bytes[start + k] !== literal[k]) return -1;
  return start + n;
}

function isNumberByte(b: number): boolean {
  return (b >= DIGIT_0 && b <= DIGIT_9) || b === MINUS || b === PLUS || b === DOT || b === LOWER_E ||
    b === UPPER_E;
}

/**
 * Exclusive end of the JSON value starting at `start`, or -1 when it is incomplete or not a value. A number
 * that runs to the end of `bytes` ends there (JSON numbers have no terminator). The value is not validated.
 */
export function valueEnd(bytes: Uint8Array, start: number, end = bytes.length): number {
  const len = end;
  if (start < 0 || start >= len) return -1;
  const first = bytes[start] as number;
  if (first === QUOTE) return stringEnd(bytes, start, len);
  if (first === LOWER_T) return literalEnd(bytes, start, TRUE, len);
  if (first === LOWER_F) return literalEnd(bytes, start, FALSE, len);
  if (first === LOWER_N) return literalEnd(bytes, start, NULL, len);
  if (first === MINUS || (first >= DIGIT_0 && first <= DIGIT_9)) {
    let i = start + 1;
    while (i < len && isNumberByte(bytes[i] as number)) i++;
    return i;
  }
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) return -1;
  // Brackets of both kinds share one depth counter: valid JSON nests them properly, and invalid JSON is the
  // caller's parse error, not ours.
  let depth = 0;
  let i = start;
  while (i < len) {
    const b = bytes[i] as number;
    if (b === QUOTE) {
      const e = stringEnd(bytes, i, len);
      if (e === -1) return -1;
      i = e;
      continue;
    }
    if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
    else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      if (--depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/** True when the value at `start` is the literal `null`. */
export function isNull(bytes: Uint8Array, start: number, end = bytes.length): boolean {
  return literalEnd(bytes, start, NULL, end) !== -1;
}

/** The decoded JSON string value at `start` (escapes resolved), or undefined when it is not a whole string. */
export function readString(bytes: Uint8Array, start: number, limit = bytes.length): string | undefined {
  if (start >= limit || bytes[start] !== QUOTE) return undefined;
  const end = stringEnd(bytes, start, limit);
  if (end === -1) return undefined;
  const inner = bytes.subarray(start + 1, end - 1);
  // Without a backslash the UTF-8 text is the value itself; JSON.parse only when there are escapes to resolve.
  if (inner.indexOf(BACKSLASH) === -1) return decoder.decode(inner);
  const value = parseSlice(bytes, start, end);
  return typeof value === "string" ? value : undefined;
}

/** JSON.parse of `bytes[start, end)` decoded as UTF-8; undefined when it does not parse. Never throws. */
export function parseSlice(bytes: Uint8Array, start = 0, end = bytes.length): unknown {
  try {
    return JSON.parse(decoder.decode(bytes.subarray(start, end)));
  } catch {
    return undefined;
  }
}
