/**
 * Child for kill.test.ts: writes bursts of BURST records (project = round + burst number) through a store,
 * one transaction per burst, until killed. Prints "ready" after the first commit.
 * Args: <db path> <bun:sqlite|node:sqlite> <round>
 */
import type { OpenSqlite } from "../../src/store/db.ts";
import { createStore } from "../../src/store/store.ts";
import { makeFact } from "./helpers.ts";
import { addFact } from "../../src/usage/fact.ts";

export const BURST = 250;

const [path, driver, round] = process.argv.slice(-3) as [string, string, string];
const open: OpenSqlite = driver === "bun:sqlite"
  ? (await import("../../src/entry/sqlite-bun.ts")).openSqlite
  : (await import("../../src/entry/sqlite-node.ts")).openSqlite;
const store = createStore(open(path), { batchSize: 1000, flushIntervalMs: 60_000 });

// Fresh ids per round, so a later round can never complete a burst an earlier round left partial.
for (let burst = 0, i = Number(round) * 10_000_000;; burst++) {
  for (let k = 0; k < BURST; k++, i++) addFact(store, makeFact(i, { project: `r${round}-burst-${burst}` }));
  await store.flush();
  if (burst === 0) process.stdout.write("ready\n");
}
