/**
 * @module Event classification as bytes for the families that name their events (Anthropic, Responses,
 * Cohere): the `event:` name is compared as bytes, and only when it is absent or not one the family uses
 * (data-only copies, Bedrock-wrapped events, a proxy that renames every event) are the JSON `type` values read.
 */
import { findKey, keyPattern, valueEnd } from "../json/probe.ts";
import { equalsAt } from "../sse/bytes.ts";
import type { SseEvent } from "../sse/types.ts";

const encoder = new TextEncoder();
const TYPE = keyPattern("type");
const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;

/** ASCII text as bytes, for module-level constants. */
export function ascii(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Kind returned for a name the family does not use: classify by the JSON `type` instead. */
export const UNKNOWN = -1;
/** Kind of events the family uses that carry nothing to read. */
export const OTHER = 0;

/** Maps `buf[start, end)` (an event name or a `type` value) to a kind. */
export type Classify = (buf: Uint8Array, start: number, end: number) => number;

/** A classifier over a fixed name list; names in `quiet` are OTHER, anything else UNKNOWN. */
export function nameTable(kinds: ReadonlyArray<readonly [string, number]>, quiet: readonly string[]): Classify {
  const table = [...kinds, ...quiet.map((name) => [name, OTHER] as const)].map(([name, kind]) =>
    [ascii(name), kind] as const
  );
  return (buf, start, end) => {
    for (const [name, kind] of table) if (equalsAt(buf, start, end, name)) return kind;
    return UNKNOWN;
  };
}

/** True when `buf[start, end)` ends with `suffix`. */
export function endsWithBytes(buf: Uint8Array, start: number, end: number, suffix: Uint8Array): boolean {
  return end - start >= suffix.length && equalsAt(buf, end - suffix.length, end, suffix);
}

/**
 * The kind of an event. HOT: for named events this is one short byte compare. Without a usable name, the
 * `type` keys of the data are tried in order (the top-level one is first in real streams, last in key-sorted
 * copies) until one classifies.
 */
export function kindOf(event: SseEvent, classify: Classify): number {
  const name = event.event;
  if (name !== null) {
    const kind = classify(name, 0, name.length);
    if (kind !== UNKNOWN) return kind;
  }
  return kindOfData(event.bytes, event.dataStart, event.dataEnd, classify);
}

/** The kind of the JSON event in `bytes[start, end)` from its `type` values; OTHER when none classifies. */
export function kindOfData(bytes: Uint8Array, start: number, end: number, classify: Classify): number {
  for (let at = findKey(bytes, TYPE, start, end); at !== -1; at = findKey(bytes, TYPE, at + 1, end)) {
    if (bytes[at] !== QUOTE) continue;
    const close = valueEnd(bytes, at, end);
    if (close === -1) return OTHER;
    const kind = classify(bytes, at + 1, close - 1);
    if (kind !== UNKNOWN && kind !== OTHER) return kind;
  }
  return OTHER;
}

/** True when `data[start, end)` is a JSON object (skips `[DONE]`, keep-alive text and other non-JSON payloads). */
export function isObjectData(data: Uint8Array, start = 0, end = data.length): boolean {
  for (let i = start; i < end; i++) {
    const b = data[i];
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === OPEN_BRACE;
  }
  return false;
}

/**
 * Index of the value of the FIRST key of the object in `data` when that key is `pattern`, else -1. O(1):
 * OpenAI, Gemini and vLLM put `error` (or `object`) first in an in-stream error, so checking the first key
 * finds them without scanning every chunk.
 */
export function leadingKey(data: Uint8Array, pattern: Uint8Array, start = 0, end = data.length): number {
  let i = start;
  while (i < end && data[i] !== OPEN_BRACE) i++;
  i++;
  while (i < end && (data[i] === 0x20 || data[i] === 0x0a || data[i] === 0x0d || data[i] === 0x09)) i++;
  if (i + pattern.length > end || !equalsAt(data, i, i + pattern.length, pattern)) return -1;
  return findKey(data, pattern, i, end);
}
