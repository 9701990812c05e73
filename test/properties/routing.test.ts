// Property: whatever path and query a client sends, the resolver either refuses it (a 4xx ProxyError) or names an
// upstream the routing table allows — a fixed provider host, or a templated host whose labels are valid. No input
// reaches another host, a port, or userinfo.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ProxyError } from "../../src/errors.ts";
import { createResolver } from "../../src/resolve/resolve.ts";
import { PROVIDER_IDS, ROUTES } from "../../src/resolve/routes.ts";
import { runs } from "./_runs.ts";

const FIXED = new Set(Object.values(ROUTES).flatMap((r) => (typeof r.origin === "string" ? [new URL(r.origin).hostname] : [])));
const TEMPLATED = [
  /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.openai\.azure\.com$/,
  /^(?:bedrock-runtime|bedrock-agent-runtime|bedrock)\.[a-z]{2}(?:-gov)?-[a-z]+-\d\.amazonaws\.com$/,
  /^(?:[a-z]+-[a-z]+\d{1,2}-)?aiplatform\.googleapis\.com$/,
];

/** Path pieces chosen to probe the templates: dots, encodings, separators, look-alikes, valid labels. */
const piece = fc.oneof(
  fc.constantFrom(".", "..", "%2e", "%2E%2E", "%2F", "%5C", "\\", "@", ":", ":443", "#", "?", "%00", "%40", "evil.example",
    "us-east-1", "us-central1", "global", "bedrock-runtime", "s3", "projects", "locations", "v1", "v1beta1", "res",
    "EVIL", "ｅｖｉｌ", "\u0430pi", "-x", "x-", "a".repeat(64), "user:pass@host", "", "127.0.0.1", "[::1]"),
  fc.stringMatching(/^[a-z0-9.%@:_~-]{1,10}$/),
  fc.string({ maxLength: 8 }),
);
const path = fc.tuple(
  fc.oneof(fc.constantFrom(...PROVIDER_IDS), fc.constantFrom("azure-openai", "aws-bedrock", "google-vertex-ai"), piece),
  fc.array(piece, { maxLength: 8 }),
  fc.constantFrom("/", "//", "/./"),
).map(([provider, rest, sep]) => `/${provider}${rest.length ? sep : ""}${rest.join("/")}`);
const query = fc.oneof(fc.constant(""), fc.string({ maxLength: 10 }).map((q) => `?${q}`), fc.constant("?x=@evil.example:1/"));

test("routing: any request path gives a 4xx or an upstream host the routing table allows", () => {
  const resolve = createResolver();
  fc.assert(
    fc.property(fc.oneof(path, fc.string({ maxLength: 40 }).map((s) => `/${s}`)), query, (p, q) => {
      let url: string;
      try {
        url = resolve(p, q).url;
      } catch (err) {
        assert.ok(err instanceof ProxyError, `not a ProxyError: ${err}`);
        assert.ok(err.status >= 400 && err.status < 500, `status ${err.status}`);
        return;
      }
      const u = new URL(url);
      assert.equal(u.protocol, "https:", url);
      assert.equal(u.port, "", url);
      assert.equal(u.username + u.password, "", url);
      assert.ok(FIXED.has(u.hostname) || TEMPLATED.some((t) => t.test(u.hostname)), `${p} → ${u.hostname}`);
    }),
    runs(2000),
  );
});
