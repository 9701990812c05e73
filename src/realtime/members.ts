/**
 * @module The top-level members of a JSON object, walked as bytes: keys are compared in place and every value
 * is skipped by its extent (a string in one native search for its closing quote), so a message's large base64
 * audio costs one `indexOf`, and nothing is decoded unless a caller asks for that member (src/json/probe.ts).
 */
import { valueEnd } from "../json/probe.ts";
import { equalsAt } from "../sse/bytes.ts";

const QUOTE = 0x22;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;

function skipSpace(bytes: Uint8Array, at: number, end: number): number {
  while (at < end) {
    const b = bytes[at]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break;
    at++;
  }
  return at;
}

/**
 * Calls `visit` with the key's inner range and the value's range for each member of the object that starts at
 * or after `start` (before `end`), until `visit` returns true. Stops quietly at anything that is not JSON.
 */
export function eachMember(
  bytes: Uint8Array,
  visit: (keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => boolean,
  start = 0,
  end = bytes.byteLength,
): void {
  let at = skipSpace(bytes, start, end);
  if (bytes[at] !== OPEN_BRACE) return;
  at = skipSpace(bytes, at + 1, end);
  while (at < end && bytes[at] === QUOTE) {
    const keyStart = at + 1;
    const keyEnd = valueEnd(bytes, at);
    if (keyEnd === -1 || keyEnd > end) return;
    at = skipSpace(bytes, keyEnd, end);
    if (bytes[at] !== COLON) return;
    const vStart = skipSpace(bytes, at + 1, end);
    const vEnd = valueEnd(bytes, vStart);
    if (vEnd === -1 || vEnd > end) return;
    if (visit(keyStart, keyEnd - 1, vStart, vEnd)) return;
    at = skipSpace(bytes, vEnd, end);
    if (bytes[at] !== COMMA) return; // `}` or not JSON: the object ends here either way
    at = skipSpace(bytes, at + 1, end);
  }
}

/** The value range of the member named `key` (pre-encoded, without quotes), or null. */
export function member(bytes: Uint8Array, key: Uint8Array, start = 0, end = bytes.byteLength): [number, number] | null {
  let found: [number, number] | null = null;
  eachMember(bytes, (ks, ke, vs, ve) => {
    if (!equalsAt(bytes, ks, ke, key)) return false;
    found = [vs, ve];
    return true;
  }, start, end);
  return found;
}

/** True when `bytes[start, end)` is the JSON literal `true`. */
export function isTrue(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start === 4 && bytes[start] === 0x74 && bytes[start + 1] === 0x72 && bytes[start + 2] === 0x75 &&
    bytes[start + 3] === 0x65;
}
