/** @module `kestrel serve`: config → pricer, log, store, app → listen; SIGTERM/SIGINT drain and flush. */
import { createApp } from "./app.ts";
import { parseConfig, StartupError } from "./config.ts";
import { createConnectProbe } from "./forward/connect-probe.ts";
import { loadPricer } from "./commands/prices.ts";
import type { Runtime } from "./runtime.ts";
import { createLogger } from "./sink/log.ts";
import { createStore } from "./store/store.ts";
import { VERSION } from "./version.ts";

/** Fetch honours these; a direct TCP probe would then test the wrong path, so the probe stays off. */
const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

export async function serve(rt: Runtime, args: readonly string[]): Promise<void> {
  const config = parseConfig({ args, env: rt.env, readFile: (p) => rt.readTextFile(p) });
  const log = createLogger({ format: config.logFormat, write: (b) => rt.writeOut(b), now: Date.now });
  const pricer = loadPricer(config.prices, (p) => rt.readTextFile(p), (provider, model) =>
    log.warn(`No price for ${provider} model ${JSON.stringify(model)}: its requests are recorded as unpriced`));

  let db;
  try {
    db = rt.openDb(config.db);
  } catch (err) {
    throw new StartupError(`Cannot open database ${JSON.stringify(config.db)}: ${(err as Error).message}`);
  }
  const store = createStore(db, {
    onError: (message) => log.error(message),
    retentionDays: config.retentionDays,
    // After a write failure (read-only file, disk full) the store reopens the file to resume.
    reopen: () => rt.openDb(config.db),
  });
  const app = createApp({
    config,
    fetch: globalThis.fetch,
    now: Date.now,
    log,
    store,
    pricer,
    probe: PROXY_VARS.some((v) => rt.env[v]) ? null : createConnectProbe(),
  });
  let server;
  try {
    server = await rt.serve({ hostname: config.host, port: config.port, fetch: app.fetch });
  } catch (err) {
    await store.close();
    throw new StartupError(`Cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  const shown = config.host.includes(":") ? `[${config.host}]` : config.host;
  for (const warning of rt.warnings) log.warn(warning);
  log.info(`Kestrel ${VERSION} listening on http://${shown}:${server.port} (${rt.name} ${rt.version}, db ${config.db})`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: no new connections; waiting up to ${config.shutdownGraceMs} ms for ${app.inFlight} requests`);
    server.stop();
    await app.drain(config.shutdownGraceMs);
    await store.close();
    const stats = store.stats();
    log.info(`Stopped: ${stats.written} records written, ${stats.queued} queued, ${stats.dropped} dropped`);
    await log.flush();
    rt.exit(0);
  };
  rt.onSignal("SIGTERM", () => void shutdown("SIGTERM"));
  rt.onSignal("SIGINT", () => void shutdown("SIGINT"));
}
