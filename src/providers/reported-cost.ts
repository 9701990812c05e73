/**
 * @module The exact text of a provider-reported USD cost (OpenRouter `usage.cost`), read from the bytes the answer
 * came in: a JSON number parsed to a float and printed again is exact only up to 15 significant digits, and money
 * is taken as the provider wrote it (docs/architecture.md §21).
 */
import { findKey, keyPattern, valueEnd } from "../json/probe.ts";

const USAGE = keyPattern("usage");
const COST = keyPattern("cost");
const decoder = new TextDecoder();

/**
 * The number text of `"cost"` inside the last `"usage"` object of `bytes`, or null. The caller checks it against
 * the parsed value (`Number(text) === usage.cost`), so a `cost` key nested deeper can never be taken for it.
 */
export function usageCostText(bytes: Uint8Array): string | null {
  let text: string | null = null;
  for (let at = findKey(bytes, USAGE); at !== -1;) {
    const end = valueEnd(bytes, at);
    if (end === -1) break;
    if (bytes[at] === 0x7b) {
      const usage = bytes.subarray(at, end);
      const c = findKey(usage, COST);
      const e = c === -1 ? -1 : valueEnd(usage, c);
      const first = usage[c];
      if (e !== -1 && first !== undefined && (first === 0x2d || (first >= 0x30 && first <= 0x39))) {
        text = decoder.decode(usage.subarray(c, e));
      }
    }
    at = findKey(bytes, USAGE, end);
  }
  return text;
}

