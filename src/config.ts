/** @module Flags + environment + config file → frozen Config. Pure: the caller supplies env and file reading. */
import { DefinitionError, parseBudget, parseRateLimit } from "./control/definitions.ts";
import type { Budget, RateLimit } from "./control/types.ts";
import { decimalToScaled } from "./pricing/decimal.ts";
import { PROVIDER_IDS } from "./resolve/routes.ts";
import type { StoreLocation } from "./store/location.ts";
import { ConfigError, type Parse, text, port, durationFrom, timeout, duration, adminToken, storeUrl, poolSize, oneOf, onOff, days, otlpEndpoint, otlpHeaders, decimalText, percent, windowDays } from "./config-values.ts";
import { masterKeyOf, providerKeysFromFile } from "./keys/provider-keys.ts";

export { ConfigError, StartupError } from "./config-values.ts";

export interface Config {
  host: string;
  port: number;
  db: string;
  /** Where records live: `--store`, else `--db` as a SQLite file. A PostgreSQL URL may hold a password. */
  store: StoreLocation;
  /** PostgreSQL connections per instance. */
  pgPoolSize: number;
  logFormat: "text" | "json";
  logLevel: "error" | "warn" | "info" | "debug";
  /** Provider id → replacement origin (`scheme://host[:port]`). */
  upstreams: Readonly<Record<string, string>>;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  injectStreamUsage: boolean;
  prices: string | null;
  adminToken: string | null;
  retentionDays: number | null;
  /** Rollup rows older than this many days are deleted (null: kept forever); never shorter than retentionDays. */
  rollupRetentionDays: number | null;
  shutdownGraceMs: number;
  /** OTLP/HTTP traces endpoint (one span per request), or null. */
  otlpEndpoint: string | null;
  /** Headers sent with every OTLP export (`k=v,k2=v2`); may hold credentials. */
  otlpHeaders: Readonly<Record<string, string>> | null;
  /** PEM files of the certificate chain and key to serve HTTPS and WSS with; both or neither. */
  tlsCert: string | null;
  tlsKey: string | null;
  /** Pull the providers' usage and cost reports and compare them this often; null: never (docs/architecture.md §19). */
  reconcileIntervalMs: number | null;
  /** Days re-pulled at every run, today included. */
  reconcileWindow: number;
  /** A row matches when money differs by at most this many USD… */
  reconcileToleranceUsd: string;
  /** …or this percent (tokens: this percent). */
  reconcileTolerancePct: string;
  /** `reconcile.drift` when a complete day's drift reaches this many USD; `reconcile.uncovered` likewise. */
  reconcileDriftUsd: string;
  reconcileUncoveredUsd: string;
  /** From the config file; upserted into the store at startup. */
  budgets: readonly Budget[];
  rateLimits: readonly RateLimit[];
  alerts: AlertsConfig;
  /** Requests without a Kestrel key are refused (401 kestrel_key_required): docs/architecture.md §20. */
  requireKestrelKeys: boolean;
  /**
   * Provider id → the secret Kestrel sends for a Kestrel key's request, read from the environment variable or
   * file the config file's `provider_keys` names. Never printed: check-config shows only the source.
   */
  providerKeys: ReadonlyMap<string, string>;
  /** File holding the master key (when KESTREL_MASTER_KEY is not set). */
  masterKeyFile: string | null;
  /** The master key runtime provider secrets are sealed under (src/keys/vault.ts), or null. Never printed. */
  masterKey: string | null;
  /** Provider id → where its secret came from (`env OPENAI_API_KEY`, `file /run/secrets/x`), for check-config. */
  providerKeySources: Readonly<Record<string, string>>;
}

export interface AlertWebhook {
  url: string;
  format: "json" | "slack";
}

export interface AlertsConfig {
  webhooks: readonly AlertWebhook[];
  /** `spend.spike` when the last hour's spend exceeds this × the trailing 7-day hourly average… */
  spikeFactor: number;
  /** …and this many USD (exact decimal). */
  spikeMinUsd: string;
}

interface Option {
  key: Exclude<keyof Config, "upstreams" | "budgets" | "rateLimits" | "alerts" | "providerKeys" | "providerKeySources" | "masterKey">;
  env: string;
  parse: Parse;
  fallback: unknown;
  help: string;
}


export const OPTIONS: readonly Option[] = [
  { key: "host", env: "KESTREL_HOST", parse: text, fallback: "127.0.0.1", help: "address to listen on" },
  { key: "port", env: "KESTREL_PORT", parse: port, fallback: 5501, help: "port to listen on (0 picks a free one)" },
  { key: "db", env: "KESTREL_DB", parse: text, fallback: "./kestrel.db", help: "SQLite file for usage records (= --store sqlite:PATH)" },
  { key: "store", env: "KESTREL_STORE", parse: storeUrl, fallback: null, help: "sqlite:PATH or postgres://user:pass@host:5432/db?sslmode=require" },
  { key: "pgPoolSize", env: "KESTREL_PG_POOL_SIZE", parse: poolSize, fallback: 10, help: "PostgreSQL connections per instance" },
  { key: "logFormat", env: "KESTREL_LOG_FORMAT", parse: oneOf("text", "json"), fallback: "text", help: "text | json" },
  { key: "logLevel", env: "KESTREL_LOG_LEVEL", parse: oneOf("error", "warn", "info", "debug"), fallback: "info", help: "error | warn | info | debug (usage lines are info)" },
  { key: "connectTimeoutMs", env: "KESTREL_CONNECT_TIMEOUT", parse: timeout, fallback: 10_000, help: "upstream connect timeout → 504" },
  { key: "idleTimeoutMs", env: "KESTREL_IDLE_TIMEOUT", parse: timeout, fallback: 300_000, help: "no upstream bytes this long ends the request" },
  { key: "injectStreamUsage", env: "KESTREL_INJECT_STREAM_USAGE", parse: onOff, fallback: true, help: "on | off: ask streams for usage, hide it again" },
  { key: "prices", env: "KESTREL_PRICES", parse: text, fallback: null, help: "price overrides file (LiteLLM or native JSON)" },
  { key: "adminToken", env: "KESTREL_ADMIN_TOKEN", parse: adminToken, fallback: null, help: "bearer token required on /api/*" },
  { key: "retentionDays", env: "KESTREL_RETENTION_DAYS", parse: days, fallback: null, help: "delete records older than N days" },
  { key: "rollupRetentionDays", env: "KESTREL_ROLLUP_RETENTION_DAYS", parse: days, fallback: null, help: "delete rollup rows older than N days (default: keep forever; at least --retention-days)" },
  { key: "shutdownGraceMs", env: "KESTREL_SHUTDOWN_GRACE", parse: duration, fallback: 30_000, help: "time in-flight requests get on SIGTERM" },
  { key: "otlpEndpoint", env: "KESTREL_OTLP_ENDPOINT", parse: otlpEndpoint, fallback: null, help: "export one span per request to this OTLP/HTTP URL" },
  { key: "otlpHeaders", env: "KESTREL_OTLP_HEADERS", parse: otlpHeaders, fallback: null, help: "k=v,k2=v2: headers for the OTLP export (never logged)" },
  { key: "tlsCert", env: "KESTREL_TLS_CERT", parse: text, fallback: null, help: "PEM certificate chain: serve HTTPS and WSS (with --tls-key; re-read on SIGHUP)" },
  { key: "tlsKey", env: "KESTREL_TLS_KEY", parse: text, fallback: null, help: "PEM private key of --tls-cert" },
  { key: "reconcileIntervalMs", env: "KESTREL_RECONCILE_INTERVAL", parse: durationFrom(60_000), fallback: null, help: "compare with the providers' bills this often (OPENAI_ADMIN_KEY, ANTHROPIC_ADMIN_KEY)" },
  { key: "reconcileWindow", env: "KESTREL_RECONCILE_WINDOW", parse: windowDays, fallback: 3, help: "days re-pulled from the providers at every run" },
  { key: "reconcileToleranceUsd", env: "KESTREL_RECONCILE_TOLERANCE_USD", parse: decimalText, fallback: "0.01", help: "a reconciled row matches within this many USD…" },
  { key: "reconcileTolerancePct", env: "KESTREL_RECONCILE_TOLERANCE_PCT", parse: percent, fallback: "0.1", help: "…or this percent" },
  { key: "reconcileDriftUsd", env: "KESTREL_RECONCILE_DRIFT_USD", parse: decimalText, fallback: "1", help: "alert reconcile.drift when a day's drift reaches this" },
  { key: "masterKeyFile", env: "KESTREL_MASTER_KEY_FILE", parse: text, fallback: null, help: "file with the master key sealing provider secrets set at runtime (or KESTREL_MASTER_KEY)" },
  { key: "requireKestrelKeys", env: "KESTREL_REQUIRE_KESTREL_KEYS", parse: onOff, fallback: false, help: "on | off: refuse requests without a Kestrel key (ksk_…)" },
  { key: "reconcileUncoveredUsd", env: "KESTREL_RECONCILE_UNCOVERED_USD", parse: decimalText, fallback: "1", help: "alert reconcile.uncovered when a day's spend outside Kestrel reaches this" },
];

/** `logFormat` → `log-format`. */
export function flagName(key: string): string {
  return key.replace(/Ms$/, "").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const BY_FLAG = new Map(OPTIONS.map((o) => [flagName(o.key), o]));

/** `KESTREL_UPSTREAM_AZURE_OPENAI` ↔ `azure-openai`. */
export function upstreamEnvName(provider: string): string {
  return `KESTREL_UPSTREAM_${provider.toUpperCase().replaceAll("-", "_")}`;
}

function origin(value: string, where: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${where} must be a URL like http://127.0.0.1:8080, got ${JSON.stringify(value)}`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password ||
    (url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    throw new ConfigError(`${where} must be scheme://host[:port] only, got ${JSON.stringify(value)}`);
  }
  return url.origin;
}

function upstreamPair(pair: string, where: string): [string, string] {
  const eq = pair.indexOf("=");
  if (eq < 1) throw new ConfigError(`${where} must look like NAME=URL, got ${JSON.stringify(pair)}`);
  const name = pair.slice(0, eq).toLowerCase();
  if (!PROVIDER_IDS.includes(name)) throw new ConfigError(`${where} names unknown provider ${JSON.stringify(name)}`);
  return [name, origin(pair.slice(eq + 1), where)];
}

export interface ConfigSources {
  args: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): string;
}

/**
 * Where each value came from, for `kestrel check-config`: `default`, `config file`, `env NAME` or `flag --name`,
 * by Config key (`upstreams.<id>` per upstream).
 */
export type ConfigOrigins = Record<string, string>;

/** Parses `serve` options. Precedence: flag > env > config file > default. Throws ConfigError. */
export function parseConfig({ args, env, readFile }: ConfigSources, origins: ConfigOrigins = {}): Config {
  const flags = new Map<string, string>();
  const flagUpstreams: [string, string][] = [];
  const flagWebhooks: string[] = [];
  let configPath = env.KESTREL_CONFIG ?? null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) throw new ConfigError(`Unexpected argument ${JSON.stringify(arg)} (see kestrel --help)`);
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (name !== "upstream" && name !== "config" && name !== "alert-webhook" && !BY_FLAG.has(name)) {
      throw new ConfigError(`Unknown option --${name} (see kestrel --help)`);
    }
    // `--require-kestrel-keys` alone means on.
    const bare = name === "require-kestrel-keys" && eq < 0 && (args[i + 1] === undefined || args[i + 1]!.startsWith("--"));
    const value = bare ? "on" : eq < 0 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new ConfigError(`Option --${name} needs a value`);
    if (name === "upstream") flagUpstreams.push(upstreamPair(value, "--upstream"));
    else if (name === "alert-webhook") flagWebhooks.push(webhookUrl(value, "--alert-webhook"));
    else if (name === "config") configPath = value;
    else flags.set(name, value);
  }

  const file = configPath === null ? {} : readConfigFile(configPath, readFile);
  const out: Record<string, unknown> = {};
  const level: Record<string, number> = {}; // 3 flag, 2 environment, 1 file, 0 default: --db vs --store below
  for (const option of OPTIONS) {
    const flag = flagName(option.key);
    const fromFlag = flags.get(flag);
    const fromEnv = env[option.env];
    const fromFile = file[flag];
    if (fromFlag !== undefined) out[option.key] = option.parse(fromFlag, `--${flag}`);
    else if (fromEnv !== undefined && fromEnv !== "") out[option.key] = option.parse(fromEnv, option.env);
    else if (fromFile !== undefined) out[option.key] = option.parse(String(fromFile), `${configPath}: "${flag}"`);
    else out[option.key] = option.fallback;
    origins[option.key] = fromFlag !== undefined ? `flag --${flag}` : fromEnv !== undefined && fromEnv !== ""
      ? `env ${option.env}`
      : fromFile !== undefined ? "config file" : "default";
    level[option.key] = fromFlag !== undefined ? 3 : fromEnv ? 2 : fromFile !== undefined ? 1 : 0;
  }
  // Reports over a range the rollup no longer holds would read only the raw edges: raw rows never outlive it.
  if (out.rollupRetentionDays !== null && ((out.retentionDays as number | null) ?? Infinity) > (out.rollupRetentionDays as number)) {
    throw new ConfigError(
      `--rollup-retention-days (${out.rollupRetentionDays}) needs --retention-days set to at most the same number of days: raw records must not outlive the rollup`,
    );
  }
  // `--db PATH` is shorthand for `--store sqlite:PATH`; of the two, the one from the stronger source wins.
  if (out.store === null || (level.db ?? 0) > (level.store ?? 0)) out.store = Object.freeze({ kind: "sqlite", path: out.db });
  else if ((out.store as StoreLocation).kind === "sqlite") out.db = (out.store as { path: string }).path;

  const upstreams: Record<string, string> = {};
  const fileUpstreams = file.upstream ?? {};
  if (typeof fileUpstreams !== "object" || fileUpstreams === null || Array.isArray(fileUpstreams)) {
    throw new ConfigError(`${configPath}: "upstream" must be an object of provider → URL`);
  }
  for (const [name, url] of Object.entries(fileUpstreams)) {
    const [id, value] = upstreamPair(`${name}=${url}`, `${configPath}: "upstream"`);
    upstreams[id] = value;
    origins[`upstreams.${id}`] = "config file";
  }
  for (const id of PROVIDER_IDS) {
    const value = env[upstreamEnvName(id)];
    if (value) upstreams[id] = origin(value, upstreamEnvName(id));
    if (value) origins[`upstreams.${id}`] = `env ${upstreamEnvName(id)}`;
  }
  for (const [id, value] of flagUpstreams) {
    upstreams[id] = value;
    origins[`upstreams.${id}`] = "flag --upstream";
  }
  out.upstreams = Object.freeze(upstreams);

  const where = `${configPath}:`;
  out.budgets = Object.freeze(definitions(file.budgets, `${where} "budgets"`, parseBudget));
  out.rateLimits = Object.freeze(definitions(file.rate_limits, `${where} "rate_limits"`, parseRateLimit));
  const alerts = alertsFromFile(file.alerts, `${where} "alerts"`);
  // Like every option, the first source that names webhooks wins: flags, then the environment, then the file.
  const envWebhooks = (env.KESTREL_ALERT_WEBHOOK ?? "").split(",").map((u) => u.trim()).filter((u) => u !== "");
  const fromArgs = flagWebhooks.length > 0 ? flagWebhooks : envWebhooks.map((u) => webhookUrl(u, "KESTREL_ALERT_WEBHOOK"));
  if (fromArgs.length > 0) alerts.webhooks = fromArgs.map((url) => Object.freeze({ url, format: "json" as const }));
  origins.alerts = flagWebhooks.length > 0 ? "flag --alert-webhook" : fromArgs.length > 0 ? "env KESTREL_ALERT_WEBHOOK"
    : file.alerts !== undefined ? "config file" : "default";
  origins.budgets = file.budgets !== undefined ? "config file" : "default";
  origins.rateLimits = file.rate_limits !== undefined ? "config file" : "default";
  origins.config = configPath === null ? "none" : configPath;
  out.alerts = Object.freeze({ ...alerts, webhooks: Object.freeze(alerts.webhooks) });
  const providerKeys = providerKeysFromFile(file.provider_keys, `${where} "provider_keys"`, env, readFile);
  out.providerKeys = providerKeys.secrets;
  out.providerKeySources = Object.freeze(providerKeys.sources);
  out.masterKey = masterKeyOf(env.KESTREL_MASTER_KEY, out.masterKeyFile as string | null, readFile);
  if ((out.tlsCert === null) !== (out.tlsKey === null)) {
    throw new ConfigError(`--tls-cert and --tls-key go together: ${out.tlsCert === null ? "--tls-cert" : "--tls-key"} is missing`);
  }
  return Object.freeze(out) as unknown as Config;
}

function readConfigFile(path: string, readFile: (path: string) => string): Record<string, unknown> {
  let raw: string;
  try {
    raw = readFile(path);
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`Cannot parse config file ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`Config file ${JSON.stringify(path)} must hold a JSON object`);
  }
  for (const key of Object.keys(parsed)) {
    if (!FILE_ONLY_KEYS.includes(key) && !BY_FLAG.has(key)) {
      throw new ConfigError(`Config file ${JSON.stringify(path)} has unknown key ${JSON.stringify(key)}`);
    }
  }
  return parsed as Record<string, unknown>;
}

const FILE_ONLY_KEYS = ["upstream", "budgets", "rate_limits", "alerts", "provider_keys"];

/** The URL is not quoted back: a webhook URL usually carries its secret in the path (Slack's do). */
function webhookUrl(value: string, where: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${where} must be an http(s) URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${where} must be an http(s) URL, got scheme ${JSON.stringify(url.protocol)}`);
  }
  return value;
}

/** A list of definitions, each through the shared parser; ids unique. Errors name the file, list and index. */
function definitions<T extends { id: string }>(value: unknown, where: string, parse: (v: unknown) => T): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigError(`${where} must be an array`);
  const seen = new Set<string>();
  return value.map((item, i) => {
    let parsed: T;
    try {
      parsed = parse(item);
    } catch (err) {
      if (err instanceof DefinitionError) throw new ConfigError(`${where}[${i}]: ${err.message}`);
      throw err;
    }
    if (seen.has(parsed.id)) throw new ConfigError(`${where}[${i}]: id ${JSON.stringify(parsed.id)} is used twice`);
    seen.add(parsed.id);
    return Object.freeze(parsed);
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function alertsFromFile(value: unknown, where: string): { webhooks: AlertWebhook[]; spikeFactor: number; spikeMinUsd: string } {
  const out = { webhooks: [] as AlertWebhook[], spikeFactor: 5, spikeMinUsd: "1" };
  if (value === undefined) return out;
  if (!isObject(value)) throw new ConfigError(`${where} must be an object`);
  for (const key of Object.keys(value)) {
    if (!["webhooks", "spike_factor", "spike_min_usd"].includes(key)) {
      throw new ConfigError(`${where} has unknown key ${JSON.stringify(key)}`);
    }
  }
  const hooks = value.webhooks ?? [];
  if (!Array.isArray(hooks)) throw new ConfigError(`${where}.webhooks must be an array`);
  out.webhooks = hooks.map((hook, i) => {
    const at = `${where}.webhooks[${i}]`;
    if (!isObject(hook) || typeof hook.url !== "string") throw new ConfigError(`${at} must be {"url": "…", "format": "json" | "slack"}`);
    for (const key of Object.keys(hook)) {
      if (key !== "url" && key !== "format") throw new ConfigError(`${at} has unknown key ${JSON.stringify(key)}`);
    }
    const format = hook.format ?? "json";
    if (format !== "json" && format !== "slack") {
      throw new ConfigError(`${at}.format must be one of json, slack, got ${JSON.stringify(format)}`);
    }
    return Object.freeze({ url: webhookUrl(hook.url, `${at}.url`), format });
  });
  if (value.spike_factor !== undefined) {
    const f = value.spike_factor;
    if (typeof f !== "number" || !Number.isFinite(f) || f <= 0) {
      throw new ConfigError(`${where}.spike_factor must be a positive number, got ${JSON.stringify(f)}`);
    }
    out.spikeFactor = f;
  }
  if (value.spike_min_usd !== undefined) {
    const m = value.spike_min_usd;
    const text = typeof m === "number" && Number.isFinite(m) ? String(m) : m;
    const pico = typeof text === "string" ? decimalToScaled(text, 12) : null;
    if (typeof text !== "string" || !/^\d+(\.\d+)?$/.test(text) || pico === null) {
      throw new ConfigError(`${where}.spike_min_usd must be a decimal USD amount like "1" or "0.50", got ${JSON.stringify(m)}`);
    }
    // Spend sums are exact integers of pico-USD up to 2^53 (about $9,007): a larger floor could never be compared.
    if (pico! > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ConfigError(`${where}.spike_min_usd must be at most 9007 USD (exact spend sums end there), got ${JSON.stringify(m)}`);
    }
    out.spikeMinUsd = text;
  }
  return out;
}
