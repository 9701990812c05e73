/**
 * Issue 25's request-side probe, measured before building it: `bun bench/request-probe-micro.ts` (also runs on
 * Deno). Per request body size, ns per body for (a) what Kestrel does today, TextDecoder + JSON.parse of the whole
 * body, and (b) a top-level walk over the bytes that finds `model`, `stream`, `user`, `stream_options` and
 * `max_tokens` without parsing the rest (src/json/probe.ts's valueEnd skips each other value), decoding only those.
 */
import { readString, valueEnd } from "../src/json/probe.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const WANTED = new Set(["model", "stream", "user", "stream_options", "max_tokens"]);

function walk(bytes: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let i = bytes.indexOf(0x7b);
  if (i < 0) return out;
  i++;
  const len = bytes.length;
  const space = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
  for (;;) {
    while (space(bytes[i]) || bytes[i] === 0x2c) i++;
    if (i >= len || bytes[i] !== 0x22) return out;
    const keyEnd = valueEnd(bytes, i);
    const key = readString(bytes, i);
    i = keyEnd;
    while (space(bytes[i])) i++;
    if (bytes[i] !== 0x3a) return out;
    i++;
    while (space(bytes[i])) i++;
    const end = valueEnd(bytes, i);
    if (end < 0) return out;
    if (key !== undefined && WANTED.has(key)) out[key] = JSON.parse(decoder.decode(bytes.subarray(i, end)));
    i = end;
  }
}

function body(messages: number, imageBytes: number): Uint8Array {
  const msgs = [];
  for (let k = 0; k < messages; k++) msgs.push({ role: k % 2 ? "assistant" : "user", content: "Tell me about the history of the Roman empire in some detail, please. ".repeat(3) });
  if (imageBytes > 0) msgs.push({ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64," + "A".repeat(imageBytes) } }] });
  return encoder.encode(JSON.stringify({ model: "gpt-4o-mini", messages: msgs, stream: true, stream_options: { include_usage: true }, user: "u-1", max_tokens: 512 }));
}

const cases: [string, Uint8Array][] = [
  ["bench body (1 message)", body(1, 0)],
  ["chat history (60 messages)", body(60, 0)],
  ["one 1 MB inline image", body(2, 1_000_000)],
];
for (const [name, bytes] of cases) {
  const n = Math.max(20, Math.round(2e7 / bytes.length));
  const time = (f: () => unknown) => {
    for (let k = 0; k < Math.min(n, 2000); k++) f();
    const t = performance.now();
    for (let k = 0; k < n; k++) f();
    return ((performance.now() - t) * 1e6) / n;
  };
  const results: number[][] = [[], []];
  for (let round = 0; round < 5; round++) {
    results[0]!.push(time(() => JSON.parse(decoder.decode(bytes))));
    results[1]!.push(time(() => walk(bytes)));
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[2]!;
  const [parse, probe] = [med(results[0]!), med(results[1]!)];
  console.log(`${name}, ${bytes.length.toLocaleString("en-US")} bytes: JSON.parse ${Math.round(parse).toLocaleString("en-US")} ns, top-level probe ${Math.round(probe).toLocaleString("en-US")} ns (${(parse / probe).toFixed(2)}×)`);
}
