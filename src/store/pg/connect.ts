/** @module A PostgreSQL URL → a pooled postgres.js client whose integers come back like SQLite's (see db.ts Row). */
import postgres from "postgres";
import type { SqlValue } from "../db.ts";
import { maskUrl } from "../location.ts";
import type { Query } from "../queries.ts";

export type Sql = postgres.Sql;

export interface ConnectOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number | undefined;
  /** Seconds to wait for a connection before the query fails (default 5): the flusher retries, reads answer 500. */
  connectTimeoutS?: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * int8 and numeric as a number where exact, else a bigint (SUM over BIGINT is numeric in PostgreSQL), the way
 * the SQLite adapter returns integers. A numeric with a fraction stays a string; Kestrel sums only integers.
 */
function integer(text: string): number | bigint | string {
  if (!/^-?\d+$/.test(text)) return text;
  const n = Number(text);
  if (Number.isSafeInteger(n)) return n;
  const big = BigInt(text);
  return big <= MAX_SAFE && big >= MIN_SAFE ? Number(big) : big;
}

/**
 * The client: `sslmode` and other URL parameters pass through to postgres.js. Connections open lazily and
 * reconnect on their own, so this never throws for an unreachable server.
 */
export function connectPg(url: string, options: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: Math.max(1, options.poolSize ?? 10),
    connect_timeout: options.connectTimeoutS ?? 5,
    onnotice: () => {}, // "relation already exists, skipping" and the like: not the operator's concern
    connection: { application_name: "kestrel" },
    types: {
      integer: {
        to: 20,
        from: [20, 1700],
        serialize: (v: unknown) => String(v),
        parse: integer,
      },
    },
  });
}

/** `postgres://kestrel:***@host:5432/db`: the only way a PostgreSQL URL appears in a log line or an error. */
export const describePg = maskUrl;

/** An error's message with any URL userinfo masked (postgres.js errors do not carry the URL, but a cause might). */
export function pgErrorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const text = typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):[^\s/?#@]*@/gi, "$1:***@");
}

// In its own module so that SQLite's path (src/reconcile/exec.ts) does not load the PostgreSQL driver.
export { positional } from "./positional.ts";

/** PostgreSQL text cannot hold NUL (SQLite can): one such value would fail its batch on every retry. */
const NUL = "\u0000";
export const clean = <T>(v: T): T => (typeof v === "string" && v.includes(NUL) ? v.replaceAll(NUL, "\uFFFD") as T : v);
