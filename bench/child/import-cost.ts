/**
 * @module Where a cold start's module loading goes (bench/cold-start.ts --imports): compiled with the same
 * `bun build --compile` flags as the binary, it imports the pieces of Kestrel one after another and prints, as JSON,
 * the ms each step added (evaluation, plus parsing where the build splits the piece into a chunk of its own).
 * Steps are cumulative: a module two pieces share is counted in the first one that loads it.
 */
const steps: [string, () => Promise<unknown>][] = [
  ["price table + version line (src/pricing/version.ts: the embedded JSON)", () => import("../../src/pricing/version.ts")],
  ["config parsing (src/config.ts)", () => import("../../src/config.ts")],
  ["SQLite store (src/store/store.ts)", () => import("../../src/store/store.ts")],
  ["store workers' clients (src/store/worker/)", () => Promise.all([import("../../src/store/worker/client.ts"), import("../../src/store/worker/read-client.ts")])],
  ["control plane (src/control/setup.ts, alerts included)", () => import("../../src/control/setup.ts")],
  ["metrics (src/metrics/metrics.ts)", () => import("../../src/metrics/metrics.ts")],
  ["OTLP spans (src/otel/)", () => Promise.all([import("../../src/otel/exporter.ts"), import("../../src/otel/span.ts")])],
  ["proxy path (src/routes/proxy.ts, providers, meter)", () => import("../../src/routes/proxy.ts")],
  ["dashboard assets (src/dashboard/assets.gen.ts)", () => import("../../src/dashboard/assets.gen.ts")],
  ["hono", () => import("hono")],
  ["HTTP surface (src/app.ts: API routes)", () => import("../../src/app.ts")],
  ["serve (src/serve.ts, the rest)", () => import("../../src/serve.ts")],
  ["PostgreSQL driver + store (src/store/pg/pg-store.ts)", () => import("../../src/store/pg/pg-store.ts")],
  ["CLI subcommands (src/commands/*)", () =>
    Promise.all([
      import("../../src/commands/usage.ts"),
      import("../../src/commands/export.ts"),
      import("../../src/commands/reprice.ts"),
      import("../../src/commands/reconcile.ts"),
      import("../../src/commands/budgets.ts"),
      import("../../src/commands/keys.ts"),
      import("../../src/commands/provider-keys.ts"),
      import("../../src/commands/check-config.ts"),
      import("../../src/commands/health.ts"),
    ])],
  ["CLI dispatch (src/cli.ts, with what it imports statically)", () => import("../../src/cli.ts")],
];

// performance.now() counts from the process's start on Bun: the first figure is the runtime and this file.
const out: Record<string, number> = { "runtime start to the entry's first line": performance.now() };
for (const [name, load] of steps) {
  const t = performance.now();
  await load();
  out[name] = performance.now() - t;
}
console.log(JSON.stringify(out));
