// Property: whatever the sequence of messages (text or binary, any size, fragmented or not, either direction),
// each side of a realtime session receives byte for byte what the other sent, in order, through a real Kestrel.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { until } from "../_helpers/poll.ts";
import { openClient } from "../_helpers/ws-client.ts";
import { type MockWsUpstream, startWsMock } from "../_helpers/ws-mock.ts";
import { runs } from "./_runs.ts";

let mock: MockWsUpstream;
let k: Kestrel;

before(async () => {
  mock = await startWsMock();
  k = await startKestrel(["--upstream", `openai=${mock.url}`]);
});

after(async () => {
  await k.stop();
  await mock.close();
});

type Msg = { down: boolean; text: boolean; text_: string; bytes: Uint8Array; fragments: number };

/** Sizes around the frame-length classes (125/126, 65535/65536) and some larger. */
const size = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 65530, max: 65540 }), fc.integer({ min: 0, max: 300_000 }));
const message: fc.Arbitrary<Msg> = fc.record({
  down: fc.boolean(),
  text: fc.boolean(),
  text_: fc.string({ unit: "grapheme", maxLength: 400 }),
  bytes: size.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
  fragments: fc.integer({ min: 1, max: 5 }),
});

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("every message arrives unchanged, in order, both ways", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 12 }), async (messages) => {
      const next = mock.next();
      // The query makes this a metered OpenAI Realtime session: the meter sees every frame and changes none.
      const client = await openClient(`${k.url.replace(/^http/, "ws")}/openai/v1/realtime?model=gpt-realtime`);
      const upstream = await next;
      const wantDown: string[] = [];
      const wantUp: string[] = [];
      for (const m of messages) {
        const payload = m.text ? m.text_ : m.bytes;
        const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
        const expect = `${m.text ? "t" : "b"}:${hex(bytes)}`;
        if (m.down) {
          upstream.send(payload, { binary: !m.text, fragments: m.fragments });
          wantDown.push(expect);
        } else {
          client.ws.send(payload as string | Uint8Array<ArrayBuffer>);
          wantUp.push(expect);
        }
      }
      await client.waitFor(wantDown.length);
      await upstream.waitFor(wantUp.length);
      const gotDown = client.messages.map((m) => `${m.text ? "t" : "b"}:${hex(typeof m.data === "string" ? new TextEncoder().encode(m.data) : m.data)}`);
      const gotUp = upstream.received.map((m) => `${m.text ? "t" : "b"}:${hex(m.data)}`);
      client.ws.close(1000);
      await until("the session to close", () => upstream.closed.then(() => true));
      assert.deepEqual(gotDown, wantDown);
      assert.deepEqual(gotUp, wantUp);
    }),
    runs(15, 200),
  );
});
