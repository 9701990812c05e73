// A long /api/usage read does not delay a proxied stream (issue 24): Kestrel serves a database whose rollup makes
// the report take hundreds of milliseconds, while a stream passes an event every 10 ms. The arrival times of the
// stream's events during the reads show no pause near the read's length: the report runs on the reader worker
// (src/store/worker/read-client.ts), and the event loop only awaits it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createStore } from "../../src/store/store.ts";
import { type Kestrel, startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { type Mock, sleep, startMock } from "../_helpers/mock-upstream.ts";
import { BULK_PROJECT, bulkRollup } from "../store/bulk.ts";
import { runtimeDriver } from "../store/helpers.ts";

const EVENTS = 300;
const DAY = new Date().toISOString().slice(0, 10);
const USAGE = `/api/usage?group_by=model&since=${DAY}&project=${BULK_PROJECT}`; // the quarter-hour rollup
const chunk = (i: number) =>
  `data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"t${i}"},"finish_reason":null}],"usage":null}\n\n`;

let mock: Mock;
let kestrel: Kestrel;

before(async () => {
  const path = join(tempDir(), "big.db");
  const { open } = await runtimeDriver();
  await createStore(open(path)).close(); // the schema
  const db = open(path);
  bulkRollup(db, 300_000, DAY);
  db.close();
  mock = await startMock(async (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (let i = 0; i < EVENTS && !res.destroyed; i++) {
      res.write(chunk(i));
      await sleep(10);
    }
    res.end("data: [DONE]\n\n");
  });
  kestrel = await startKestrel(["--store", `sqlite:${path}`, "--upstream", `openai=${mock.url}`]);
});

after(async () => {
  await kestrel?.stop();
  await mock?.close();
});

async function timedUsage(): Promise<number> {
  const start = performance.now();
  const res = await fetch(kestrel.url + USAGE);
  const body = (await res.json()) as { total: { requests: number } };
  assert.equal(body.total.requests, 300_000);
  return performance.now() - start;
}

test("a stream's events keep arriving every ~10 ms while /api/usage reads for hundreds of ms", async () => {
  await timedUsage(); // warm: the worker's connection and page cache
  const res = await fetch(`${kestrel.url}/openai/v1/chat/completions`, { method: "POST", body: "{}" });
  const reader = res.body!.getReader();
  const arrivals: number[] = [];
  const reading = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) arrivals.push(performance.now());
  })();
  await sleep(300);
  const from = performance.now();
  const reads: number[] = [];
  for (let i = 0; i < 3; i++) reads.push(await timedUsage());
  const to = performance.now();
  await reading;
  let gap = 0;
  for (let i = 1; i < arrivals.length; i++) {
    if (arrivals[i]! >= from && arrivals[i - 1]! <= to) gap = Math.max(gap, arrivals[i]! - arrivals[i - 1]!);
  }
  const detail = JSON.stringify({ reads: reads.map(Math.round), gap: Math.round(gap), events: arrivals.length });
  assert.ok(Math.min(...reads) >= 150, `each read should be long enough to show a stall: ${detail}`);
  assert.ok(gap < Math.min(100, Math.min(...reads) / 2), `the stream paused during a read: ${detail}`);
});
