// `serve`'s reconciliation options: off by default; flags, environment and config file like every option; bad
// values one line naming the option; the alert lines the two new alert types render.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, parseConfig } from "../../src/config.ts";
import { alertLine, payload } from "../../src/control/alerts/payload.ts";

const parse = (args: string[], env: Record<string, string> = {}) => parseConfig({ args, env, readFile: () => "{}" });

test("reconciliation is off by default, with a 3-day window, a cent or 0.1 % tolerance and $1 alert thresholds", () => {
  const c = parse([]);
  assert.deepEqual(
    [c.reconcileIntervalMs, c.reconcileWindow, c.reconcileToleranceUsd, c.reconcileTolerancePct, c.reconcileDriftUsd, c.reconcileUncoveredUsd],
    [null, 3, "0.01", "0.1", "1", "1"],
  );
});

test("flags and environment set them", () => {
  const c = parse(["--reconcile-interval", "6h", "--reconcile-drift-usd", "0.5"], { KESTREL_RECONCILE_WINDOW: "7", KESTREL_RECONCILE_UNCOVERED_USD: "2" });
  assert.deepEqual([c.reconcileIntervalMs, c.reconcileWindow, c.reconcileDriftUsd, c.reconcileUncoveredUsd], [21_600_000, 7, "0.5", "2"]);
});

const BAD: [string[], RegExp][] = [
  [["--reconcile-interval", "10s"], /^--reconcile-interval must be at least 60000ms, got "10s"$/],
  [["--reconcile-window", "0"], /^--reconcile-window must be a whole number of days from 1 to 999, got "0"$/],
  [["--reconcile-tolerance-pct", "150"], /^--reconcile-tolerance-pct must be a percent from 0 to 100/],
  [["--reconcile-drift-usd", "-1"], /^--reconcile-drift-usd must be a decimal number like 0\.01, got "-1"$/],
];
for (const [args, message] of BAD) {
  test(`bad ${args.join(" ")}`, () => assert.throws(() => parse(args), (err) => err instanceof ConfigError && message.test(err.message)));
}

test("the reconcile alerts' lines", () => {
  assert.equal(
    alertLine(payload({ type: "reconcile.uncovered", at: "a", provider: "openai", day: "2026-11-20", amount_usd: "0.57", coverage: 0.75 })),
    "Reconcile openai 2026-11-20: $0.57 billed outside Kestrel (coverage 75%)",
  );
  assert.equal(
    alertLine(payload({ type: "reconcile.drift", at: "a", provider: "anthropic", day: "2026-11-20", amount_usd: "1.5", model: "m", detail: "output billed $3, Kestrel's price $1.5" })),
    `Reconcile anthropic 2026-11-20: $1.5 differs between Kestrel and the provider's bill; largest: model "m" (output billed $3, Kestrel's price $1.5)`,
  );
});
