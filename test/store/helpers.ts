/** Test helpers: the SQLite drivers of the running runtime, temp files, and record factories. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OpenSqlite } from "../../src/store/db.ts";
import type { Fact } from "../../src/usage/fact.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { testNeeding } from "../_helpers/host.ts";
import { IS_BUN } from "../_helpers/runtime.ts";

export interface Driver {
  name: "bun:sqlite" | "node:sqlite";
  open: OpenSqlite;
  /** Why the running runtime has no such driver (bun:sqlite on Deno), or null. */
  missing: string | null;
  /**
   * node:test's `test` for this driver, or the test registered as skipped with the reason where the driver is
   * missing: both runners list the same tests per file (scripts/junit-summary.mjs compares them). Loops over
   * drivers() take it by name, so the `test` inside a loop is this one.
   */
  test(name: string, fn: () => void | Promise<void>): void;
}

/** `open`, or why this runtime has no such driver. */
function driver(name: Driver["name"], open: OpenSqlite | string): Driver {
  const missing = typeof open === "string" ? open : null;
  return {
    name,
    open: typeof open === "string"
      ? () => {
        throw new Error(open);
      }
      : open,
    missing,
    test: (title, fn) => testNeeding(title, missing, fn),
  };
}

/** The runtime's own driver first: bun:sqlite then node:sqlite on Bun; on Deno node:sqlite, then bun:sqlite missing. */
export async function drivers(): Promise<Driver[]> {
  const node = driver("node:sqlite", (await import("../../src/entry/sqlite-node.ts")).openSqlite);
  const bun = driver("bun:sqlite", IS_BUN ? (await import("../../src/entry/sqlite-bun.ts")).openSqlite : "bun:sqlite exists on Bun only");
  return IS_BUN ? [bun, node] : [node, bun];
}

/** The driver the runtime itself would use. */
export async function runtimeDriver(): Promise<Driver> {
  return (await drivers())[0] as Driver;
}

/** A fresh directory, removed after `fn` (even when it throws). */
export async function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "kestrel-store-"));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BASE_MS = Date.UTC(2026, 10, 20, 12, 0, 0);
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A ULID-shaped id that sorts with `i`. */
export function idFor(i: number, ms = BASE_MS + i * 1000): string {
  let time = "";
  let t = ms;
  for (let k = 0; k < 10; k++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + String(i).padStart(16, "0");
}

/** Record `i`: one second after record i-1, costs `i * 1000` pico-USD unless overridden. */
export function makeRecord(i: number, overrides: Partial<UsageRecord> = {}): UsageRecord {
  const ms = BASE_MS + i * 1000;
  const pico = i * 1000 + 1;
  return {
    id: idFor(i, ms),
    ts: new Date(ms).toISOString(),
    request_id: `req_${i}`,
    provider: i % 3 === 0 ? "anthropic" : "openai",
    model: i % 3 === 0 ? "claude-sonnet-4-5" : i % 3 === 1 ? "gpt-4o" : "gpt-4o-mini",
    requested_model: i % 3 === 0 ? "claude-sonnet-4-5" : i % 3 === 1 ? "gpt-4o" : "gpt-4o-mini",
    method: "POST",
    path: "/v1/chat/completions",
    status: 200,
    outcome: "ok",
    streaming: i % 2 === 0,
    duration_ms: 100 + i,
    ttfb_ms: 20 + (i % 7),
    input_tokens: 100 + i,
    output_tokens: 50 + i,
    total_tokens: 150 + 2 * i,
    cache_read_tokens: i % 5,
    cache_write_tokens: i % 4,
    cache_write_1h_tokens: 0,
    reasoning_tokens: i % 6,
    audio_input_tokens: null,
    audio_output_tokens: null,
    web_search_requests: null,
    characters: null,
    audio_ms: null,
    images: null,
    search_queries: null,
    request_fees: null,
    compute_ms: null,
    usage_source: "reported",
    usage_native: { prompt_tokens: 100 + i, completion_tokens: 50 + i },
    cost_usd: null,
    cost_pico: pico,
    cost_breakdown: { input: "0.000001" },
    priced: true,
    price_version: "test-1",
    key_id: `key_${i % 4}`,
    user: i % 2 === 0 ? "alice" : "bob",
    project: i % 5 === 0 ? null : "web",
    tags: ["t1"],
    usage_error: null,
    session_id: null,
    response_id: null,
    close_code: null,
    bytes_up: null,
    bytes_down: null,
    frames_up: null,
    frames_down: null,
    ...overrides,
  };
}

/** The fact of record `i` (src/usage/fact.ts): the same numbers and strings, ids left to `recordOf`. */
export function makeFact(i: number, overrides: Partial<Fact> = {}): Fact {
  const { id: _id, ts: _ts, request_id, cost_usd: _usd, cost_breakdown: _b, usage_error: _e, ...rest } = makeRecord(i);
  return {
    ...rest,
    startedAt: BASE_MS + i * 1000,
    id: null,
    ts: null,
    request_id: i % 2 === 0 ? request_id : null,
    breakdown: { input: 1_000_000, output: i * 1000 + 1 - 1_000_000 },
    problems: null,
    ...overrides,
  };
}

/** `makeFact(i)` with the id, time and request id of `makeRecord(i)` fixed: its record is known exactly. */
export function pinnedFact(i: number, overrides: Partial<Fact> = {}): Fact {
  const r = makeRecord(i);
  return makeFact(i, { id: r.id, ts: r.ts, request_id: r.request_id, ...overrides });
}
