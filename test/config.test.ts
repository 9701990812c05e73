import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, parseConfig } from "../src/config.ts";

const files: Record<string, string> = {
  "k.json": JSON.stringify({ port: 7000, host: "0.0.0.0", "log-format": "json", upstream: { openai: "http://127.0.0.1:1" } }),
  "bad.json": "{ port: 1 }",
  "unknown.json": JSON.stringify({ colour: "red" }),
};
const readFile = (p: string) => {
  if (!(p in files)) throw new Error("no such file");
  return files[p]!;
};
const parse = (args: string[], env: Record<string, string> = {}) => parseConfig({ args, env, readFile });

test("defaults", () => {
  const c = parse([]);
  assert.equal(c.host, "127.0.0.1");
  assert.equal(c.port, 5501);
  assert.equal(c.db, "./kestrel.db");
  assert.equal(c.logFormat, "text");
  assert.equal(c.connectTimeoutMs, 10_000);
  assert.equal(c.idleTimeoutMs, 300_000);
  assert.equal(c.injectStreamUsage, true);
  assert.equal(c.shutdownGraceMs, 30_000);
  assert.deepEqual(c.upstreams, {});
  assert.ok(Object.isFrozen(c));
});

test("TLS: --tls-cert and --tls-key, their variables and config keys, always as a pair", () => {
  assert.deepEqual([parse([]).tlsCert, parse([]).tlsKey], [null, null]);
  const c = parse(["--tls-cert", "c.pem"], { KESTREL_TLS_KEY: "k.pem" });
  assert.deepEqual([c.tlsCert, c.tlsKey], ["c.pem", "k.pem"]);
  assert.throws(() => parse(["--tls-cert", "c.pem"]), (e: unknown) => e instanceof ConfigError && /--tls-cert and --tls-key go together: --tls-key is missing/.test(e.message));
  assert.throws(() => parse([], { KESTREL_TLS_KEY: "k.pem" }), /--tls-cert is missing/);
  files["tls.json"] = JSON.stringify({ "tls-cert": "/etc/kestrel/cert.pem", "tls-key": "/etc/kestrel/key.pem" });
  assert.equal(parse(["--config", "tls.json"]).tlsKey, "/etc/kestrel/key.pem");
});

test("precedence: flag > env > config file > default", () => {
  const env = { KESTREL_PORT: "6000", KESTREL_CONFIG: "k.json" };
  assert.equal(parse([], {}).port, 5501);
  assert.equal(parse(["--config", "k.json"]).port, 7000);
  assert.equal(parse([], env).port, 6000);
  assert.equal(parse(["--port", "6500"], env).port, 6500);
  assert.equal(parse(["--port=6501"], env).port, 6501);
  assert.equal(parse([], env).host, "0.0.0.0"); // only in the file
  assert.equal(parse([], env).logFormat, "json");
});

test("upstream overrides from all three sources, flag wins", () => {
  const env = { KESTREL_UPSTREAM_AZURE_OPENAI: "http://127.0.0.1:2/", KESTREL_UPSTREAM_OPENAI: "http://127.0.0.1:3" };
  const c = parse(["--config", "k.json", "--upstream", "openai=http://127.0.0.1:4", "--upstream", "Groq=https://example.test:8443"], env);
  assert.deepEqual({ ...c.upstreams }, {
    openai: "http://127.0.0.1:4",
    "azure-openai": "http://127.0.0.1:2",
    groq: "https://example.test:8443",
  });
});

test("the admin token is never quoted back in its error", () => {
  assert.throws(() => parse(["--admin-token", "s3cret value"]), (err: unknown) => err instanceof ConfigError && !err.message.includes("s3cret"));
});

test("timeout bounds: 1 ms and 596 h are taken; the shutdown grace may be 0", () => {
  const c = parse(["--connect-timeout", "1ms", "--idle-timeout", "2147483647ms", "--shutdown-grace", "0", "--admin-token", "tok-en_1.~"]);
  assert.equal(c.connectTimeoutMs, 1);
  assert.equal(c.idleTimeoutMs, 2 ** 31 - 1);
  assert.equal(c.shutdownGraceMs, 0);
  assert.equal(c.adminToken, "tok-en_1.~");
  assert.equal(parse(["--retention-days", "100000"]).retentionDays, 100_000);
  assert.equal(parse([]).rollupRetentionDays, null, "the rollup is kept forever by default");
  assert.equal(parse(["--retention-days", "30", "--rollup-retention-days", "400"]).rollupRetentionDays, 400);
});

test("durations and switches", () => {
  const c = parse(["--connect-timeout", "500ms", "--idle-timeout", "2m", "--inject-stream-usage", "off", "--shutdown-grace", "1.5"]);
  assert.equal(c.connectTimeoutMs, 500);
  assert.equal(c.idleTimeoutMs, 120_000);
  assert.equal(c.injectStreamUsage, false);
  assert.equal(c.shutdownGraceMs, 1500);
});

// Every bad value is one clear ConfigError (the CLI prints it and exits 2).
const BAD: [args: string[], env: Record<string, string>, message: RegExp][] = [
  [["--port", "http"], {}, /--port must be a port number/],
  [["--port", "70000"], {}, /--port must be a port number/],
  [[], { KESTREL_PORT: "-1" }, /KESTREL_PORT must be a port number/],
  [["--log-format", "xml"], {}, /--log-format must be one of text, json, got "xml"/],
  [["--upstream", "openai"], {}, /--upstream must look like NAME=URL/],
  [["--upstream", "nope=http://x"], {}, /unknown provider "nope"/],
  [["--upstream", "openai=ftp://x"], {}, /scheme:\/\/host\[:port\] only/],
  [["--upstream", "openai=http://x/v1"], {}, /scheme:\/\/host\[:port\] only/],
  [[], { KESTREL_UPSTREAM_OPENAI: "not a url" }, /KESTREL_UPSTREAM_OPENAI must be a URL/],
  [["--idle-timeout", "soon"], {}, /--idle-timeout must be a duration/],
  [["--retention-days", "0"], {}, /whole number of days/],
  // Raw records must not outlive the rollup (a report over the older range would read only the raw edges).
  [["--rollup-retention-days", "400"], {}, /--rollup-retention-days \(400\) needs --retention-days set to at most/],
  [["--retention-days", "90", "--rollup-retention-days", "30"], {}, /needs --retention-days set to at most the same/],
  // A cut-off that far back is no date at all: pruning would throw every day.
  [["--retention-days", "99999999999"], {}, /--retention-days must be a whole number of days from 2 to 100000/],
  // Issue 20 item 6: rolling budget windows under two days are rebuilt from raw records, which must still be there.
  [["--retention-days", "1"], {}, /from 2 to 100000 \(rolling budgets under two days are rebuilt from raw records\)/],
  // Timers fire at once beyond 2^31 - 1 ms: every upstream would time out (504) immediately.
  [["--connect-timeout", "600h"], {}, /--connect-timeout must be at most 596h \(2147483647 ms/],
  [["--idle-timeout", "2147483648ms"], {}, /--idle-timeout must be at most 596h/],
  [[], { KESTREL_SHUTDOWN_GRACE: "1000h" }, /KESTREL_SHUTDOWN_GRACE must be at most 596h/],
  // A zero timeout is no "off": it would cut every request at once.
  [["--connect-timeout", "0"], {}, /--connect-timeout must be at least 1ms, got "0"/],
  [["--idle-timeout", "0ms"], {}, /--idle-timeout must be at least 1ms, got "0ms"/],
  [[], { KESTREL_IDLE_TIMEOUT: "0.4ms" }, /KESTREL_IDLE_TIMEOUT must be at least 1ms/], // rounds to 0
  // No Authorization header can carry a token with whitespace: it could never match.
  [["--admin-token", "two words"], {}, /--admin-token must not contain whitespace or control characters/],
  [[], { KESTREL_ADMIN_TOKEN: "trailing-newline\n" }, /KESTREL_ADMIN_TOKEN must not contain whitespace/],
  [[], { KESTREL_ADMIN_TOKEN: "\ttab" }, /KESTREL_ADMIN_TOKEN must not contain whitespace/],
  [["--colour", "red"], {}, /Unknown option --colour/],
  [["--port"], {}, /Option --port needs a value/],
  [["extra"], {}, /Unexpected argument "extra"/],
  [["--config", "missing.json"], {}, /Cannot read config file "missing.json"/],
  [["--config", "bad.json"], {}, /Cannot parse config file "bad.json"/],
  [["--config", "unknown.json"], {}, /unknown key "colour"/],
];

for (const [args, env, message] of BAD) {
  test(`rejects ${JSON.stringify(args)} ${JSON.stringify(env)}`, () => {
    assert.throws(() => parse(args, env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
  });
}
