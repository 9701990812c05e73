/**
 * @module SIGHUP: re-read the config file and the price overrides file, then swap in the new prices, the config
 * file's budgets and rate limits, and the log format and level. Connections and streams in flight are not
 * touched. A bad new config changes nothing and is reported in one log line.
 */
import { type Config, ConfigError, parseConfig } from "./config.ts";
import { loadPricer } from "./commands/prices.ts";
import type { ControlSetup } from "./control/setup.ts";
import type { SwitchablePricer } from "./pricing/switchable.ts";
import type { Logger } from "./sink/log.ts";

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
}

/** Returns the SIGHUP handler; overlapping signals run one after the other. */
export function createReloader(deps: ReloadDeps): () => Promise<void> {
  const { log } = deps;
  let running: Promise<void> = Promise.resolve();
  const once = async () => {
    let next: Config;
    let pricer;
    log.debug("SIGHUP: re-reading the config file and the price overrides file");
    try {
      next = parseConfig({ args: deps.args, env: deps.env, readFile: deps.readFile });
      pricer = loadPricer(next.prices, deps.readFile, deps.onUnpriced);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      log.error(`SIGHUP: new configuration rejected, the running one stays: ${err.message}`);
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
    const waiting = RESTART_KEYS.filter((key) => JSON.stringify(next[key]) !== JSON.stringify(deps.config[key]));
    if (waiting.length > 0) log.warn(`SIGHUP: ${waiting.join(", ")} changed; that takes a restart`);
    log.info(
      `SIGHUP: reloaded prices ${pricer.version}, ${next.budgets.length} budgets and ${next.rateLimits.length} rate limits ` +
        `from the config file, log ${next.logFormat} at ${next.logLevel}`,
    );
  };
  return () => (running = running.then(once, once));
}
