/** @module `kestrel serve`: config → pricer, log, store, app → listen; SIGTERM/SIGINT drain and flush; SIGHUP reload. */
import process from "node:process";
import { createApp } from "./app.ts";
import { createKeyRing } from "./keys/ring.ts";
import { masterKeyFrom } from "./keys/vault.ts";
import { parseConfig, StartupError } from "./config.ts";
import { deferControl } from "./control/deferred.ts";
import { startControl } from "./control/setup.ts";
import { errorResponse } from "./errors.ts";
import { describeError } from "./redact.ts";
import { createConnectProbe } from "./forward/connect-probe.ts";
import { createMetrics } from "./metrics/metrics.ts";
import { loadPricer } from "./commands/prices.ts";
import { switchablePricer } from "./pricing/switchable.ts";
import { createReloader } from "./reload.ts";
import type { Runtime } from "./runtime.ts";
import { createSpanExporter } from "./otel/exporter.ts";
import { traceRequest } from "./otel/span.ts";
import { startScheduledReconcile } from "./reconcile/serve.ts";
import { createLogger } from "./log.ts";
import { describeStore } from "./store/location.ts";
import { openStore } from "./store/open.ts";
import { createWorkerStore, sharedFile } from "./store/worker/client.ts";
import { withReadWorker } from "./store/worker/read-client.ts";
import { loadTls } from "./tls.ts";
import { COMMIT, PACKAGE_VERSION, VERSION } from "./version.ts";

/** Fetch honours these; a direct TCP probe would then test the wrong path, so the probe stays off. */
const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

export async function serve(rt: Runtime, args: readonly string[]): Promise<void> {
  const config = parseConfig({ args, env: rt.env, readFile: (p) => rt.readTextFile(p) });
  let tls = null;
  try {
    tls = config.tlsCert === null || config.tlsKey === null ? null : loadTls(config.tlsCert, config.tlsKey, (p) => rt.readTextFile(p));
  } catch (err) {
    throw new StartupError(`Cannot serve TLS: ${(err as Error).message}`);
  }
  const log = createLogger({
    format: config.logFormat,
    level: config.logLevel,
    // systemd sets JOURNAL_STREAM when stdout is the journal: each line then carries its priority.
    syslogPrefix: Boolean(rt.env.JOURNAL_STREAM),
    write: (b) => rt.writeOut(b),
    now: Date.now,
  });
  const onUnpriced = (provider: string, model: string) =>
    log.warn(`No price for ${provider} model ${JSON.stringify(model)}: its requests are recorded as unpriced`);
  const pricer = switchablePricer(loadPricer(config.prices, (p) => rt.readTextFile(p), onUnpriced));

  const where = describeStore(config.store);
  let store;
  try {
    store = await openStore(config.store, {
      openDb: (path) => rt.openDb(path),
      pgPoolSize: config.pgPoolSize,
      onError: (message) => log.error(message),
      onReady: () => log.info(`Connected to ${where}; schema current`),
      retentionDays: config.retentionDays,
      rollupRetentionDays: config.rollupRetentionDays,
    });
  } catch (err) {
    throw new StartupError(`Cannot open database ${JSON.stringify(config.db)}: ${(err as Error).message}`);
  }
  // Inserts off the event loop when the runtime can start a worker (docs/architecture.md §8); a SQLite file only.
  const reader = store;
  if (config.store.kind === "sqlite" && rt.startStoreWorker && sharedFile(config.store.path)) {
    const onError = (message: string) => log.error(message);
    store = createWorkerStore(reader, rt.startStoreWorker(), { path: config.store.path, onError });
    // Reads on a second worker: a long query never stalls proxied streams, and never delays the inserts.
    store = withReadWorker(store, rt.startStoreWorker(), { path: config.store.path, onError });
  }
  const upstreamFetch = rt.fetch ?? globalThis.fetch;
  const controlOptions = {
    store: store.control,
    budgets: config.budgets,
    rateLimits: config.rateLimits,
    alerts: config.alerts,
    log,
    fetch: upstreamFetch,
    now: Date.now,
    // Records queued while the database was away are written before budgets read it (src/control/deferred.ts).
    beforeLoad: () => store.flush(),
  };
  let spend;
  try {
    spend = await startControl(controlOptions);
  } catch (err) {
    if (config.store.kind !== "postgres") {
      await store.close();
      throw new StartupError(`Cannot load budgets and rate limits from ${where}: ${(err as Error).message}`);
    }
    // A shared database may be down while this instance starts: serve anyway, load budgets once it answers
    // (the first retry is immediate and logs the failure).
    spend = deferControl(() => startControl(controlOptions), {
      retryMs: 2000,
      onError: (e) => log.error(`Budgets and rate limits not loaded yet (${where}): ${describeError(e)}`),
      onDropped: (n) => log.warn(`${n} settlements made before budgets were loaded were not kept (the oldest): their spend is missing`),
    });
  }
  const spans = config.otlpEndpoint === null ? null : createSpanExporter({
    url: config.otlpEndpoint,
    headers: config.otlpHeaders ?? {},
    fetch: upstreamFetch,
    encode: (batch) => traceRequest(batch, VERSION),
    warn: (message) => log.warn(message),
  });
  // Kestrel keys in memory before the first request; each instance polls for changes (src/keys/ring.ts).
  const keys = createKeyRing(store.keys, {
    master: config.masterKey === null ? null : await masterKeyFrom(config.masterKey),
    warn: (message) => log.warn(message),
  });
  try {
    await keys.reload();
  } catch (err) {
    if (config.store.kind !== "postgres") throw new StartupError(`Cannot load Kestrel keys from ${where}: ${(err as Error).message}`);
    log.error(`Kestrel keys not loaded yet (${where}): ${describeError(err)}`);
  }
  keys.start(undefined, (message) => log.error(message));
  const reconciler = startScheduledReconcile(config, rt.env, { store, pricer, log, fetch: upstreamFetch, alerter: spend.alerter });
  const app = createApp({
    reconcileNotes: reconciler ? () => reconciler.notes() : () => ({}),
    spans,
    traits: rt.traits,
    websockets: rt.websockets,
    control: spend,
    keys,
    config,
    fetch: upstreamFetch,
    now: Date.now,
    log,
    store,
    pricer,
    probe: PROXY_VARS.some((v) => rt.env[v]) ? null : createConnectProbe(),
    metrics: createMetrics(
      { version: PACKAGE_VERSION, commit: COMMIT, runtime: rt.name, priceVersion: pricer.version },
      { isPriced: (provider, model) => pricer.isPriced(provider, model) },
    ),
  });
  // Runtime error output goes through the log (redacted, one line each), never raw to stderr.
  const onError = (err: unknown): Response => {
    // A response body that broke off errors with no reason (src/meter/body.ts); its record already says so.
    if (err !== undefined) log.error(`Unhandled error: ${errorText(err)}`);
    return errorResponse("internal_error", 500, "Internal error");
  };
  let server;
  try {
    server = await rt.serve({ hostname: config.host, port: config.port, tls, fetch: app.fetch, onError });
  } catch (err) {
    reconciler?.stop();
    keys.stop();
    await spend.stop();
    await store.close();
    throw new StartupError(`Cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  // Once serving (startup failures keep their own path): a stray rejection is logged and serving goes on;
  // a thrown exception leaves state unknown: log it, then exit 1.
  process.on("unhandledRejection", (reason) => log.error(`Unhandled rejection: ${errorText(reason)}`));
  process.on("uncaughtException", (err) => {
    log.error(`Uncaught exception, exiting: ${errorText(err)}`);
    void log.flush().finally(() => rt.exit(1));
  });
  const shown = config.host.includes(":") ? `[${config.host}]` : config.host;
  for (const warning of rt.warnings) log.warn(warning);
  if (store !== reader) log.debug("Usage records are written by a worker thread; reads run on another");
  log.debug(`Prices ${pricer.version}; ${config.budgets.length} budgets and ${config.rateLimits.length} rate limits in the config file`);
  log.info(`Kestrel ${VERSION} listening on ${tls ? "https" : "http"}://${shown}:${server.port} (${rt.name} ${rt.version}, store ${where})`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: no new connections; waiting up to ${config.shutdownGraceMs} ms for ${app.inFlight} requests`);
    server.stop();
    reconciler?.stop();
    keys.stop();
    await app.drain(config.shutdownGraceMs);
    await spend.stop();
    await spans?.flush();
    await store.close();
    const stats = store.stats();
    const spanStats = spans === null ? "" : `; ${spans.stats().exported} spans exported, ${spans.stats().dropped} dropped`;
    log.info(`Stopped: ${stats.written} records written, ${stats.queued} queued, ${stats.dropped} dropped${spanStats}`);
    await log.flush();
    rt.exit(0);
  };
  rt.onSignal("SIGTERM", () => void shutdown("SIGTERM"));
  rt.onSignal("SIGINT", () => void shutdown("SIGINT"));
  const listener = server;
  const reload = createReloader({
    args,
    env: rt.env,
    readFile: (p) => rt.readTextFile(p),
    config,
    pricer,
    onUnpriced,
    log,
    spend,
    reloadTls: listener.reloadTls ? (files) => listener.reloadTls!(files) : null,
  });
  rt.onSignal("SIGHUP", () => void (stopping ? undefined : reload()));
}

/** The stack when there is one (the log redacts it and escapes its line breaks), with the cause's message. */
function errorText(err: unknown, depth = 0): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const text = err.stack ?? err.message;
  return cause === undefined || depth > 2 ? text : `${text} (cause: ${errorText(cause, depth + 1)})`;
}
