/** @module Tolerant readers for provider usage objects: bad or missing fields read as absent, never throw. */

export type JsonObject = Record<string, unknown>;

/** The value as a plain object, or undefined (arrays and null are not objects here). */
export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** A token count: finite, non-negative, whole (a fractional count is rounded); otherwise undefined. */
export function countOf(value: unknown): number | undefined {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return undefined;
  return Number.isInteger(value) ? value : Math.round(value);
}

/** A token count or 0. */
export function count(value: unknown): number {
  return countOf(value) ?? 0;
}

/** The first of `values` that is a count, or undefined (for fields with several spellings). */
export function firstCount(...values: unknown[]): number | undefined {
  for (const value of values) {
    const n = countOf(value);
    if (n !== undefined) return n;
  }
  return undefined;
}

/** A non-empty string, or null. */
export function textOf(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** `obj[a][b]…` through plain objects, or undefined. */
export function path(value: unknown, ...keys: string[]): unknown {
  let at: unknown = value;
  for (const key of keys) {
    const o = asObject(at);
    if (o === undefined) return undefined;
    at = o[key];
  }
  return at;
}
