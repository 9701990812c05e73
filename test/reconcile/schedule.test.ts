// The scheduled run (`serve --reconcile-interval`): it re-pulls the trailing window, and for a complete day over a
// threshold raises `reconcile.uncovered` / `reconcile.drift` through the alerter to the webhooks, once per day and
// provider however often it runs; a day not yet complete, or under its threshold, raises nothing.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { createAlerter } from "../../src/control/alerts/alerter.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import { keyDigests } from "../../src/reconcile/hint.ts";
import { DEFAULT_TOLERANCE, parseTolerance, type Tolerance } from "../../src/reconcile/report.ts";
import { adminClients } from "../../src/reconcile/run.ts";
import { startReconciler } from "../../src/reconcile/schedule.ts";
import { createStore } from "../../src/store/store.ts";
import { startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { bodies, fakeLog, receiver } from "../control/alerts/_fakes.ts";
import { makeRecord, runtimeDriver, withTempDir } from "../store/helpers.ts";
import { newState, openAiHandler } from "./_admin-mock.ts";

const KEY = `sk-proj-${"a".repeat(60)}AAAA`;
const NOW = Date.parse("2026-11-21T12:00:00Z"); // 2026-11-20 ended 12 h ago: complete
const YESTERDAY = "2026-11-20";
const USAGE = { input: 2_000_000, cached: 400_000, output: 500_000, requests: 1 }; // $0.57 at Kestrel's prices

test("complete days over a threshold alert once per day and provider; under it, or not complete, nothing", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const store = createStore(open(join(dir, "k.db")));
    const hook = await receiver();
    const state = newState({ "gpt-4o-mini-2024-07-18": { "input": "0.15", "cached input": "0.075", "output": "1.2" } });
    const admin = await startMock(openAiHandler(state, new Map([[KEY, "key_a"]]), USAGE));
    try {
      // Kestrel saw one request yesterday on key_a, and one today; the provider also bills one on a key Kestrel
      // never saw, and bills output at twice Kestrel's price.
      for (const [i, ts] of [[1, `${YESTERDAY}T10:00:00.000Z`], [2, "2026-11-21T10:00:00.000Z"]] as const) {
        store.add(makeRecord(i, {
          ts, provider: "openai", model: "gpt-4o-mini-2024-07-18", key_id: "fp_a", input_tokens: 2_000_000,
          cache_read_tokens: 400_000, cache_write_tokens: 0, output_tokens: 500_000, total_tokens: 2_500_000, cost_pico: 570_000_000_000,
        }));
      }
      await store.flush();
      await store.reconcile.putKeyHint("fp_a", "openai", (await keyDigests(KEY))!, 0);
      for (const day of [YESTERDAY, "2026-11-21"]) {
        state.served.push({ day, keyId: "key_a", model: "gpt-4o-mini-2024-07-18", tokens: { ...USAGE } });
        state.extra.push({ day, keyId: "key_other", model: "gpt-4o-mini-2024-07-18", tokens: { ...USAGE } });
      }

      const log = fakeLog();
      const alerter = createAlerter({ store: store.control, fetch, log, now: () => NOW, webhooks: [{ url: hook.url, format: "json" }] });
      await alerter.start();
      const infos: string[] = [];
      const run = (driftUsd: string, uncoveredUsd: string) =>
        startReconciler({
          store, pricer: createPricer(), clients: adminClients({ OPENAI_ADMIN_KEY: "sk-admin" }, { openai: admin.url }, fetch),
          intervalMs: 3_600_000, windowDays: 3, tolerance: parseTolerance(DEFAULT_TOLERANCE.usd, DEFAULT_TOLERANCE.percent) as Tolerance,
          driftUsd, uncoveredUsd, alerter, log: { info: (m) => infos.push(m), error: (m) => log.lines.push(`ERR ${m}`) },
          now: () => NOW, firstRunMs: 3_600_000,
        });
      // Thresholds above the amounts: nothing.
      const quiet = run("100", "100");
      await quiet.run();
      quiet.stop();
      assert.deepEqual(log.lines, []);
      assert.match(infos[0] ?? "", /^Reconciled openai 2026-11-19 to 2026-11-21; coverage on 2026-11-20: 50\.0%$/);

      const loud = run("0.3", "0.5");
      await loud.run();
      await loud.run(); // a second run finds the same alerts already claimed
      loud.stop();
      await until("both alerts delivered", () => hook.received.length >= 2);
      await alerter.stop();
      assert.deepEqual(log.lines.sort(), [
        `WRN Alert reconcile.drift: Reconcile openai ${YESTERDAY}: $0.3 differs between Kestrel and the provider's bill; largest: model "gpt-4o-mini-2024-07-18" (output billed $1.2, Kestrel's price $0.6)`,
        `WRN Alert reconcile.uncovered: Reconcile openai ${YESTERDAY}: $0.87 billed outside Kestrel (coverage 50%)`,
      ]);
      const sent = bodies(hook).sort((a, b) => String(a.type).localeCompare(String(b.type)));
      assert.deepEqual(sent.map((b) => [b.type, b.provider, b.day, b.amount_usd]), [
        ["reconcile.drift", "openai", YESTERDAY, "0.3"],
        ["reconcile.uncovered", "openai", YESTERDAY, "0.87"],
      ]);
      assert.equal(hook.received.length, 2, "today (not complete) raised nothing, and each alert went once");
      assert.ok(state.adminCalls.every((c) => c.auth === "sk-admin"));
    } finally {
      await store.close();
      await hook.close();
      await admin.close();
    }
  });
});
