// `kestrel check-config`: every value with its source, secrets masked, a bad value is one line and exit 2; and
// `kestrel health`, the container's health check.
import assert from "node:assert/strict";
import { test } from "node:test";
import { maskUrl, runCheckConfig } from "../../src/commands/check-config.ts";
import { healthUrl, runHealth } from "../../src/commands/health.ts";
import type { CommandIo } from "../../src/commands/io.ts";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: CommandIo = {
    openDb: () => {
      throw new Error("no database here");
    },
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    now: () => 0,
  };
  return { io: value, out: () => out.join(""), err: () => err.join("") };
}

const FILES: Record<string, string> = {
  "/etc/kestrel.json": JSON.stringify({
    port: 8080,
    "log-format": "json",
    upstream: { anthropic: "http://10.0.0.2:9000" },
    budgets: [{ id: "month", scope: { project: "a" }, window: "month", limit_usd: "50" }],
    alerts: { webhooks: [{ url: "https://hooks.slack.com/services/T000/B000/XXXXSECRET", format: "slack" }] },
  }),
};
const readFile = (path: string) => {
  const text = FILES[path];
  if (text === undefined) throw new Error(`ENOENT: ${path}`);
  return text;
};

test("check-config shows each value with where it came from: default, config file, env, flag", async () => {
  const c = io();
  const env = { KESTREL_HOST: "0.0.0.0", KESTREL_ADMIN_TOKEN: "tok-very-secret", KESTREL_CONFIG: "/etc/kestrel.json" };
  const code = await runCheckConfig(["--log-level", "debug"], c.io, env, readFile);
  assert.equal(code, 0, c.err());
  const text = c.out();
  assert.match(text, /^config file: \/etc\/kestrel\.json$/m);
  assert.match(text, /^host +0\.0\.0\.0 +env KESTREL_HOST$/m);
  assert.match(text, /^port +8080 +config file$/m);
  assert.match(text, /^log-format +json +config file$/m);
  assert.match(text, /^log-level +debug +flag --log-level$/m);
  assert.match(text, /^db +\.\/kestrel\.db +default$/m);
  assert.match(text, /^shutdown-grace +30s +default$/m);
  assert.match(text, /^admin-token +\*\*\*\* \(set\) +env KESTREL_ADMIN_TOKEN$/m);
  assert.match(text, /^upstream anthropic +http:\/\/10\.0\.0\.2:9000 +config file$/m);
  assert.match(text, /^budgets +month +config file$/m);
  assert.match(text, /^alert-webhooks +https:\/\/hooks\.slack\.com\/\*\*\*\* \(slack\) +config file$/m);
  assert.doesNotMatch(text, /tok-very-secret|XXXXSECRET|T000/);
});

test("check-config shows a PostgreSQL store with its password masked", async () => {
  const c = io();
  const env = { KESTREL_STORE: "postgres://kestrel:pg-very-secret@db.internal:5432/kestrel?sslmode=require" };
  assert.equal(await runCheckConfig([], c.io, env, readFile), 0, c.err());
  assert.match(c.out(), /^store +postgres:\/\/kestrel:\*\*\*@db\.internal:5432\/kestrel\?sslmode=require +env KESTREL_STORE$/m);
  assert.doesNotMatch(c.out() + c.err(), /pg-very-secret/);
});

test("check-config: a bad value or file is one line on stderr and exit 2, secrets not echoed", async () => {
  for (const [args, env, message] of [
    [["--port", "x"], {}, /^kestrel check-config: --port must be a port number/],
    [[], { KESTREL_CONFIG: "/missing.json" }, /^kestrel check-config: Cannot read config file "\/missing\.json"/],
    [["--upstream", "openai=http://user:pw@h"], {}, /^kestrel check-config: --upstream must be scheme:\/\/host\[:port\] only/],
    [["--prices", "/missing.json"], {}, /^kestrel check-config: Cannot read price file/],
  ] as const) {
    const c = io();
    assert.equal(await runCheckConfig(args, c.io, env, readFile), 2, JSON.stringify(args));
    assert.match(c.err(), message);
    assert.equal(c.err().trim().split("\n").length, 1);
    assert.doesNotMatch(c.err(), /pw@/);
    assert.equal(c.out(), "");
  }
});

test("maskUrl keeps scheme and host, hides path, query and userinfo", () => {
  assert.equal(maskUrl("https://hooks.slack.com/services/T/B/x"), "https://hooks.slack.com/****");
  assert.equal(maskUrl("https://example.com/hook?token=abc"), "https://example.com/****");
  assert.equal(maskUrl("https://u:p@example.com"), "https://example.com/****");
  assert.equal(maskUrl("http://127.0.0.1:9000"), "http://127.0.0.1:9000");
  assert.equal(maskUrl("not a url"), "****");
});

test("health asks the address serve listens on and exits 0 only on 200 Healthy", async () => {
  assert.equal(healthUrl({}), "http://127.0.0.1:5501/health");
  assert.equal(healthUrl({ KESTREL_HOST: "0.0.0.0", KESTREL_PORT: "8080" }), "http://127.0.0.1:8080/health");
  assert.equal(healthUrl({ KESTREL_HOST: "::" }), "http://[::1]:5501/health");
  assert.equal(healthUrl({ KESTREL_HOST: "10.1.2.3" }), "http://10.1.2.3:5501/health");
  const asked: string[] = [];
  const answer = (status: number, body: string) => ((url: string) => (asked.push(url), Promise.resolve(new Response(body, { status })))) as unknown as typeof fetch;
  const c = io();
  assert.equal(await runHealth([], c.io, { KESTREL_PORT: "7" }, answer(200, "Healthy")), 0);
  assert.equal(await runHealth(["--url", "http://h/health"], c.io, {}, answer(503, "no")), 1);
  assert.equal(await runHealth([], c.io, {}, (() => Promise.reject(new Error("ECONNREFUSED"))) as unknown as typeof fetch), 1);
  assert.equal(await runHealth(["--bogus"], c.io, {}, answer(200, "Healthy")), 2);
  assert.deepEqual(asked, ["http://127.0.0.1:7/health", "http://h/health"]);
  assert.match(c.err(), /answered 503 "no"\n.*ECONNREFUSED\n.*expected only --url URL/s);
});
