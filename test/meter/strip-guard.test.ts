// A failing usage strip never reaches the client: the meter still reads every event and records why, and the
// client's stream goes on with the upstream's bytes unedited (through the real pass-through body).
import assert from "node:assert/strict";
import { test } from "node:test";
import { meterBody } from "../../src/meter/body.ts";
import { createMeter } from "../../src/meter/meter.ts";
import { createUsageStrip, guardStrip, type UsageStrip } from "../../src/meter/usage-strip.ts";
import { accumulatorFor, facts } from "../providers/_feed.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const STREAM = [
  'data: {"id":"c","model":"gpt-4o-mini","choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n',
  'data: {"id":"c","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}\n\n',
  "data: [DONE]\n\n",
];

/** The first chunk as the client sees it through a working strip: the injected `"usage":null` cut out. */
const FIRST_EDITED = STREAM[0]!.replace(',"usage":null', "");

const chatAccumulator = () => accumulatorFor(facts("openai", "/v1/chat/completions", { body: { stream: true } }));

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(encoder.encode(chunks[i++]!));
      else controller.close();
    },
  });
}

/** A real strip whose `where` method throws from the `at`-th call on. */
function failingStrip(where: "onEvent" | "chunk" | "flush", at: number): UsageStrip {
  const inner = createUsageStrip();
  let calls = 0;
  const boom = () => {
    if (++calls >= at) throw new Error(`${where} broke`);
  };
  return {
    onEvent: (e) => (where === "onEvent" && boom(), inner.onEvent(e)),
    chunk: (c, s) => {
      if (where !== "chunk" || calls + 1 < at) {
        if (where === "chunk") calls++;
        return inner.chunk(c, s);
      }
      inner.chunk(c, 0); // takes the chunk first, as the contract says, releases nothing, then fails
      boom();
      return new Uint8Array(0);
    },
    flush: () => (where === "flush" && boom(), inner.flush()),
    abandon: () => inner.abandon(),
  };
}

/** Proxies STREAM through meter + guarded strip + pass-through body, as src/routes/proxy.ts does. */
async function proxy(strip: UsageStrip) {
  const failures: string[] = [];
  const guarded = guardStrip(strip, (m) => failures.push(m));
  const meter = createMeter("sse", chatAccumulator(), { onEvent: guarded.onEvent });
  let ended = "";
  const body = meterBody(streamOf(STREAM), {
    chunk(chunk) {
      meter.push(chunk);
      return guarded.chunk(chunk, meter.settled());
    },
    flush: () => guarded.flush(),
    end: (how) => void (ended = how),
  });
  const text = await new Response(body).text();
  return { text, ended, failures, result: meter.end(ended === "complete") };
}

for (const [where, at] of [["onEvent", 1], ["onEvent", 2], ["chunk", 1], ["chunk", 2], ["chunk", 3], ["flush", 1]] as const) {
  test(`a strip failing in ${where} (call ${at}) leaves the client stream whole and the usage read`, async () => {
    const { text, ended, failures, result } = await proxy(failingStrip(where, at));
    assert.equal(ended, "complete");
    assert.equal(failures.length, 1);
    assert.match(failures[0]!, new RegExp(`^usage strip: ${where} broke$`));
    // Bytes already edited stay edited; from the failure on the client gets the upstream's bytes, none lost.
    assert.ok(text.endsWith("data: [DONE]\n\n"), text);
    assert.ok(text.startsWith(STREAM[0]!) || text.startsWith(FIRST_EDITED), text);
    assert.equal(result.usage?.total_tokens, 7);
  });
}

test("the meter reads an event even when the tap before it throws, and records why", () => {
  const meter = createMeter("sse", chatAccumulator(), {
    onEvent: () => {
      throw new Error("tap broke");
    },
  });
  for (const chunk of STREAM) meter.push(encoder.encode(chunk));
  const result = meter.end(true);
  assert.equal(result.usage?.total_tokens, 7);
  assert.match(result.usageError!, /tap broke/);
});

test("a strip that works is unchanged by the guard", async () => {
  const { text, failures, result } = await proxy(createUsageStrip());
  assert.deepEqual(failures, []);
  assert.equal(text, FIRST_EDITED + STREAM[2]!);
  assert.equal(result.usage?.total_tokens, 7);
  assert.equal(decoder.decode(new Uint8Array(0)), "");
});
