// Every fixture through the pass-through body exactly as the proxy wires it: the client receives the upstream
// bytes unchanged (same order, same content) under every chunking, and the meter still reads the usage.
import assert from "node:assert/strict";
import { test } from "node:test";
import { byteAtATime, seededSplits, splitAt } from "../_chunking.ts";
import { type BodyEnd, meterBody } from "../../src/meter/body.ts";
import { createMeter, type MeterOutcome } from "../../src/meter/meter.ts";
import { accumulatorFor, facts } from "../providers/_feed.ts";
import { EXPECTED, load, MANIFEST, ROUTES } from "../providers/_fixture-table.ts";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!.slice());
      else controller.close();
    },
  });
}

async function drain(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

for (const [index, entry] of MANIFEST.entries()) {
  if (entry.file.endsWith(".chunks.txt") && entry.provider_api !== "bedrock-converse") continue;
  test(`client bytes identical and usage read: ${entry.file}`, async () => {
    const route = ROUTES[entry.file.slice(0, entry.file.indexOf("/"))]!;
    const { bytes, framing } = load(entry);
    const chunkings: [string, Uint8Array[]][] = [
      ["whole", [bytes]],
      ["halves", splitAt(bytes, bytes.length >> 1)],
      ["byte at a time", byteAtATime(bytes)],
      ...[...seededSplits(bytes, index + 7, 3)].map((c, k): [string, Uint8Array[]] => [`seeded ${k}`, c]),
    ];
    for (const [name, chunks] of chunkings) {
      const acc = accumulatorFor(facts(route.provider, entry.streaming ? route.stream : route.json, { query: route.query ?? "" }));
      acc.onResponse?.(200, new Headers());
      const meter = createMeter(framing, acc);
      let ended: BodyEnd | null = null;
      let result: MeterOutcome | null = null;
      const out = await drain(meterBody(streamOf(chunks), {
        chunk(chunk) {
          meter.push(chunk);
          return chunk;
        },
        end(how) {
          ended = how;
          result = meter.end(how === "complete");
        },
      }));
      assert.deepEqual(out, bytes, `bytes ${entry.file} (${name})`);
      assert.equal(ended, "complete");
      assert.deepEqual(result!.usage, EXPECTED[entry.file]!.usage, `usage ${entry.file} (${name})`);
    }
  });
}

test("a cancelled body reports `cancelled` once and cancels the source", async () => {
  let cancelled = false;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array([1, 2, 3]));
    },
    cancel() {
      cancelled = true;
    },
  });
  const ends: BodyEnd[] = [];
  const body = meterBody(source, { chunk: (c) => c, end: (how) => void ends.push(how) });
  const reader = body.getReader();
  await reader.read();
  await reader.cancel("client left");
  assert.deepEqual(ends, ["cancelled"]);
  assert.equal(cancelled, true);
});

test("a failing source reports `failed` and errors the client stream", async () => {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array([1]));
    },
    pull(controller) {
      controller.error(new Error("reset"));
    },
  });
  const ends: [BodyEnd, unknown][] = [];
  const body = meterBody(source, { chunk: (c) => c, end: (how, error) => void ends.push([how, error]) });
  await assert.rejects(drain(body), (reason) => reason === undefined); // nothing for the runtime to print raw
  assert.equal(ends.length, 1);
  assert.equal(ends[0]![0], "failed");
  assert.match(String(ends[0]![1]), /reset/);
});

test("an observer that swallows a whole chunk does not stall the stream", async () => {
  const body = meterBody(streamOf([new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])]), {
    chunk: (c) => (c[0] === 2 ? new Uint8Array(0) : c),
    end: () => {},
  });
  assert.deepEqual([...await drain(body)], [1, 3]);
});
