/** @module Small readers over RequestFacts shared by the provider files. */
import type { RequestFacts } from "./types.ts";
import { asObject, textOf } from "../usage/fields.ts";

/** The request body's `model`, or null. */
export function bodyModel(facts: RequestFacts): string | null {
  return textOf(asObject(facts.body)?.model);
}

/** True when the request body asks for a stream (`"stream": true`). */
export function isStreaming(facts: RequestFacts): boolean {
  return asObject(facts.body)?.stream === true;
}

/** A query parameter's decoded value, or null. */
export function queryParam(facts: RequestFacts, name: string): string | null {
  if (facts.query === "") return null;
  try {
    return new URLSearchParams(facts.query).get(name);
  } catch {
    return null;
  }
}

/** The path without a trailing slash (the lead keeps upstream paths raw, a trailing slash included). */
export function trimmedPath(facts: RequestFacts): string {
  const p = facts.path;
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

/** The raw path segment after `marker` (e.g. `/models/`) up to the next `/` or `:`, URL-decoded; or null. */
export function segmentAfter(path: string, marker: string, stopAtColon: boolean): string | null {
  const at = path.indexOf(marker);
  if (at === -1) return null;
  const start = at + marker.length;
  let end = path.indexOf("/", start);
  if (end === -1) end = path.length;
  if (stopAtColon) {
    const colon = path.indexOf(":", start);
    if (colon !== -1 && colon < end) end = colon;
  }
  if (end === start) return null;
  try {
    return decodeURIComponent(path.slice(start, end));
  } catch {
    return path.slice(start, end);
  }
}
