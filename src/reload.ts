/**
 * @module SIGHUP: re-read the config file and the price overrides file, then swap in the new prices, the config
 * file's budgets and rate limits, and the log format and level. Connections and streams in flight are not
 * touched. A bad new config changes nothing and is reported in one log line.
 */
import { type Config, ConfigError, parseConfig } from "./config.ts";
import { loadPricer } from "./commands/prices.ts";
import type { ControlSetup } from "./control/setup.ts";
import type { SwitchablePricer } from "./pricing/switchable.ts";
import type { TlsFiles } from "./runtime.ts";
import type { Logger } from "./log.ts";
import { loadTls, TlsError } from "./tls.ts";

/**
 * Read once at startup (listener, database, upstreams, timeouts, token, alert senders, reconciliation): a change
 * waits for a restart.
 */
const RESTART_KEYS = [
  "host",
  "port",
  "db",
  "upstreams",
  "connectTimeoutMs",
  "idleTimeoutMs",
  "injectStreamUsage",
  "adminToken",
  "retentionDays",
  "shutdownGraceMs",
  "alerts",
  "reconcileIntervalMs",
  "reconcileWindow",
  "reconcileToleranceUsd",
  "reconcileTolerancePct",
  "reconcileDriftUsd",
  "reconcileUncoveredUsd",
  // Kestrel keys (docs/architecture.md §20): read when the app is built. Names only are logged, never values.
  "requireKestrelKeys",
  "providerKeySources",
  "masterKey",
  "masterKeyFile",
] as const;

export interface ReloadDeps {
  args: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): string;
  config: Config;
  pricer: SwitchablePricer;
  onUnpriced(provider: string, model: string): void;
  log: Logger;
  spend: Pick<ControlSetup, "syncConfig">;
  /** Serves new connections with a new certificate; null when the listener is not TLS. */
  reloadTls?: ((files: TlsFiles) => Promise<void>) | null;
}

/** Returns the SIGHUP handler; overlapping signals run one after the other. */
export function createReloader(deps: ReloadDeps): () => Promise<void> {
  const { log } = deps;
  let running: Promise<void> = Promise.resolve();
  const once = async () => {
    let next: Config;
    let pricer;
    let tls: TlsFiles | null = null;
    log.debug("SIGHUP: re-reading the config file and the price overrides file");
    try {
      next = parseConfig({ args: deps.args, env: deps.env, readFile: deps.readFile });
      pricer = loadPricer(next.prices, deps.readFile, deps.onUnpriced);
      // The certificate is re-read (renewed certificates keep their paths); a bad pair changes nothing.
      if (deps.reloadTls && next.tlsCert !== null && next.tlsKey !== null) tls = loadTls(next.tlsCert, next.tlsKey, deps.readFile);
    } catch (err) {
      if (!(err instanceof ConfigError) && !(err instanceof TlsError)) throw err;
      log.error(`SIGHUP: new configuration rejected, the running one stays: ${(err as Error).message}`);
      return;
    }
    try {
      await deps.spend.syncConfig(next.budgets, next.rateLimits);
    } catch (err) {
      log.error(`SIGHUP: cannot store the config file's budgets and rate limits, the running ones stay: ${(err as Error).message}`);
      return;
    }
    deps.pricer.set(pricer);
    log.configure({ format: next.logFormat, level: next.logLevel });
    if (tls !== null) {
      try {
        await deps.reloadTls!(tls);
      } catch (err) {
        log.error(`SIGHUP: cannot serve the new certificate, the running one stays: ${(err as Error).message}`);
      }
    }
    const waiting: string[] = RESTART_KEYS.filter((key) => JSON.stringify(next[key]) !== JSON.stringify(deps.config[key]));
    // Turning TLS on or off changes the listener's scheme: that takes a restart (a new certificate does not).
    if ((next.tlsCert === null) !== (deps.config.tlsCert === null)) waiting.push("tls");
    if (waiting.length > 0) log.warn(`SIGHUP: ${waiting.join(", ")} changed; that takes a restart`);
    log.info(
      `SIGHUP: reloaded prices ${pricer.version}, ${next.budgets.length} budgets and ${next.rateLimits.length} rate limits ` +
        `from the config file, log ${next.logFormat} at ${next.logLevel}${tls !== null ? ", the TLS certificate" : ""}`,
    );
  };
  return () => (running = running.then(once, once));
}
