// --otlp-endpoint / KESTREL_OTLP_ENDPOINT / "otlp-endpoint" and KESTREL_OTLP_HEADERS in the config parser.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, parseConfig } from "../../src/config.ts";

const file = JSON.stringify({ "otlp-endpoint": "http://file.test:4318" });
const parse = (args: string[], env: Record<string, string> = {}) => parseConfig({ args, env, readFile: () => file });

test("OTLP is off by default", () => {
  assert.equal(parse([]).otlpEndpoint, null);
  assert.equal(parse([]).otlpHeaders, null);
});

test("the endpoint from a flag, the environment or the file; a base URL gets /v1/traces", () => {
  assert.equal(parse(["--otlp-endpoint", "http://127.0.0.1:4318"]).otlpEndpoint, "http://127.0.0.1:4318/v1/traces");
  assert.equal(parse([], { KESTREL_OTLP_ENDPOINT: "https://otel.test/custom" }).otlpEndpoint, "https://otel.test/custom");
  assert.equal(parse(["--config", "k.json"]).otlpEndpoint, "http://file.test:4318/v1/traces");
  assert.equal(parse(["--config", "k.json", "--otlp-endpoint", "http://flag.test"]).otlpEndpoint, "http://flag.test/v1/traces");
});

test("KESTREL_OTLP_HEADERS: k=v,k2=v2", () => {
  assert.deepEqual(parse([], { KESTREL_OTLP_HEADERS: "Authorization=Bearer abc,x-team=a" }).otlpHeaders, {
    authorization: "Bearer abc",
    "x-team": "a",
  });
});

test("bad values are refused without quoting them back (they may hold credentials)", () => {
  for (const [args, env] of [
    [["--otlp-endpoint", "ftp://SECRET@x"], {}],
    [["--otlp-endpoint", "not a url SECRET"], {}],
    [[], { KESTREL_OTLP_HEADERS: "SECRET" }],
  ] as [string[], Record<string, string>][]) {
    assert.throws(() => parse(args, env), (err: Error) => err instanceof ConfigError && !err.message.includes("SECRET"));
  }
});
