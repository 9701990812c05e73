import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { until } from "../_helpers/poll.ts";
import { drivers, withTempDir } from "./helpers.ts";

const CHILD = fileURLToPath(new URL("./kill-child.ts", import.meta.url));
const BURST = 250; // kill-child.ts
const IS_BUN = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

/** Runs the writer child, SIGKILLs it once it has committed `minRows` rows (read through our own connection). */
async function writeThenKill(
  path: string,
  driver: string,
  round: number,
  countRows: () => number,
  minRows: number,
): Promise<void> {
  const childArgs = [CHILD, path, driver, String(round)];
  const args = IS_BUN ? childArgs : ["run", "-A", ...childArgs];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Uint8Array) => {
      if (String(chunk).includes("ready")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`child exited early with code ${code}`)));
  });
  await until(`${minRows} committed rows`, () => countRows() >= minRows, { detail: () => `${countRows()} rows` });
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL");
}

for (const { name, open, test } of await drivers()) {
  test(`${name}: after kill -9 mid-write the file is intact and holds only whole batches`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "k.db");
      for (let round = 0; round < 3; round++) {
        const countRows = () => {
          const db = open(path, { readonly: true });
          try {
            return Number(db.prepare("SELECT COUNT(*) AS n FROM requests").get()?.n ?? 0);
          } finally {
            db.close();
          }
        };
        await writeThenKill(path, name, round, countRows, (round + 1) * 20 * BURST);
        const db = open(path);
        assert.deepEqual(db.prepare("PRAGMA integrity_check").all(), [{ integrity_check: "ok" }]);
        const bursts = db.prepare<{ project: string; n: number }>(
          "SELECT project, COUNT(*) AS n FROM requests GROUP BY project",
        ).all();
        assert.ok(bursts.length >= (round + 1) * 20);
        for (const b of bursts) assert.equal(b.n, BURST, `${b.project} is partial`);
        db.close();
      }
    });
  });
}
