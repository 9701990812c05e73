// Property: AWS event-stream frames encoded by src/eventstream/encoder.ts decode to the same messages at any
// chunking; a corrupted stream is reported through onError, never thrown, and the frames before the damage survive.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createEventStreamDecoder } from "../../src/eventstream/decoder.ts";
import { encodeEventStreamMessage } from "../../src/eventstream/encoder.ts";
import type { EventStreamError } from "../../src/eventstream/types.ts";
import { runs } from "./_runs.ts";

const dec = new TextDecoder();
type Msg = { headers: Record<string, string>; payload: string };

const message = fc.record({
  headers: fc.dictionary(fc.stringMatching(/^[:a-z-]{1,20}$/), fc.string({ maxLength: 30 }), { maxKeys: 4 }),
  payload: fc.string({ maxLength: 200 }),
});

function encodeAll(messages: Msg[]): { bytes: Uint8Array; ends: number[] } {
  const frames = messages.map((m) => encodeEventStreamMessage(m.headers, new TextEncoder().encode(m.payload)));
  const bytes = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  const ends: number[] = [];
  let at = 0;
  for (const f of frames) {
    bytes.set(f, at);
    at += f.length;
    ends.push(at);
  }
  return { bytes, ends };
}

function decodeAll(bytes: Uint8Array, cuts: number[]): { messages: Msg[]; errors: EventStreamError[] } {
  const messages: Msg[] = [];
  const errors: EventStreamError[] = [];
  const decoder = createEventStreamDecoder({
    onMessage: (m) => messages.push({ headers: m.headers as Record<string, string>, payload: dec.decode(m.payload) }),
    onError: (e) => errors.push(e),
  });
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const c of [...at, bytes.length]) {
    decoder.push(bytes.subarray(from, c));
    from = c;
  }
  decoder.end();
  return { messages, errors };
}

/** What a decoded message is compared as: fast-check dictionaries may carry a __proto__ key. */
const plain = (ms: Msg[]) => ms.map((m) => ({ headers: { ...m.headers }, payload: m.payload }));

test("event stream: encode → decode round-trips at any chunking", () => {
  fc.assert(
    fc.property(fc.array(message, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (messages, cuts) => {
      const { bytes } = encodeAll(messages);
      const got = decodeAll(bytes, cuts);
      assert.deepEqual(got.errors, []);
      assert.deepEqual(plain(got.messages), plain(messages));
    }),
    runs(200),
  );
});

test("event stream: a corrupted or cut stream is reported, never thrown; frames before the damage survive", () => {
  fc.assert(
    fc.property(
      fc.array(message, { minLength: 1, maxLength: 5 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      fc.boolean(),
      fc.array(fc.nat(), { maxLength: 6 }),
      (messages, where, flip, cut, cuts) => {
        const { bytes, ends } = encodeAll(messages);
        const at = where % bytes.length;
        const damaged = cut ? bytes.subarray(0, at) : bytes.slice();
        if (!cut) damaged[at] = damaged[at]! ^ flip;
        const got = decodeAll(damaged, cuts); // must not throw
        const intact = ends.filter((e) => e <= at).length; // frames wholly before the damage
        assert.deepEqual(plain(got.messages.slice(0, intact)), plain(messages.slice(0, intact)));
        // The damaged frame itself is never delivered as if it were whole: something is reported.
        // A cut exactly between frames leaves a valid shorter stream; any other damage is reported.
        const clean = cut && (at === 0 || ends.includes(at));
        if (!clean && intact < messages.length) assert.ok(got.errors.length > 0, "the damage is reported");
        assert.ok(got.messages.length <= messages.length);
      },
    ),
    runs(300),
  );
});
