// The embedded dashboard's files: served without a token, cached by ETag, gzipped when the client takes it, and
// never in the way of a provider route. The committed build is checked against a fresh one (Bun only).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import { ASSETS } from "../../src/dashboard/assets.gen.ts";
import { PROVIDER_IDS } from "../../src/resolve/routes.ts";
import { IS_BUN, ROOT } from "../_helpers/runtime.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import { createLogger } from "../../src/log.ts";
import type { Store } from "../../src/store/store.ts";

function appWith(adminToken: string | null) {
  const upstream: string[] = [];
  const app = createApp({
    config: parseConfig({ args: adminToken === null ? [] : ["--admin-token", adminToken], env: {}, readFile: () => "" }),
    fetch: (input) => (upstream.push(String(input)), Promise.resolve(new Response("{}"))),
    now: Date.now,
    log: createLogger({ format: "text", write: () => Promise.resolve(), now: Date.now }),
    store: { add: () => {} } as unknown as Store,
    pricer: createPricer(),
    probe: null,
  });
  return { app, upstream };
}

const get = (app: ReturnType<typeof appWith>["app"], path: string, headers: Record<string, string> = {}) =>
  app.fetch(new Request(`http://127.0.0.1${path}`, { headers }));

const index = ASSETS.find((a) => a.path === "/")!;
const script = ASSETS.find((a) => a.path.endsWith(".js"))!;
const style = ASSETS.find((a) => a.path.endsWith(".css"))!;

test("GET / is the dashboard page, without a token even when one is set; it names the hashed script and stylesheet", async () => {
  const { app } = appWith("s3cret");
  const res = await get(app, "/");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-cache");
  assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'; script-src 'self'/);
  const page = await res.text();
  assert.ok(page.includes(`src="${script.path}"`) && page.includes(`href="${style.path}"`), page);
  assert.match(script.path, /^\/dashboard\/app-[0-9a-f]{10}\.js$/);
  // The API behind it still needs the token.
  assert.equal((await get(app, "/api/usage", { host: "127.0.0.1" })).status, 401);
});

test("dashboard files: immutable caching, ETag → 304, gzip only when accepted, HEAD without a body", async () => {
  const { app } = appWith(null);
  for (const asset of [script, style]) {
    const plain = await get(app, asset.path);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(plain.headers.get("content-encoding"), null);
    assert.equal(plain.headers.get("vary"), "accept-encoding");
    assert.equal(await plain.text(), asset.text);
    const zipped = await get(app, asset.path, { "accept-encoding": "br, gzip" });
    assert.equal(zipped.headers.get("content-encoding"), "gzip");
    assert.equal(Number(zipped.headers.get("content-length")), asset.gzipBytes);
    assert.equal(gunzipSync(new Uint8Array(await zipped.arrayBuffer())).toString("utf8"), asset.text);
    const refused = await get(app, asset.path, { "accept-encoding": "gzip;q=0, identity" });
    assert.equal(refused.headers.get("content-encoding"), null);
    await refused.body?.cancel();
    const again = await get(app, asset.path, { "if-none-match": `W/"x", ${asset.etag}` });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), "");
    const head = await app.fetch(new Request(`http://127.0.0.1${asset.path}`, { method: "HEAD" }));
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  }
  const missing = await get(app, "/dashboard/app-0000000000.js");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "not_found");
});

test("the shipped dashboard stays small (≤ 300 KB gzipped) and loads nothing from another origin", () => {
  const total = ASSETS.reduce((s, a) => s + a.gzipBytes, 0);
  assert.ok(total <= 300 * 1024, `${total} bytes gzipped`);
  for (const asset of ASSETS) assert.doesNotMatch(asset.text, /https?:\/\/(?!www\.w3\.org)[a-z]/i, asset.path);
});

test("the dashboard's paths never shadow a provider route", async () => {
  for (const name of ["dashboard", "about"]) assert.ok(!PROVIDER_IDS.includes(name as never), name);
  const { app, upstream } = appWith(null);
  const res = await app.fetch(new Request("http://127.0.0.1/openai/v1/models"));
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "{}");
  assert.equal(upstream.length, 1);
  await app.drain(1000);
});

if (IS_BUN) {
  test("the committed src/dashboard/assets.gen.ts equals a fresh build", () => {
    const r = spawnSync(process.execPath, ["scripts/build-dashboard.ts", "--check"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
} else {
  test("the committed src/dashboard/assets.gen.ts equals a fresh build [skipped: the build uses Bun.build; runs under bun test]", {
    skip: "the build uses Bun.build",
  }, () => {});
}
