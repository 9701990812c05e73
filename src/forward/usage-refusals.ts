/**
 * @module Upstream endpoints that refused an injected `stream_options`. Keyed by host + path + model (an Azure
 * deployment lives in the path, an OpenAI-compatible model in the body), so one strict deployment does not turn
 * usage off for a whole provider; entries expire, so an upstream that learns the option is asked again.
 */

export interface RefusalMemory {
  has(key: string): boolean;
  add(key: string): void;
}

const TTL_MS = 60 * 60 * 1000;
/** Bounds memory when clients vary the model name freely; the oldest entry goes first. */
const MAX_ENTRIES = 1000;

export function createRefusalMemory(now: () => number = Date.now, ttlMs = TTL_MS, maxEntries = MAX_ENTRIES): RefusalMemory {
  const until = new Map<string, number>();
  return {
    has(key) {
      const expires = until.get(key);
      if (expires === undefined) return false;
      if (now() < expires) return true;
      until.delete(key);
      return false;
    },
    add(key) {
      until.delete(key); // re-inserted last: Map order is insertion order
      if (until.size >= maxEntries) until.delete(until.keys().next().value!);
      until.set(key, now() + ttlMs);
    },
  };
}

/** `host/path (model)` of an upstream request; `path` has no query (it may hold a key). */
export function refusalKey(host: string, path: string, json: unknown): string {
  const model = (json as { model?: unknown }).model;
  return `${host}${path}${typeof model === "string" ? ` (${model.slice(0, 200)})` : ""}`;
}
