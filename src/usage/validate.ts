/**
 * @module What a response reported, checked before it is stored. Normalizers read bad counts as absent (0), so
 * a negative or string count would otherwise be recorded as a reported 0 at $0; an absurd one (1e308, 2^53+1)
 * would break every sum over the table. Usage with any unreadable count is unknown instead, and the reason names
 * the field. The native usage object is stored only when it is small and shallow; otherwise a marker is.
 */
import type { Usage } from "./types.ts";

/** No single answer reaches a billion tokens (the largest context windows hold ~10M); beyond this a count is garbage. */
export const MAX_TOKENS = 1_000_000_000;
/** Nesting and size a stored `usage_native` may have: real usage objects are a few levels and under 2 KB. */
export const MAX_NATIVE_DEPTH = 32;
export const MAX_NATIVE_BYTES = 64 * 1024;

/** Keys that hold a count in some provider's usage (`prompt_tokens`, `promptTokenCount`, `web_search_requests`…). */
const COUNT_KEY = /(?:tokens|tokencount|_requests|_queries)$/i;

export function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= MAX_TOKENS;
}

export interface NativeCheck {
  /** The native usage to store: the object itself, or a marker when it is too deep or too large. */
  native: unknown;
  /** Why the native object was not stored as is, or null. */
  truncated: string | null;
  /** The first count that is not a whole number in range, as `path is value`, or null. */
  badCount: string | null;
  /** An object without a single number in it (`"usage": {}`): nothing was reported, not zero. */
  empty: boolean;
}

/** One object or array on the walk; keys are joined into a path only when a bad count is reported. */
interface Frame {
  value: object;
  depth: number;
  key: string;
  parent: Frame | null;
}

function pathOf(frame: Frame, key: string): string {
  const parts = [key];
  for (let f: Frame | null = frame; f !== null && f.parent !== null; f = f.parent) parts.unshift(f.key);
  return parts.join(".");
}

/**
 * Walks `native` without recursion (a hostile object can be nested far past the stack) and stops at the first
 * limit it crosses. Cheap on real usage: a few dozen nodes, no string built unless something is wrong.
 */
export function checkNative(native: unknown): NativeCheck {
  if (typeof native !== "object" || native === null) return { native, truncated: null, badCount: null, empty: false };
  let badCount: string | null = null;
  let numbers = 0;
  let bytes = 0;
  const stack: Frame[] = [{ value: native, depth: 1, key: "", parent: null }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { value, depth } = frame;
    if (depth > MAX_NATIVE_DEPTH) return truncate(`deeper than ${MAX_NATIVE_DEPTH} levels`, badCount);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        bytes += typeof v === "string" ? v.length + 8 : 8;
        if (typeof v === "object" && v !== null) stack.push({ value: v, depth: depth + 1, key: String(i), parent: frame });
        else if (typeof v === "number") numbers++;
        if (bytes > MAX_NATIVE_BYTES) return truncate(`larger than ${MAX_NATIVE_BYTES} bytes`, badCount);
      }
      continue;
    }
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const v = (value as Record<string, unknown>)[key];
      bytes += key.length + (typeof v === "string" ? v.length + 8 : 8);
      // The key's regex only for a value that is not a count: on real usage (every count good) it never runs.
      if (typeof v === "object" && v !== null) stack.push({ value: v, depth: depth + 1, key, parent: frame });
      else if (badCount === null && v !== null && !isCount(v) && COUNT_KEY.test(key)) {
        badCount = `${pathOf(frame, key)} is ${String(JSON.stringify(v)).slice(0, 40)}`;
      }
      if (typeof v === "number") numbers++;
      if (bytes > MAX_NATIVE_BYTES) return truncate(`larger than ${MAX_NATIVE_BYTES} bytes`, badCount);
    }
  }
  return { native, truncated: null, badCount, empty: numbers === 0 };
}

/** Too deep or too large to look through: whether it holds a number is not known, so it is not called empty. */
function truncate(why: string, badCount: string | null): NativeCheck {
  const message = `usage_native ${why}: not stored`;
  return { native: { kestrel_truncated: message }, truncated: message, badCount, empty: false };
}

/** The first field of a normalized Usage that is not a count in range, or null. */
export function badUsageField(usage: Usage): string | null {
  for (const key in usage) {
    const value = usage[key as keyof Usage];
    if (!isCount(value)) return `${key} is ${value}`;
  }
  return null;
}
