// The single executable: `bun build.ts` builds it offline, and the binary passes the smoke run that
// `bun build.ts --release` also runs (--version, serve, one metered request, SIGTERM).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { smokeRun } from "../scripts/smoke.ts";
import { hostBinary } from "./_helpers/binary.ts";
import { startKestrel } from "./_helpers/kestrel.ts";

test("bun build.ts compiles the binary (self-checks pass) and it prints its version", () => {
  const version = spawnSync(hostBinary(), ["--version"], { encoding: "utf8" });
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^kestrel \d+\.\d+\.\d+\+\w+ \(bun [\d.]+\)\nprices litellm-\d{4}-\d{2}-\d{2}\+k\d+ /);
});

test("the binary passes the release smoke run: serves, meters a request, stops cleanly on SIGTERM", async () => {
  const { version } = await smokeRun(hostBinary());
  assert.match(version, /^kestrel \d+\.\d+\.\d+\+\w+ \(bun /);
});

test("the binary serves the embedded dashboard and its assets without reading a file", async () => {
  const k = await startKestrel([], {}, { binary: hostBinary() });
  try {
    const page = await (await fetch(`${k.url}/`)).text();
    assert.match(page, /<title>Kestrel dashboard<\/title>/);
    const script = /src="(\/dashboard\/[^"]+\.js)"/.exec(page)?.[1];
    assert.ok(script, page);
    const res = await fetch(`${k.url}${script}`);
    assert.equal(res.status, 200);
    assert.ok((await res.arrayBuffer()).byteLength > 10_000);
  } finally {
    await k.stop();
  }
});
