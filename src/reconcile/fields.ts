/** @module Reading an admin API's JSON strictly: a count is a whole number, money is decimal text, or the page is refused. */
import { AdminApiError } from "./http.ts";

export type Json = Record<string, unknown>;

/** The array at `name` (absent: empty); anything else is refused. */
export function list(page: Json, name: string, where: string): Json[] {
  const value = page[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "object" || v === null)) {
    throw new AdminApiError(`${where}: "${name}" is not a list of objects`);
  }
  return value as Json[];
}

/** A token or request count: absent or null is 0; a negative, fractional or non-number value is refused. */
export function count(obj: Json | undefined, name: string, where: string): number {
  const value = obj?.[name];
  if (value === undefined || value === null) return 0;
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new AdminApiError(`${where}: "${name}" is not a whole number (${JSON.stringify(value)})`);
  }
  return n;
}

/** A text field, or null when absent, null or empty. */
export function text(obj: Json, name: string): string | null {
  const value = obj[name];
  return typeof value === "string" && value !== "" ? value : null;
}

/** A nested object, or undefined. */
export function object(obj: Json, name: string): Json | undefined {
  const value = obj[name];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value as Json : undefined;
}
