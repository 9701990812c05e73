/** @module The value parsers of src/config.ts: one per kind of flag, each throwing ConfigError with the flag named. */
import { parseHeaders, tracesUrl } from "./otel/exporter.ts";
import { parseStoreLocation } from "./store/location.ts";

/** A bad flag, variable or file: the CLI prints the message as one line and exits with code 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Startup failed for a reason other than a bad value (port taken, database unusable): one line, exit code 1. */
export class StartupError extends Error {
  override name = "StartupError";
}

export type Parse = (value: string, where: string) => unknown;

export const text: Parse = (v, where) => {
  if (v === "") throw new ConfigError(`${where} must not be empty`);
  return v;
};

export const port: Parse = (v, where) => {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new ConfigError(`${where} must be a port number 0-65535, got ${JSON.stringify(v)}`);
  return Number(v);
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/**
 * The longest delay a timer takes (2^31 - 1 ms, about 596 h): both runtimes fire a longer one at once, so a
 * `--connect-timeout 600h` would time out every upstream immediately.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration in ms, from `min` to MAX_TIMER_MS. */
export const durationFrom = (min: number): Parse => (v, where) => {
  const m = DURATION.exec(v);
  if (!m) throw new ConfigError(`${where} must be a duration like 500ms, 10s or 5m, got ${JSON.stringify(v)}`);
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2] ?? "s"]!);
  if (ms < min) throw new ConfigError(`${where} must be at least ${min}ms, got ${JSON.stringify(v)}`);
  if (!(ms <= MAX_TIMER_MS)) {
    throw new ConfigError(`${where} must be at most 596h (${MAX_TIMER_MS} ms, the longest timer), got ${JSON.stringify(v)}`);
  }
  return ms;
};
/** Timeouts: 0 would cut every request at once (there is no "off"). */
export const timeout = durationFrom(1);
/** The shutdown grace may be 0: cut what runs at once. */
export const duration = durationFrom(0);

/**
 * The admin token is compared with what follows `Bearer ` in one header value, which holds no whitespace or
 * control characters: a token with them could never match. The value is never quoted back (it is a secret).
 */
export const adminToken: Parse = (v, where) => {
  if (v === "") throw new ConfigError(`${where} must not be empty`);
  if (/[\s\x00-\x1f\x7f]/.test(v)) {
    throw new ConfigError(`${where} must not contain whitespace or control characters (no Authorization header could carry it)`);
  }
  return v;
};

/** Never quotes the value back: a PostgreSQL URL may carry a password. */
export const storeUrl: Parse = (v, where) => {
  try {
    return Object.freeze(parseStoreLocation(v));
  } catch (err) {
    throw new ConfigError(`${where} ${(err as Error).message}`);
  }
};

export const poolSize: Parse = (v, where) => {
  if (!/^[1-9]\d{0,3}$/.test(v)) throw new ConfigError(`${where} must be a whole number of connections, got ${JSON.stringify(v)}`);
  return Number(v);
};

export const oneOf = (...allowed: string[]): Parse => (v, where) => {
  if (!allowed.includes(v)) throw new ConfigError(`${where} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
  return v;
};

export const onOff: Parse = (v, where) => oneOf("on", "off")(v, where) === "on";

/** Beyond this a cut-off date is out of range (about 273 years is more than any retention means anyway). */
const MAX_DAYS = 100_000;
/**
 * Raw records are kept at least this long: a rolling budget window shorter than two days counts in minutes, which
 * the quarter-hour rollup cannot split, so its spend is rebuilt from raw records (src/store/spend-query.ts).
 */
const MIN_RETENTION_DAYS = 2;
export const days: Parse = (v, where) => {
  if (!/^[1-9]\d*$/.test(v) || Number(v) > MAX_DAYS || Number(v) < MIN_RETENTION_DAYS) {
    throw new ConfigError(
      `${where} must be a whole number of days from ${MIN_RETENTION_DAYS} to ${MAX_DAYS} (rolling budgets under two days are rebuilt from raw records), got ${JSON.stringify(v)}`,
    );
  }
  return Number(v);
};

/** Neither parser quotes the value back: an endpoint or header can carry a credential. */
export const otlpEndpoint: Parse = (v, where) => {
  try {
    const url = new URL(v);
    if (url.protocol === "http:" || url.protocol === "https:") return tracesUrl(v);
  } catch { /* below */ }
  throw new ConfigError(`${where} must be an http(s) URL like http://127.0.0.1:4318`);
};

export const otlpHeaders: Parse = (v, where) => {
  try {
    return Object.freeze(parseHeaders(v));
  } catch (err) {
    throw new ConfigError(`${where} ${(err as Error).message}`);
  }
};

/** A non-negative decimal of USD or percent, as text (exact). */
export const decimalText: Parse = (v, where) => {
  if (!/^\d{1,9}(\.\d{1,12})?$/.test(v)) throw new ConfigError(`${where} must be a decimal number like 0.01, got ${JSON.stringify(v)}`);
  return v;
};

export const percent: Parse = (v, where) => {
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(v) || Number(v) > 100) {
    throw new ConfigError(`${where} must be a percent from 0 to 100 with at most 2 decimals, got ${JSON.stringify(v)}`);
  }
  return v;
};

export const windowDays: Parse = (v, where) => {
  if (!/^[1-9]\d{0,2}$/.test(v)) throw new ConfigError(`${where} must be a whole number of days from 1 to 999, got ${JSON.stringify(v)}`);
  return Number(v);
};
