/** @module Flags + environment + config file → frozen Config. Pure: the caller supplies env and file reading. */
import { PROVIDER_IDS } from "./resolve/routes.ts";

export interface Config {
  host: string;
  port: number;
  db: string;
  logFormat: "text" | "json";
  /** Provider id → replacement origin (`scheme://host[:port]`). */
  upstreams: Readonly<Record<string, string>>;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  injectStreamUsage: boolean;
  prices: string | null;
  adminToken: string | null;
  retentionDays: number | null;
  shutdownGraceMs: number;
}

/** A bad flag, variable or file: the CLI prints the message as one line and exits with code 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Startup failed for a reason other than a bad value (port taken, database unusable): one line, exit code 1. */
export class StartupError extends Error {
  override name = "StartupError";
}

type Parse = (value: string, where: string) => unknown;

interface Option {
  key: Exclude<keyof Config, "upstreams">;
  env: string;
  parse: Parse;
  fallback: unknown;
  help: string;
}

const text: Parse = (v, where) => {
  if (v === "") throw new ConfigError(`${where} must not be empty`);
  return v;
};

const port: Parse = (v, where) => {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new ConfigError(`${where} must be a port number 0-65535, got ${JSON.stringify(v)}`);
  return Number(v);
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const duration: Parse = (v, where) => {
  const m = DURATION.exec(v);
  if (!m) throw new ConfigError(`${where} must be a duration like 500ms, 10s or 5m, got ${JSON.stringify(v)}`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? "s"]!);
};

const oneOf = (...allowed: string[]): Parse => (v, where) => {
  if (!allowed.includes(v)) throw new ConfigError(`${where} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
  return v;
};

const onOff: Parse = (v, where) => oneOf("on", "off")(v, where) === "on";

const days: Parse = (v, where) => {
  if (!/^[1-9]\d*$/.test(v)) throw new ConfigError(`${where} must be a whole number of days, got ${JSON.stringify(v)}`);
  return Number(v);
};

export const OPTIONS: readonly Option[] = [
  { key: "host", env: "KESTREL_HOST", parse: text, fallback: "127.0.0.1", help: "address to listen on" },
  { key: "port", env: "KESTREL_PORT", parse: port, fallback: 5501, help: "port to listen on (0 picks a free one)" },
  { key: "db", env: "KESTREL_DB", parse: text, fallback: "./kestrel.db", help: "SQLite file for usage records" },
  { key: "logFormat", env: "KESTREL_LOG_FORMAT", parse: oneOf("text", "json"), fallback: "text", help: "text | json" },
  { key: "connectTimeoutMs", env: "KESTREL_CONNECT_TIMEOUT", parse: duration, fallback: 10_000, help: "upstream connect timeout → 504" },
  { key: "idleTimeoutMs", env: "KESTREL_IDLE_TIMEOUT", parse: duration, fallback: 300_000, help: "no upstream bytes this long ends the request" },
  { key: "injectStreamUsage", env: "KESTREL_INJECT_STREAM_USAGE", parse: onOff, fallback: true, help: "on | off: ask streams for usage, hide it again" },
  { key: "prices", env: "KESTREL_PRICES", parse: text, fallback: null, help: "price overrides file (LiteLLM or native JSON)" },
  { key: "adminToken", env: "KESTREL_ADMIN_TOKEN", parse: text, fallback: null, help: "bearer token required on /api/*" },
  { key: "retentionDays", env: "KESTREL_RETENTION_DAYS", parse: days, fallback: null, help: "delete records older than N days" },
  { key: "shutdownGraceMs", env: "KESTREL_SHUTDOWN_GRACE", parse: duration, fallback: 30_000, help: "time in-flight requests get on SIGTERM" },
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

/** Parses `serve` options. Precedence: flag > env > config file > default. Throws ConfigError. */
export function parseConfig({ args, env, readFile }: ConfigSources): Config {
  const flags = new Map<string, string>();
  const flagUpstreams: [string, string][] = [];
  let configPath = env.KESTREL_CONFIG ?? null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) throw new ConfigError(`Unexpected argument ${JSON.stringify(arg)} (see kestrel --help)`);
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (name !== "upstream" && name !== "config" && !BY_FLAG.has(name)) {
      throw new ConfigError(`Unknown option --${name} (see kestrel --help)`);
    }
    const value = eq < 0 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new ConfigError(`Option --${name} needs a value`);
    if (name === "upstream") flagUpstreams.push(upstreamPair(value, "--upstream"));
    else if (name === "config") configPath = value;
    else flags.set(name, value);
  }

  const file = configPath === null ? {} : readConfigFile(configPath, readFile);
  const out: Record<string, unknown> = {};
  for (const option of OPTIONS) {
    const flag = flagName(option.key);
    const fromFlag = flags.get(flag);
    const fromEnv = env[option.env];
    const fromFile = file[flag];
    if (fromFlag !== undefined) out[option.key] = option.parse(fromFlag, `--${flag}`);
    else if (fromEnv !== undefined && fromEnv !== "") out[option.key] = option.parse(fromEnv, option.env);
    else if (fromFile !== undefined) out[option.key] = option.parse(String(fromFile), `${configPath}: "${flag}"`);
    else out[option.key] = option.fallback;
  }

  const upstreams: Record<string, string> = {};
  const fileUpstreams = file.upstream ?? {};
  if (typeof fileUpstreams !== "object" || fileUpstreams === null || Array.isArray(fileUpstreams)) {
    throw new ConfigError(`${configPath}: "upstream" must be an object of provider → URL`);
  }
  for (const [name, url] of Object.entries(fileUpstreams)) {
    const [id, value] = upstreamPair(`${name}=${url}`, `${configPath}: "upstream"`);
    upstreams[id] = value;
  }
  for (const id of PROVIDER_IDS) {
    const value = env[upstreamEnvName(id)];
    if (value) upstreams[id] = origin(value, upstreamEnvName(id));
  }
  for (const [id, value] of flagUpstreams) upstreams[id] = value;
  out.upstreams = Object.freeze(upstreams);
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
    if (key !== "upstream" && !BY_FLAG.has(key)) {
      throw new ConfigError(`Config file ${JSON.stringify(path)} has unknown key ${JSON.stringify(key)}`);
    }
  }
  return parsed as Record<string, unknown>;
}
