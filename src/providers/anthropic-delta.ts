/**
 * @module The content string length of an Anthropic `content_block_delta` in the exact shape the Messages API
 * sends, found by comparing the event with that shape instead of probing for keys (the deltas are nearly every
 * event of an Anthropic stream, 2.6× as many per MB as an OpenAI stream's chunks):
 *
 *   {"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"…"}}
 *
 * and the same with `thinking_delta` / `"thinking"` and `input_json_delta` / `"partial_json"`. When the bytes
 * match the shape up to the string's opening quote, end in `"}}`, and the string's first unescaped quote is the
 * one before `}}`, the generic probe (`"delta"` key, then the first of `"text"`, `"partial_json"`, `"thinking"`
 * after it) finds exactly this string: no other unescaped quote exists to start another key. Anything else
 * returns -1 and takes the probe.
 */
import { ascii } from "./event-kind.ts";

const HEAD = ascii('{"type":"content_block_delta","index":');
/** What follows the index, up to and including the content string's opening quote, per delta type. */
const BODIES = [
  ascii(',"delta":{"type":"text_delta","text":"'),
  ascii(',"delta":{"type":"thinking_delta","thinking":"'),
  ascii(',"delta":{"type":"input_json_delta","partial_json":"'),
];
/** Byte where the bodies first differ: `e` / `h` / `n` (`text_…`, `thinking_…`, `input_json_…`). */
const FORK = 19;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

function matches(bytes: Uint8Array, at: number, expected: Uint8Array, from: number): boolean {
  const n = expected.length;
  for (let k = from; k < n; k++) if (bytes[at + k] !== expected[k]) return false;
  return true;
}

/**
 * Bytes of the content string (escaped, without quotes) of the delta in `bytes[start, end)` when it has the
 * exact shape above, else -1.
 */
export function textDeltaBytes(bytes: Uint8Array, start: number, end: number): number {
  // The shortest match: head, one digit, the text body, an empty string's closing quote and `}}`.
  if (end - start < HEAD.length + 1 + (BODIES[0] as Uint8Array).length + 3) return -1;
  if (bytes[end - 1] !== CLOSE_BRACE || bytes[end - 2] !== CLOSE_BRACE || bytes[end - 3] !== QUOTE) return -1;
  if (!matches(bytes, start, HEAD, 0)) return -1;
  let i = start + HEAD.length;
  const digits = i;
  while (i < end) {
    const b = bytes[i] as number;
    if (b < DIGIT_0 || b > DIGIT_9) break;
    i++;
  }
  if (i === digits) return -1;
  let body: Uint8Array | undefined;
  for (const candidate of BODIES) {
    if (bytes[i + FORK] === candidate[FORK]) {
      body = candidate;
      break;
    }
  }
  if (body === undefined || i + body.length > end - 3 || !matches(bytes, i, body, 0)) return -1;
  const open = i + body.length;
  // The quote at end - 3 lies inside the range, so this search never leaves the event.
  for (let q = bytes.indexOf(QUOTE, open); q !== -1 && q <= end - 3; q = bytes.indexOf(QUOTE, q + 1)) {
    let b = q - 1;
    while (bytes[b] === BACKSLASH) b--;
    if (((q - 1 - b) & 1) === 1) continue; // escaped: inside the string
    // The string's closing quote: it must be the one before `}}`, else other members follow.
    return q === end - 3 ? q - open : -1;
  }
  return -1;
}
