/** @module createApp(deps): the whole HTTP surface, runtime-free. Tests drive it through `app.fetch`. */
import { Hono } from "hono";
import type { Config } from "./config.ts";
import { errorResponse } from "./errors.ts";
import type { ConnectProbe } from "./forward/connect-probe.ts";
import { createWatchdog } from "./forward/watchdog.ts";
import { useByteSearch } from "./json/probe.ts";
import type { AlertCounts } from "./control/alerts/alerter.ts";
import type { Control } from "./control/types.ts";
import type { SpanExporter } from "./otel/exporter.ts";
import type { Metrics } from "./metrics/metrics.ts";
import type { Pricer } from "./pricing/pricer.ts";
import { createRealtimeHandler, isUpgrade } from "./realtime/handler.ts";
import { createSessionSpend } from "./realtime/spend.ts";
import type { WebSocketRuntime } from "./realtime/types.ts";
import { PLAIN_TRAITS, type Traits } from "./runtime.ts";
import { createResolver } from "./resolve/resolve.ts";
import { ROUTES } from "./resolve/routes.ts";
import { createApiRoutes } from "./routes/api.ts";
import { createDashboardRoutes } from "./routes/dashboard.ts";
import { createHomeRoutes } from "./routes/home.ts";
import { createMetricsRoutes } from "./routes/metrics.ts";
import { createProxyHandler, splitUrl } from "./routes/proxy.ts";
import type { Logger } from "./log.ts";
import { createSink } from "./sink/sink.ts";
import type { Store } from "./store/store.ts";
import { createKeyHints } from "./reconcile/hint.ts";
import type { KeyOptions } from "./keys/gate.ts";
import type { KeyRing } from "./keys/ring.ts";
import { createKeyRoutes } from "./routes/api-keys.ts";
import { keySelf } from "./routes/key-self.ts";
import { DEFAULT_TOLERANCE, parseTolerance, type Tolerance } from "./reconcile/report.ts";
import { RECONCILED, type ReconciledProvider } from "./reconcile/types.ts";

/** The one seam between Kestrel and the world. */
export interface Deps {
  config: Config;
  fetch: typeof fetch;
  /** Wall clock, epoch milliseconds. */
  now(): number;
  log: Logger;
  store: Store;
  pricer: Pricer;
  /** Connect-timeout probe; null disables it (tests with a fake fetch, or behind an HTTP proxy). */
  probe: ConnectProbe | null;
  /** What the runtime's fetch and server do differently; default: neither trait (src/runtime.ts). */
  traits?: Traits;
  /** Budgets and rate limits, and how to apply a definition after an API write; absent in most tests. */
  control?: {
    control: Control;
    changed(kind: "budget" | "rate_limit", id: string): Promise<void>;
    alerter?: { stats(): Record<string, AlertCounts> };
  } | null;
  /** Prometheus metrics, served at /metrics; absent: no /metrics and nothing counted. */
  metrics?: Metrics | null;
  /**
   * Kestrel-issued keys held in memory (src/keys/ring.ts), loaded and polling; absent: no key is accepted (a
   * `ksk_` credential then goes upstream as any other would — serve always passes one).
   */
  keys?: KeyRing | null;
  /** The OTLP span exporter (`--otlp-endpoint`), or null. */
  spans?: SpanExporter | null;
  /** The runtime's WebSocket sides for realtime sessions; absent: upgrades are answered 501. */
  websockets?: WebSocketRuntime | null;
  /** What the scheduled reconciliation's last pull could not read (`serve --reconcile-interval`), for /api/reconcile. */
  reconcileNotes?: () => Partial<Record<ReconciledProvider, string[]>>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i;

export function createApp(deps: Deps) {
  const { config, log } = deps;
  const control = deps.control?.control ?? null;
  const reconcile = deps.store.reconcile;
  const sink = createSink({
    pricer: deps.pricer,
    log,
    store: deps.store,
    control,
    spans: deps.spans ?? null,
    metrics: deps.metrics ?? null,
    // Key hints link Kestrel's key fingerprints to the providers' key ids (docs/architecture.md §19).
    keyHints: reconcile
      ? createKeyHints((fp, provider, digests) => reconcile.putKeyHint(fp, provider, digests, deps.now()), (m) => log.error(m), RECONCILED)
      : null,
  });
  const watchdog = createWatchdog(config.idleTimeoutMs);
  const keys: KeyOptions | null = deps.keys
    ? { ring: deps.keys, secrets: config.providerKeys, required: config.requireKestrelKeys }
    : null;
  // The meter's key probes use the runtime's own search where it is faster (Bun); process-wide, as the probes are.
  useByteSearch(deps.traits?.byteSearch ?? null);
  const proxy = createProxyHandler({
    config,
    keys,
    traits: deps.traits ?? PLAIN_TRAITS,
    control,
    pricer: deps.pricer,
    fetch: deps.fetch,
    now: deps.now,
    resolve: createResolver(config.upstreams),
    watchdog,
    probe: deps.probe,
    finish: sink.finish,
    warn: (message) => log.warn(message),
  });
  const realtime = createRealtimeHandler({
    config,
    websockets: deps.websockets ?? null,
    resolve: createResolver(config.upstreams),
    watchdog,
    now: deps.now,
    finish: sink.finish,
    spend: createSessionSpend(control, deps.now, () => sink.drained()),
  });
  const inFlight = () => proxy.inFlight + realtime.inFlight;

  // Hono's own path parser drops the first segment of a bare request target (`/openai/api/requests` → /api/…).
  const app = new Hono({ getPath: (req) => splitUrl(req.url).path });
  app.route("/", createHomeRoutes());
  app.route("/", createDashboardRoutes());
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.route(
      "/",
      createMetricsRoutes({
        adminToken: config.adminToken,
        loopbackOnly: LOOPBACK.test(config.host),
        render: () =>
          metrics.render({
            inFlight: () => proxy.inFlight,
            store: deps.store,
            control,
            alerts: deps.control?.alerter ?? null,
            spans: deps.spans ?? null,
            now: deps.now,
          }),
      }),
    );
  }
  app.route(
    "/api",
    createApiRoutes({
      store: deps.store,
      adminToken: config.adminToken,
      loopbackOnly: LOOPBACK.test(config.host),
      now: deps.now,
      control: deps.control ? { control: deps.control.control, onChange: deps.control.changed } : null,
      reconcile: { pricer: deps.pricer, tolerance: toleranceOf(config), notes: deps.reconcileNotes ?? (() => ({})) },
      keys: deps.keys
        ? createKeyRoutes({
          keys: deps.store.keys,
          ring: deps.keys,
          control: deps.control ? { store: deps.store.control, onChange: deps.control.changed } : null,
          now: deps.now,
          configured: config.providerKeySources,
        })
        : null,
    }),
  );
  app.get("/kestrel/v1/key", (c) => keySelf(c.req.raw, splitUrl(c.req.url).query, keys, control, deps.now()));
  app.all("*", (c) => proxy.handle(c.req.raw));
  /** Any throw becomes a logged JSON 500: never the runtime's own error page (Bun's shows source lines). */
  const internalError = (err: unknown) => {
    log.error(`Unhandled error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return errorResponse("internal_error", 500, "Internal error");
  };
  app.onError(internalError);

  return {
    // Hot path: provider routes skip Hono's routing and context; everything else is Hono's. A WebSocket upgrade
    // on a provider route is a realtime session (src/realtime/); `conn` is the runtime's, handed back to it.
    // Hono's onError does not cover the fast path, hence the catch (the exchange is already recorded).
    fetch: (req: Request, conn?: unknown, address = "") =>
      isProviderPath(req.url)
        ? (isUpgrade(req) ? realtime.handle(req, conn) : proxy.handle(req, address)).catch(internalError)
        : app.fetch(req),
    get inFlight() {
      return inFlight();
    },
    /**
     * Waits up to `graceMs` for running exchanges and realtime sessions, cuts the rest (sessions close with 1001),
     * and resolves once every record is queued.
     */
    async drain(graceMs: number): Promise<void> {
      const deadline = performance.now() + graceMs;
      while (inFlight() > 0 && performance.now() < deadline) await sleep(20);
      if (inFlight() > 0) {
        log.warn(`Shutdown grace period over: cutting ${proxy.inFlight} requests and ${realtime.inFlight} realtime sessions still running`);
        proxy.cutAll();
        realtime.cutAll();
        // A cut records at once (a streaming body is ended even when its client stopped reading); a request still
        // between the cut and its record (an upstream call settling) gets a moment, not forever. A session records
        // once both sides closed (its upstream gets a few seconds to answer the close).
        const cutDeadline = performance.now() + 2000;
        while (inFlight() > 0 && performance.now() < cutDeadline) await sleep(10);
      }
      watchdog.stop();
      await sink.drained();
    },
  };
}

/** True when the first path segment names a provider (`/openai/…`, `/OpenAI/…`). */
function isProviderPath(url: string): boolean {
  // A bare request target (Bun, empty Host) starts with "/"; otherwise the path starts after the authority.
  const start = (url.charCodeAt(0) === 47 ? 0 : url.indexOf("/", url.indexOf("//") + 2)) + 1;
  if (start === 0) return false;
  let end = start;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 47 || c === 63) break; // "/" or "?"
    end++;
  }
  return Object.hasOwn(ROUTES, url.slice(start, end).toLowerCase());
}

/** The configured match tolerance (its parts are validated by the config parser). */
function toleranceOf(config: Config): Tolerance {
  const parsed = parseTolerance(config.reconcileToleranceUsd ?? DEFAULT_TOLERANCE.usd, config.reconcileTolerancePct ?? DEFAULT_TOLERANCE.percent);
  if (typeof parsed === "string") throw new RangeError(parsed);
  return parsed;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
