// Spend control in the config: "budgets", "rate_limits", "alerts" in the file, --alert-webhook / KESTREL_ALERT_WEBHOOK.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, parseConfig } from "../src/config.ts";

const BUDGET = { id: "team-a-month", scope: { project: "team-a" }, window: "month", limit_usd: "50" };
const files: Record<string, string> = {
  "k.json": JSON.stringify({
    port: 7000,
    budgets: [BUDGET, { id: "all-tokens", window: "24h", limit_tokens: 1_000_000, action: "alert" }],
    rate_limits: [{ id: "alice", scope: { user: "alice" }, rpm: 60 }],
    alerts: {
      webhooks: [{ url: "https://hooks.slack.test/services/T/B/x", format: "slack" }, { url: "http://127.0.0.1:9/a" }],
      spike_factor: 3.5,
      spike_min_usd: "0.25",
    },
  }),
};
const file = (name: string, body: unknown) => (files[name] = JSON.stringify(body), name);
const readFile = (p: string) => {
  if (!(p in files)) throw new Error("no such file");
  return files[p]!;
};
const parse = (args: string[], env: Record<string, string> = {}) => parseConfig({ args, env, readFile });

test("defaults: no budgets, no rate limits, no webhooks, spike 5 × and $1", () => {
  const c = parse([]);
  assert.deepEqual(c.budgets, []);
  assert.deepEqual(c.rateLimits, []);
  assert.deepEqual(c.alerts, { webhooks: [], spikeFactor: 5, spikeMinUsd: "1" });
  assert.ok(Object.isFrozen(c.alerts) && Object.isFrozen(c.budgets));
});

test("the file's budgets and rate limits go through the definition parser (defaults filled in)", () => {
  const c = parse(["--config", "k.json"]);
  assert.deepEqual(c.budgets[0], {
    ...BUDGET,
    limit_tokens: null,
    action: "block",
    alert_at: [],
    timezone: "UTC",
    unpriced: "allow",
  });
  assert.equal(c.budgets[1]?.limit_tokens, 1_000_000);
  assert.equal(c.budgets[1]?.action, "alert");
  assert.deepEqual(c.rateLimits, [{ id: "alice", scope: { user: "alice" }, rpm: 60, tpm: null }]);
  assert.deepEqual(c.alerts, {
    webhooks: [
      { url: "https://hooks.slack.test/services/T/B/x", format: "slack" },
      { url: "http://127.0.0.1:9/a", format: "json" },
    ],
    spikeFactor: 3.5,
    spikeMinUsd: "0.25",
  });
});

test("webhooks: flags (repeatable) > KESTREL_ALERT_WEBHOOK (comma-separated) > file; flag ones are JSON", () => {
  const env = { KESTREL_CONFIG: "k.json", KESTREL_ALERT_WEBHOOK: "http://127.0.0.1:1/e1, https://x.test/e2," };
  assert.deepEqual(parse([], env).alerts.webhooks, [
    { url: "http://127.0.0.1:1/e1", format: "json" },
    { url: "https://x.test/e2", format: "json" },
  ]);
  const c = parse(["--alert-webhook", "http://127.0.0.1:2/f1", "--alert-webhook=http://127.0.0.1:2/f2"], env);
  assert.deepEqual(c.alerts.webhooks, [
    { url: "http://127.0.0.1:2/f1", format: "json" },
    { url: "http://127.0.0.1:2/f2", format: "json" },
  ]);
  assert.equal(c.alerts.spikeFactor, 3.5); // the rest of "alerts" still comes from the file
  assert.equal(parse([], { KESTREL_CONFIG: "k.json", KESTREL_ALERT_WEBHOOK: "" }).alerts.webhooks.length, 2);
});

// Each is one line naming the file (or flag) and the field.
const BAD: [args: string[], env: Record<string, string>, message: RegExp][] = [
  [["--alert-webhook", "not a url"], {}, /^--alert-webhook must be an http\(s\) URL$/],
  [["--alert-webhook", "ftp://x/secret"], {}, /^--alert-webhook must be an http\(s\) URL, got scheme "ftp:"$/],
  [["--alert-webhook"], {}, /Option --alert-webhook needs a value/],
  [[], { KESTREL_ALERT_WEBHOOK: "http://ok.test,nope" }, /^KESTREL_ALERT_WEBHOOK must be an http\(s\) URL$/],
  [["--config", file("b1.json", { budgets: {} })], {}, /^b1\.json: "budgets" must be an array$/],
  [["--config", file("b2.json", { budgets: [BUDGET, { ...BUDGET, window: "fortnight" }] })], {}, /^b2\.json: "budgets"\[1\]: .*window/],
  [["--config", file("b3.json", { budgets: [{ ...BUDGET, limit_usd: undefined }] })], {}, /^b3\.json: "budgets"\[0\]: .*limit_usd/],
  [["--config", file("b4.json", { budgets: [BUDGET, BUDGET] })], {}, /^b4\.json: "budgets"\[1\]: id "team-a-month" is used twice$/],
  [["--config", file("r1.json", { rate_limits: [{ id: "r", rpm: -1 }] })], {}, /^r1\.json: "rate_limits"\[0\]: .*rpm/],
  [["--config", file("a1.json", { alerts: [] })], {}, /^a1\.json: "alerts" must be an object$/],
  [["--config", file("a2.json", { alerts: { hooks: [] } })], {}, /^a2\.json: "alerts" has unknown key "hooks"$/],
  [["--config", file("a3.json", { alerts: { webhooks: [{ url: "http://x.test", format: "teams" }] } })], {}, /^a3\.json: "alerts"\.webhooks\[0\]\.format must be one of json, slack, got "teams"$/],
  [["--config", file("a4.json", { alerts: { webhooks: ["http://x.test"] } })], {}, /^a4\.json: "alerts"\.webhooks\[0\] must be \{"url"/],
  [["--config", file("a5.json", { alerts: { webhooks: [{ url: "x" }] } })], {}, /^a5\.json: "alerts"\.webhooks\[0\]\.url must be an http\(s\) URL$/],
  [["--config", file("a6.json", { alerts: { spike_factor: 0 } })], {}, /^a6\.json: "alerts"\.spike_factor must be a positive number, got 0$/],
  [["--config", file("a7.json", { alerts: { spike_min_usd: "-1" } })], {}, /^a7\.json: "alerts"\.spike_min_usd must be a decimal USD amount/],
  [["--config", file("a8.json", { alerts: { spike_min_usd: "1000000" } })], {}, /^a8\.json: "alerts"\.spike_min_usd must be at most 9007 USD/],
];

for (const [args, env, message] of BAD) {
  test(`rejects ${JSON.stringify(args)} ${JSON.stringify(env)}`, () => {
    assert.throws(
      () => parse(args, env),
      (err: unknown) => err instanceof ConfigError && message.test(err.message) && !err.message.includes("\n"),
    );
  });
}
