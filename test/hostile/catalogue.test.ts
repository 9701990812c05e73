// The hostile-input catalogue: every case goes through a real Kestrel process over sockets, against a raw upstream
// that sends whatever bytes the case chooses. For each case: the client gets the upstream's bytes or a Kestrel JSON
// error, /health still answers, and (checked once at the end, over all cases) a record exists exactly where a
// provider route was reached, the fake key is nowhere in the log, the database or the exports, and the process's
// memory stayed bounded. Cases live in _upstream-cases.ts and _client-cases.ts; docs/architecture.md §9.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { until } from "../_helpers/poll.ts";
import { IS_BUN } from "../_helpers/runtime.ts";
import { actOf, ADMIN, type Case, checkRecord, KEY, runCase } from "./_case.ts";
import { CLIENT_CASES } from "./_client-cases.ts";
import { startRawUpstream, type UpstreamAct } from "./_sockets.ts";
import { UPSTREAM_CASES } from "./_upstream-cases.ts";

const CASES: Case[] = [...UPSTREAM_CASES, ...CLIENT_CASES];
const ids = CASES.map((_, i) => `h${String(i).padStart(3, "0")}`);
const PROVIDERS = ["openai", "anthropic", "aws-bedrock", "azure-openai", "google-ai-studio", "google-vertex-ai"];
const auth = { authorization: `Bearer ${ADMIN}` };
/** The log formatter is runtime-independent: each runtime's run covers one of the two formats. */
const LOG_FORMAT = IS_BUN ? "text" : "json";

let k: Kestrel;
let upstream: Awaited<ReturnType<typeof startRawUpstream>>;
let rssBefore = 0;

/** Resident memory of the Kestrel process in KiB (Linux /proc; 0 elsewhere). */
function rssKiB(pid: number): number {
  const path = `/proc/${pid}/status`;
  if (!existsSync(path)) return 0;
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(path, "utf8"))?.[1] ?? 0);
}

before(async () => {
  const acts = new Map<string, UpstreamAct>();
  CASES.forEach((c, i) => {
    const act = actOf(c);
    if (act) acts.set(ids[i]!, act);
  });
  upstream = await startRawUpstream(acts);
  const overrides = PROVIDERS.flatMap((p) => ["--upstream", `${p}=${upstream.url}`]);
  k = await startKestrel([...overrides, "--idle-timeout", "1500ms", "--admin-token", ADMIN, "--log-format", LOG_FORMAT]);
  rssBefore = rssKiB(k.proc.pid!);
});

after(async () => {
  await k?.stop();
  await upstream?.close();
});

test(`the catalogue holds at least 80 cases (${CASES.length})`, () => {
  assert.ok(CASES.length >= 80);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, "case names are unique");
});

CASES.forEach((c, i) => {
  test(`hostile: ${c.name}`, async () => {
    await runCase(k.url, ids[i]!, c);
    const health = await fetch(`${k.url}/health`);
    assert.equal(health.status, 200, `${c.name}: /health after the case`);
    await health.arrayBuffer();
  });
});

test("hostile: one record exactly where a provider route was reached, each as the case expects", async () => {
  // "if-reached" cases owe a record once their upstream saw them: wait for those too, or a slow flush reads as 0.
  const reached = (i: number) => (upstream.hits.get(ids[i]!) ?? 0) > 0;
  const expected = CASES.map((c, i) => (c.record === false || (c.record === "if-reached" && !reached(i)) ? null : ids[i]!))
    .filter((x) => x !== null);
  let records: Record<string, unknown>[] = [];
  await until("every expected record", async () => {
    const res = await fetch(`${k.url}/api/export?format=ndjson`, { headers: auth });
    records = (await res.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const tags = new Set(records.map((r) => (r.tags as string[])[0]));
    return expected.every((id) => tags.has(id));
  }, { everyMs: 200, detail: () => `missing ${expected.filter((id) => !records.some((r) => (r.tags as string[])[0] === id)).map((id) => CASES[ids.indexOf(id)]!.name).join("; ")}` });
  const failures: string[] = [];
  CASES.forEach((c, i) => {
    try {
      checkRecord(ids[i]!, c, records, reached(i));
    } catch (e) {
      failures.push((e as Error).message);
    }
  });
  assert.deepEqual(failures, []);
});

test("hostile: the key is nowhere in the log, the database or the exports", async () => {
  const exports = await Promise.all(["csv", "json", "ndjson"].map(async (f) => (await fetch(`${k.url}/api/export?format=${f}`, { headers: auth })).text()));
  const listed = await (await fetch(`${k.url}/api/requests?limit=1000`, { headers: auth })).text();
  const db = [k.db, `${k.db}-wal`].filter(existsSync).map((f) => readFileSync(f).toString("latin1")).join("");
  const haystacks = { log: k.lines.join("\n") + k.stderr(), db, exports: exports.join("\n"), api: listed };
  const fragment = KEY.slice(3, 13); // "HOSTILEKEY"
  for (const [where, text] of Object.entries(haystacks)) {
    const at = text.indexOf(fragment);
    assert.ok(at < 0, `the key leaked into the ${where}: …${text.slice(Math.max(0, at - 150), at + 150)}…`);
  }
});

// One name on both runtimes (the runners' test lists are compared); the format is text on Bun, JSON on Deno.
test("hostile: every log line is one whole entry (nothing a case sent could forge or split a line)", () => {
  for (const line of k.lines) {
    if (line === "") continue;
    if (LOG_FORMAT === "json") assert.doesNotThrow(() => JSON.parse(line), `not one JSON line: ${line.slice(0, 200)}`);
    else assert.match(line, /^\[\d\d:\d\d:\d\d (?:INF|WRN|ERR|DBG)\] /, `not one text log line: ${line.slice(0, 200)}`);
  }
});

test("hostile: memory stayed bounded over the catalogue", () => {
  const rssAfter = rssKiB(k.proc.pid!);
  if (rssBefore === 0) return; // no /proc here
  // Generous: cases push 20 MB bodies through; a leak of whole bodies per case would be hundreds of MB (measured: +65 MiB on Bun, +98 MiB on Deno).
  assert.ok(rssAfter - rssBefore < 256 * 1024, `RSS grew from ${rssBefore} KiB to ${rssAfter} KiB`);
});
