/** The shape of one hostile case and how it is run and judged (test/hostile/catalogue.test.ts). */
import assert from "node:assert/strict";
import { bytesOf, rawBody, rawRequest, type Reply, reply, type UpstreamAct } from "./_sockets.ts";

/** A recognisable fake credential: the catalogue greps every log line, the database file and the exports for it. */
export const KEY = "sk-HOSTILEKEY-0123456789abcdef";
export const ADMIN = "admin-HOSTILE-token-42";

export type BodyExpect =
  /** Exactly the upstream's bytes. */
  | "upstream"
  /** A prefix of the upstream's bytes (the upstream broke off; the client sees the cut). */
  | "prefix"
  /** A Kestrel JSON error with this code. */
  | { error: string | RegExp }
  /**
   * The runtime's HTTP server may refuse the request before Kestrel sees it (a status from the list with its own
   * body, or a closed socket); if it passes the request on, a 2xx carries exactly the upstream's bytes.
   */
  | "refused"
  /** 2xx: exactly the upstream's bytes; otherwise a Kestrel JSON error (any code). */
  | "upstream-or-error"
  /** Whatever comes, as long as status and record hold (used where bytes are the runtime's business). */
  | "any";

export interface RecordExpect {
  outcome?: string | RegExp;
  usageError?: RegExp | null;
  status?: number;
  /** Checks on the record beyond the common ones. */
  check?: (r: Record<string, unknown>) => void;
}

export interface RawSend {
  parts: (string | Uint8Array)[];
  gapMs?: number;
  waitMs?: number;
  leaveAfter?: boolean;
}

export interface Case {
  name: string;
  /** What the upstream does; a `Reply` also gives the bytes the client must get back. */
  upstream?: Reply | UpstreamAct;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Client-side tricks: raw bytes instead of fetch. `id` goes into `x-case` and the tag. */
  raw?: (id: string) => RawSend;
  /** A client that goes away: abort the fetch after this many ms. */
  abortAfterMs?: number;
  /** With `abortAfterMs`: a client that never reads the body (back-pressure all the way up), then leaves. */
  noRead?: boolean;
  /**
   * Status the client gets; a list allows any of them (runtimes differ), 0 in a list allows a connection cut
   * before any answer (an upstream body that fails at its first byte); null: the client vanished itself.
   */
  status: number | number[] | null;
  bodyIs: BodyExpect;
  /**
   * A record must exist (a provider route was reached) and match; `false`: no record may exist; "if-reached":
   * exactly one record when the upstream saw the request, at most one when it did not.
   */
  record: RecordExpect | false | "if-reached";
}

export const DEFAULT_PATH = "/openai/v1/chat/completions";
const REQUEST = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });

export function actOf(c: Case): UpstreamAct | undefined {
  if (!c.upstream) return undefined;
  return typeof c.upstream === "function" ? c.upstream : reply(c.upstream);
}

/** Head line + headers for a raw request that carries the case id, the tag and the key. */
export function rawHead(id: string, method: string, path: string, extra = "", version = "1.1"): string {
  return `${method} ${path} HTTP/${version}\r\nhost: 127.0.0.1\r\nx-case: ${id}\r\nx-kestrel-tags: ${id}\r\n` +
    `authorization: Bearer ${KEY}\r\nconnection: close\r\n${extra}`;
}

interface Answer {
  status: number | null;
  body: Buffer;
  cut: boolean;
}

async function viaFetch(url: string, id: string, c: Case): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json", authorization: `Bearer ${KEY}`, ...c.headers };
  headers["x-case"] = id;
  headers["x-kestrel-tags"] = c.headers?.["x-kestrel-tags"] ? `${id},${c.headers["x-kestrel-tags"]}` : id;
  const method = c.method ?? "POST";
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), c.abortAfterMs ?? 20_000);
  try {
    const res = await fetch(url + (c.path ?? DEFAULT_PATH), {
      method,
      headers,
      body: method === "GET" || method === "HEAD" ? null : (c.body ?? REQUEST) as BodyInit,
      signal: controller.signal,
      redirect: "manual",
    });
    const chunks: Uint8Array[] = [];
    let cut = false;
    if (c.noRead) {
      await new Promise((resolve) => controller.signal.addEventListener("abort", resolve, { once: true }));
      return { status: res.status, body: Buffer.alloc(0), cut: true };
    }
    try {
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
      }
    } catch {
      cut = true;
    }
    return { status: res.status, body: bytesOf(chunks), cut };
  } catch {
    return { status: null, body: Buffer.alloc(0), cut: true };
  } finally {
    clearTimeout(timer);
  }
}

async function viaRaw(url: string, id: string, c: Case): Promise<Answer> {
  const send = c.raw!(id);
  const a = await rawRequest(url, send.parts, send);
  return { status: a.status, body: a.status === null ? a.bytes : rawBody(a.bytes), cut: false };
}

/** Runs one case against a running Kestrel and checks what the client got. */
export async function runCase(url: string, id: string, c: Case): Promise<void> {
  const got = c.raw ? await viaRaw(url, id, c) : await viaFetch(url, id, c);
  const where = `${c.name}: got ${got.status} ${JSON.stringify(got.body.subarray(0, 300).toString("latin1"))}`;
  if (c.status === null) return; // the client left; only the record and the process are judged
  if (c.bodyIs === "refused") {
    if (got.status === null) return; // the runtime closed the connection: also a refusal
    assert.ok((Array.isArray(c.status) ? c.status : [c.status]).includes(got.status), where);
    if (got.status >= 300 || !c.upstream) return;
  }
  const statuses = Array.isArray(c.status) ? c.status : [c.status];
  if (got.status === null && statuses.includes(0)) return; // allowed: the connection was cut before any answer
  assert.ok(got.status !== null && statuses.includes(got.status), where);
  const expected = c.upstream && typeof c.upstream !== "function" ? bytesOf(c.upstream.parts) : null;
  const answered = c.bodyIs === "upstream-or-error" || c.bodyIs === "refused";
  const bodyIs = answered ? (got.status! < 300 ? "upstream" : { error: /./ }) : c.bodyIs;
  if (bodyIs === "upstream") {
    assert.ok(expected, `${c.name}: "upstream" needs a Reply`);
    assert.ok(!got.cut, `${where} (cut)`);
    assert.ok(got.body.equals(expected), `${where}: not the upstream's ${expected.byteLength} bytes (${got.body.byteLength})`);
  } else if (bodyIs === "prefix") {
    assert.ok(expected, `${c.name}: "prefix" needs a Reply`);
    assert.ok(expected.subarray(0, got.body.byteLength).equals(got.body), `${where}: not a prefix of the upstream's bytes`);
  } else if (typeof bodyIs === "object") {
    let parsed: { error?: { code?: unknown; message?: unknown } };
    try {
      parsed = JSON.parse(got.body.toString("utf8"));
    } catch {
      assert.fail(`${where}: not a JSON error`);
    }
    assert.equal(typeof parsed.error?.message, "string", where);
    assert.match(String(parsed.error?.code), typeof bodyIs.error === "string" ? new RegExp(`^${bodyIs.error}$`) : bodyIs.error, where);
  }
}

/** Checks the record (or its absence) of one case among all records, keyed by tag. */
export function checkRecord(id: string, c: Case, records: Record<string, unknown>[], reached: boolean): void {
  const mine = records.filter((r) => (r.tags as string[] | undefined)?.[0] === id);
  // Kestrel may have reached its provider route without reaching the upstream (a client that left mid-body).
  if (c.record === "if-reached" && !reached) return assert.ok(mine.length <= 1, `${c.name}: ${mine.length} records`);
  if (c.record === "if-reached") return assert.equal(mine.length, 1, `${c.name}: the upstream was reached, ${mine.length} records`);
  if (c.record === false) {
    assert.equal(mine.length, 0, `${c.name}: no record expected, found ${JSON.stringify(mine[0])}`);
    return;
  }
  assert.equal(mine.length, 1, `${c.name}: exactly one record expected, found ${mine.length}`);
  const r = mine[0]!;
  const where = `${c.name}: record ${JSON.stringify({ status: r.status, outcome: r.outcome, usage_error: r.usage_error })}`;
  const e = c.record;
  if (e.status !== undefined) assert.equal(r.status, e.status, where);
  if (e.outcome !== undefined) {
    if (typeof e.outcome === "string") assert.equal(r.outcome, e.outcome, where);
    else assert.match(String(r.outcome), e.outcome, where);
  }
  if (e.usageError === null) assert.equal(r.usage_error, null, where);
  else if (e.usageError) assert.match(String(r.usage_error), e.usageError, where);
  // Only exact integers reach token and cost columns, whatever the upstream said.
  for (const field of ["input_tokens", "output_tokens", "total_tokens", "cache_read_tokens", "reasoning_tokens", "cost_pico"]) {
    const v = r[field];
    assert.ok(v === null || v === undefined || (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) || typeof v === "string", `${where}: ${field}=${v}`);
  }
  e.check?.(r);
}
