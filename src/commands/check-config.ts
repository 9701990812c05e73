/**
 * @module `kestrel check-config [--config FILE] [serve options]`: the configuration `serve` would run with, each
 * value with where it came from (default, config file, env, flag), secrets masked. The price overrides file is
 * loaded too, so a bad one fails here rather than at startup. Exit 0 when valid, 2 (one line on stderr) when not.
 */
import { type Config, ConfigError, type ConfigOrigins, flagName, OPTIONS, parseConfig } from "../config.ts";
import { redact } from "../redact.ts";
import { type CommandIo, EXIT_OK, EXIT_USAGE } from "./io.ts";
import { loadPricer } from "./prices.ts";
import { describeStore, type StoreLocation } from "../store/location.ts";

/** Option keys whose whole value is a secret (the admin token; OTLP headers carry collector credentials). */
const SECRET_KEY = /token|secret|password|headers/i;

/** Scheme and host only: a webhook's path or query often is its credential (Slack's are). */
export function maskUrl(value: string): string {
  try {
    const url = new URL(value);
    const hidden = url.username !== "" || url.password !== "" || url.pathname.length > 1 || url.search !== "";
    return hidden ? `${url.protocol}//${url.host}/****` : value;
  } catch {
    return "****";
  }
}

function shown(key: string, value: unknown): string {
  if (value === null || value === undefined) return "(not set)";
  if (key === "store") return describeStore(value as StoreLocation); // a PostgreSQL URL may hold a password
  if (SECRET_KEY.test(key)) return "**** (set)";
  if (key.endsWith("Ms") && typeof value === "number") return `${value / 1000}s`;
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value === "string" && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return maskUrl(value);
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function describeConfig(config: Config, origins: ConfigOrigins, pricesVersion: string): string {
  const rows: [string, string, string][] = [];
  for (const option of OPTIONS) {
    const key = option.key as keyof Config;
    rows.push([flagName(option.key), shown(option.key, config[key]), origins[option.key] ?? "default"]);
  }
  for (const [id, url] of Object.entries(config.upstreams)) {
    rows.push([`upstream ${id}`, maskUrl(url), origins[`upstreams.${id}`] ?? "default"]);
  }
  // Provider secrets: where each comes from, never a character of it.
  for (const [id, source] of Object.entries(config.providerKeySources)) rows.push([`provider-key ${id}`, "(set, hidden)", source]);
  rows.push(["budgets", config.budgets.map((b) => b.id).join(", ") || "(none)", origins.budgets ?? "default"]);
  rows.push(["rate-limits", config.rateLimits.map((l) => l.id).join(", ") || "(none)", origins.rateLimits ?? "default"]);
  const hooks = config.alerts.webhooks.map((h) => `${maskUrl(h.url)} (${h.format})`).join(", ") || "(none)";
  rows.push(["alert-webhooks", hooks, origins.alerts ?? "default"]);
  rows.push(["price-version", pricesVersion, config.prices === null ? "default" : origins.prices ?? "default"]);
  const width = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.min(48, Math.max(...rows.map((r) => r[1].length)));
  const head = `config file: ${origins.config ?? "none"}\n`;
  return head + rows.map(([k, v, o]) => `${k.padEnd(width)}  ${v.padEnd(valueWidth)}  ${o}\n`).join("");
}

export function runCheckConfig(
  args: readonly string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
): Promise<number> {
  const origins: ConfigOrigins = {};
  try {
    const config = parseConfig({ args, env, readFile }, origins);
    const pricer = loadPricer(config.prices, readFile);
    io.out(describeConfig(config, origins, pricer.version));
    return Promise.resolve(EXIT_OK);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // A bad --upstream can quote a URL with userinfo.
    io.err(`kestrel check-config: ${redact(err.message)}\n`);
    return Promise.resolve(EXIT_USAGE);
  }
}
