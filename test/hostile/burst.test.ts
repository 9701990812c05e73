// The hostile catalogue's connection-level cases all at once: each picked case runs 12 times concurrently against
// one Kestrel. Afterwards every exchange has exactly its record, /health answers, and no upstream connection is
// left open behind a cut exchange.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { test } from "node:test";
import { startKestrel } from "../_helpers/kestrel.ts";
import { until } from "../_helpers/poll.ts";
import { actOf, ADMIN, type Case, checkRecord, runCase } from "./_case.ts";
import { CLIENT_CASES } from "./_client-cases.ts";
import { socketsTo, startRawUpstream, type UpstreamAct } from "./_sockets.ts";
import { UPSTREAM_CASES } from "./_upstream-cases.ts";

const PICKED = [
  "baseline SSE", "SSE reset mid-stream, chunked", "SSE stream that never ends", "never sends headers", "resets before headers",
  "TLS-style garbage instead of HTTP", "JSON truncated", "event stream: cut inside a frame", "client leaves mid-body",
  "client leaves while the upstream thinks", "client leaves mid-stream", "client that never reads a 64 MB stream, then leaves",
  "JSON upload that stalls", "Expect: 100-continue",
];
const ALL = [...UPSTREAM_CASES, ...CLIENT_CASES];
const REPEAT = 12;
const runsOf: { id: string; c: Case }[] = PICKED.flatMap((name, n) => {
  const c = ALL.find((x) => x.name === name);
  if (!c) throw new Error(`no case named ${name}`);
  return Array.from({ length: REPEAT }, (_, i) => ({ id: `b${n}x${i}`, c }));
});

const fdsOf = (pid: number) => (existsSync(`/proc/${pid}/fd`) ? readdirSync(`/proc/${pid}/fd`).length : 0);

test(`hostile burst: ${PICKED.length} cases × ${REPEAT} at once, every record written, no upstream socket left behind`, async () => {
  const acts = new Map<string, UpstreamAct>();
  for (const { id, c } of runsOf) {
    const act = actOf(c);
    if (act) acts.set(id, act);
  }
  const upstream = await startRawUpstream(acts);
  const overrides = ["openai", "aws-bedrock"].flatMap((p) => ["--upstream", `${p}=${upstream.url}`]);
  const k = await startKestrel([...overrides, "--idle-timeout", "1500ms", "--admin-token", ADMIN], { BUN_CONFIG_MAX_HTTP_REQUESTS: "4096" });
  try {
    const pid = k.proc.pid!;
    await (await fetch(`${k.url}/health`)).arrayBuffer();
    const fdsBefore = fdsOf(pid);
    const failures = (await Promise.allSettled(runsOf.map(({ id, c }) => runCase(k.url, id, c))))
      .flatMap((r, i) => (r.status === "rejected" ? [`${runsOf[i]!.id}: ${(r.reason as Error).message}`] : []));
    assert.deepEqual(failures, []);
    assert.equal((await fetch(`${k.url}/health`)).status, 200);

    const expected = runsOf.filter(({ c }) => c.record !== false && c.record !== "if-reached").map(({ id }) => id);
    let records: Record<string, unknown>[] = [];
    await until("every record of the burst", async () => {
      const res = await fetch(`${k.url}/api/export?format=ndjson`, { headers: { authorization: `Bearer ${ADMIN}` } });
      records = (await res.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const tags = new Set(records.map((r) => (r.tags as string[])[0]));
      return expected.every((id) => tags.has(id));
    }, { everyMs: 200 });
    const wrong: string[] = [];
    for (const { id, c } of runsOf) {
      try {
        checkRecord(id, c, records, (upstream.hits.get(id) ?? 0) > 0);
      } catch (e) {
        wrong.push(`${id}: ${(e as Error).message}`);
      }
    }
    assert.deepEqual(wrong, []);
    // Every cut exchange must let go of its upstream connection (a leak would leave one per cut, ~100 here).
    // Client-side keep-alive connections are the test's own pool, and Deno.serve never closes idle ones
    // (docs/architecture.md §11), so they are not counted.
    const upstreamPort = Number(new URL(upstream.url).port);
    if (socketsTo(pid, upstreamPort) !== null) {
      await until("no upstream connection left open", () => socketsTo(pid, upstreamPort)! <= 4, { detail: () => `${socketsTo(pid, upstreamPort)} open, fds ${fdsBefore} → ${fdsOf(pid)}` });
    }
  } finally {
    await k.stop();
    await upstream.close();
  }
});
