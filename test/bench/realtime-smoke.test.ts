/**
 * The realtime bench cannot rot: `bun bench/realtime.ts --quick` (a few thousand frames each way through Kestrel
 * and the bare relay, loopback only) exits 0 and prints its table. The child is always Bun. No timing is asserted.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("the realtime bench's quick mode runs and prints both directions", { timeout: 120_000 }, async () => {
  const child = spawn(`${ROOT}node_modules/.bin/bun`, ["bench/realtime.ts", "--quick"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (out += d.toString("utf8")));
  const code = await new Promise((resolve) => child.once("close", resolve));
  assert.equal(code, 0, out);
  assert.match(out, /\| upstream → client, audio deltas/);
  assert.match(out, /\| client → upstream, audio appends/);
});
