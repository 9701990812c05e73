/** Hostile upstreams: what a provider (or something pretending to be one) can send back. */
import { gzipSync } from "node:zlib";
import { crc32 } from "../../src/eventstream/crc32.ts";
import { encodeEventStreamFrame, encodeEventStreamMessage, encodeStringHeaders } from "../../src/eventstream/encoder.ts";
import { IS_BUN } from "../_helpers/runtime.ts";
import type { Case } from "./_case.ts";
import type { Reply } from "./_sockets.ts";

const usage = (u: unknown) => JSON.stringify({ id: "c1", model: "gpt-4o-mini", choices: [], usage: u });
const OK = usage({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });

/** A JSON answer with a truthful Content-Length unless `headers` says otherwise. */
function json(body: string | Uint8Array, headers: Record<string, string | string[]> = {}, status = 200): Reply {
  const length = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  return { status, headers: { "content-type": "application/json", "content-length": String(length), ...headers }, parts: [body] };
}

/** A close-delimited event stream. */
const sse = (parts: (string | Uint8Array)[], extra: Partial<Reply> = {}): Reply => ({
  headers: { "content-type": "text/event-stream" },
  parts,
  ...extra,
});

const CHUNK = (content: string) => `data: ${JSON.stringify({ id: "c1", model: "gpt-4o-mini", choices: [{ index: 0, delta: { content } }] })}\n\n`;
const USAGE_CHUNK = `data: ${usage({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 })}\n\n`;
const STREAM_OK = [CHUNK("a"), CHUNK("b"), USAGE_CHUNK, "data: [DONE]\n\n"];

const MB = 1024 * 1024;
const BEDROCK = "/aws-bedrock/bedrock-runtime/us-east-1/model/amazon.nova-pro-v1:0/converse-stream";
const ES = "application/vnd.amazon.eventstream";
const enc = new TextEncoder();
const esEvent = (type: string, payload: unknown) =>
  encodeEventStreamMessage({ ":message-type": "event", ":event-type": type, ":content-type": "application/json" }, enc.encode(JSON.stringify(payload)));
const ES_META = esEvent("metadata", { usage: { inputTokens: 5, outputTokens: 6, totalTokens: 11 }, metrics: { latencyMs: 1 } });
const ES_OK = [esEvent("messageStart", { role: "assistant" }), esEvent("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x" } }), esEvent("messageStop", { stopReason: "end_turn" }), ES_META];

/** A frame with one byte flipped at `at` (negative: from the end). */
function corrupt(frame: Uint8Array, at: number): Uint8Array {
  const out = frame.slice();
  const i = at < 0 ? out.length + at : at;
  out[i] = out[i]! ^ 0xff;
  return out;
}

function withPrelude(total: number, headersLength: number): Uint8Array {
  const f = encodeEventStreamFrame(encodeStringHeaders({ ":event-type": "x" }), enc.encode("{}")).slice();
  new DataView(f.buffer).setUint32(0, total);
  new DataView(f.buffer).setUint32(4, headersLength);
  return f; // the prelude CRC is now wrong too, as a forged length would make it
}

/** A valid prelude (its CRC right) announcing `total` bytes, as an upstream about to send a huge frame would. */
function bigPrelude(total: number): Uint8Array {
  const p = new Uint8Array(12);
  const view = new DataView(p.buffer);
  view.setUint32(0, total);
  view.setUint32(4, 0);
  view.setUint32(8, crc32(p, 0, 8));
  return p;
}

/** A frame whose one header has value type `type` (not a string), and value bytes as given. */
function headerTyped(type: number, value: number[]): Uint8Array {
  const name = enc.encode(":odd");
  const block = new Uint8Array([name.length, ...name, type, ...value]);
  return encodeEventStreamFrame(block, enc.encode("{}"));
}

const ANTHROPIC = "/anthropic/v1/messages";
const anthropicStream = (start: unknown, delta: unknown) => [
  `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { id: "m", model: "claude-sonnet-4-5", usage: start } })}\n\n`,
  `event: message_delta\ndata: ${JSON.stringify({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: delta })}\n\n`,
  `event: message_stop\ndata: {"type":"message_stop"}\n\n`,
];

const ok = { outcome: "ok" };
const notOk = { outcome: /upstream_aborted|error|upstream_error/ };

export const UPSTREAM_CASES: Case[] = [
  // Well-formed baselines, so a broken harness shows as a failing baseline, not as hostile cases passing.
  { name: "baseline JSON", upstream: json(OK), status: 200, bodyIs: "upstream", record: { ...ok, usageError: null, check: (r) => r.total_tokens === 7 || fail(r) } },
  { name: "baseline SSE", upstream: sse(STREAM_OK), status: 200, bodyIs: "upstream", record: { ...ok, usageError: null } },
  { name: "baseline event stream", path: BEDROCK, upstream: { headers: { "content-type": ES }, parts: ES_OK }, status: 200, bodyIs: "upstream", record: { ...ok, usageError: null } },

  // SSE framing
  { name: "SSE truncated mid-event", upstream: sse([CHUNK("a"), 'data: {"id":"c1","cho']), status: 200, bodyIs: "upstream", record: { ...notOk, usageError: /./ } },
  // Bun's fetch ends a close-delimited body cleanly on a reset once bytes have arrived (the client, too, sees a
  // clean end); Deno's reports the reset. Either way the stream lacks its `data: [DONE]`, so it is a dropped stream
  // on both. A chunked body tells a cut from an end on both. Under load the cut can come before the server has
  // sent the head, and the client then sees the connection close with no answer (0).
  { name: "SSE reset mid-stream, close-delimited", upstream: sse([CHUNK("a"), CHUNK("b")], { end: "reset", gapMs: 20 }), status: 200, bodyIs: "prefix", record: { outcome: "upstream_aborted", usageError: /./ } },
  { name: "SSE reset mid-stream, chunked", upstream: { headers: { "content-type": "text/event-stream", "transfer-encoding": "chunked" }, parts: [CHUNK("a"), CHUNK("b")].map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`), end: "reset", gapMs: 20 }, status: [0, 200], bodyIs: "any", record: { outcome: "upstream_aborted", usageError: /./ } },
  { name: "SSE with no blank line at the end", upstream: sse([CHUNK("a"), USAGE_CHUNK.trimEnd()]), status: 200, bodyIs: "upstream", record: {} },
  { name: "SSE event past the 16 MiB cap", upstream: sse([`data: ${"x".repeat(17 * MB)}\n\n`, ...STREAM_OK]), status: 200, bodyIs: "upstream", record: { usageError: /cap/ } },
  { name: "SSE data: flood with no blank line", upstream: sse([..."0123456789abcdefghij"].map(() => "data: x\n".repeat(MB / 8))), status: 200, bodyIs: "upstream", record: { usageError: /./ } },
  { name: "SSE line of 20 MB with no line end", upstream: sse(["data: ", "y".repeat(20 * MB)]), status: 200, bodyIs: "upstream", record: { usageError: /./ } },
  { name: "SSE invalid UTF-8", upstream: sse([new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xff, 0xfe, 0xc3, 0x28, 0x0a, 0x0a]), ...STREAM_OK]), status: 200, bodyIs: "upstream", record: {} },
  { name: "SSE NUL bytes", upstream: sse([`data: {"a":"\0\0"}\n\n`, "\0\0\0\n\n", ...STREAM_OK]), status: 200, bodyIs: "upstream", record: {} },
  { name: "SSE bare CR line ends and a BOM", upstream: sse(["\uFEFF", ...STREAM_OK.map((s) => s.replaceAll("\n", "\r"))]), status: 200, bodyIs: "upstream", record: { usageError: null } },
  { name: "SSE one byte per write", upstream: sse([...STREAM_OK.join("")].slice(0, 400)), status: 200, bodyIs: "upstream", record: {} },
  { name: "SSE usage chunk that is not JSON", upstream: sse([CHUNK("a"), 'data: {"usage": {"prompt_tokens": 3,, }\n\n', "data: [DONE]\n\n"]), status: 200, bodyIs: "upstream", record: {} },
  { name: "SSE usage deeply nested", upstream: sse([CHUNK("a"), `data: {"usage":${"[".repeat(100_000)}${"]".repeat(100_000)}}\n\n`, "data: [DONE]\n\n"]), status: 200, bodyIs: "upstream", record: {} },
  { name: "SSE usage with absurd counts", upstream: sse([CHUNK("a"), `data: ${usage({ prompt_tokens: 1e300, completion_tokens: -4, total_tokens: "7" })}\n\n`]), status: 200, bodyIs: "upstream", record: { usageError: /prompt_tokens|completion_tokens/ } },
  { name: "SSE stream that never ends", upstream: sse([CHUNK("a")], { end: "hang" }), status: 200, bodyIs: "prefix", record: { outcome: "timeout" } },
  { name: "SSE labelled JSON", upstream: json(STREAM_OK.join("")), status: 200, bodyIs: "upstream", record: { usageError: /./ } },
  { name: "JSON labelled SSE", upstream: sse([OK]), status: 200, bodyIs: "upstream", record: {} },

  // JSON bodies and usage values
  { name: "JSON truncated", upstream: json(OK.slice(0, 40), { "content-length": String(OK.length) }), status: [200, 502], bodyIs: "any", record: { outcome: "upstream_aborted" } },
  { name: "JSON not JSON at all", upstream: json("<html>oops</html>"), status: 200, bodyIs: "upstream", record: { usageError: /./ } },
  { name: "JSON empty body", upstream: json(""), status: 200, bodyIs: "upstream", record: {} },
  { name: "JSON invalid UTF-8", upstream: json(Buffer.concat([Buffer.from('{"model":"gpt-4o-mini","x":"'), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from('","usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}')])), status: 200, bodyIs: "upstream", record: {} },
  { name: "JSON with NUL bytes", upstream: json(`{"model":"gpt-4o-mini\\u0000","x":"\0","usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`), status: 200, bodyIs: "upstream", record: {} },
  { name: "JSON nested 200k deep", upstream: json(`{"usage":${"[".repeat(200_000)}${"]".repeat(200_000)}}`), status: 200, bodyIs: "upstream", record: {} },
  { name: "JSON usage 1e400", upstream: json(usage({ prompt_tokens: "PLACE" }).replace('"PLACE"', "1e400")), status: 200, bodyIs: "upstream", record: { usageError: /prompt_tokens/ } },
  { name: "JSON usage negative", upstream: json(usage({ prompt_tokens: -1, completion_tokens: -2, total_tokens: -3 })), status: 200, bodyIs: "upstream", record: { usageError: /prompt_tokens/ } },
  { name: "JSON usage fractional", upstream: json(usage({ prompt_tokens: 1.5, completion_tokens: 2, total_tokens: 3.5 })), status: 200, bodyIs: "upstream", record: { usageError: /prompt_tokens/ } },
  { name: "JSON usage strings", upstream: json(usage({ prompt_tokens: "3", completion_tokens: "4", total_tokens: "7" })), status: 200, bodyIs: "upstream", record: { usageError: /prompt_tokens/ } },
  { name: "JSON usage 2^80", upstream: json(usage({ prompt_tokens: 2 ** 80, completion_tokens: 1, total_tokens: 2 ** 80 })), status: 200, bodyIs: "upstream", record: { usageError: /prompt_tokens/ } },
  { name: "JSON usage a 4 MB string", upstream: json(usage({ prompt_tokens: "9".repeat(4 * MB), completion_tokens: 1, total_tokens: 1 })), status: 200, bodyIs: "upstream", record: { usageError: /prompt_tokens/, check: (r) => JSON.stringify(r.usage_native ?? null).length < MB || fail(r) } },
  { name: "JSON usage null", upstream: json(usage(null)), status: 200, bodyIs: "upstream", record: {} },
  { name: "JSON usage an array", upstream: json(usage([1, 2, 3])), status: 200, bodyIs: "upstream", record: {} },
  { name: "JSON model a 1 MB string", upstream: json(JSON.stringify({ model: "m".repeat(MB), usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })), status: 200, bodyIs: "upstream", record: { check: (r) => String(r.model).length <= 4096 || fail(r) } },
  { name: "JSON model with CR/LF", upstream: json(JSON.stringify({ model: "gpt-4o-mini\r\n[INF] forged", usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })), status: 200, bodyIs: "upstream", record: {} },
  { name: "JSON 8 MB body", upstream: json(JSON.stringify({ model: "gpt-4o-mini", pad: "p".repeat(8 * MB), usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })), status: 200, bodyIs: "upstream", record: { usageError: null } },

  // Encodings and framing headers
  { name: "gzip garbage", upstream: json(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), { "content-encoding": "gzip" }), status: [200, 502], bodyIs: "any", record: { outcome: /upstream_aborted|error/ } },
  { name: "brotli garbage", upstream: json(new Uint8Array(64).fill(0xee), { "content-encoding": "br" }), status: [200, 502], bodyIs: "any", record: { outcome: /upstream_aborted|error/ } },
  // Deno's fetch hands over a body that is not deflate as it came; Bun's fails it.
  { name: "deflate garbage", upstream: json("not deflate at all", { "content-encoding": "deflate" }), status: [200, 502], bodyIs: "any", record: IS_BUN ? { outcome: /upstream_aborted|error/ } : { outcome: "ok", usageError: /JSON/ } },
  { name: "gzip truncated", upstream: json(gzipSync(OK).subarray(0, 20), { "content-encoding": "gzip" }), status: [200, 502], bodyIs: "any", record: { outcome: /upstream_aborted|error/ } },
  { name: "Content-Encoding: gzip on a plain body", upstream: json(OK, { "content-encoding": "gzip" }), status: [200, 502], bodyIs: "any", record: { outcome: /upstream_aborted|error/ } },
  { name: "unknown Content-Encoding passes through labelled", upstream: json(OK, { "content-encoding": "x-weird" }), status: 200, bodyIs: "upstream", record: {} },
  { name: "valid gzip", upstream: { ...json(gzipSync(OK), { "content-encoding": "gzip" }) }, status: 200, bodyIs: "any", record: { ...ok, usageError: null } },
  { name: "no Content-Type", upstream: { headers: { "content-length": String(OK.length) }, parts: [OK] }, status: 200, bodyIs: "upstream", record: {} },
  { name: "Content-Type text/html on JSON", upstream: json(OK, { "content-type": "text/html" }), status: 200, bodyIs: "upstream", record: {} },
  { name: "Content-Type with odd parameters", upstream: json(OK, { "content-type": "application/json; charset=\"x\"; q=;;" }), status: 200, bodyIs: "upstream", record: {} },
  { name: "Content-Length shorter than the body", upstream: json(OK + "TRAILING-GARBAGE", { "content-length": String(OK.length) }), status: 200, bodyIs: "any", record: { ...ok } },
  { name: "Content-Length longer than the body", upstream: json(OK, { "content-length": String(OK.length + 100) }), status: [200, 502], bodyIs: "any", record: { outcome: "upstream_aborted" } },
  { name: "upstream duplicate differing Content-Length", upstream: json(OK, { "content-length": [String(OK.length), "3"] }), status: 502, bodyIs: { error: /upstream/ }, record: { status: 502 } },
  { name: "Content-Length and chunked together", upstream: { headers: { "content-type": "application/json", "content-length": "5", "transfer-encoding": "chunked" }, parts: [`${OK.length.toString(16)}\r\n${OK}\r\n0\r\n\r\n`] }, status: [200, 502], bodyIs: "any", record: {} },
  { name: "upstream chunked with a bad chunk size", upstream: { headers: { "content-type": "application/json", "transfer-encoding": "chunked" }, parts: ["zz\r\nhello\r\n0\r\n\r\n"] }, status: [0, 200, 502], bodyIs: "any", record: {} },

  // Connection-level faults
  { name: "closes before headers", upstream: (s) => void s.end(), status: 502, bodyIs: { error: /upstream/ }, record: { status: 502 } },
  { name: "resets before headers", upstream: (s) => void s.resetAndDestroy(), status: 502, bodyIs: { error: /upstream/ }, record: { status: 502 } },
  { name: "TLS-style garbage instead of HTTP", upstream: (s) => void s.end(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])), status: 502, bodyIs: { error: /upstream/ }, record: { status: 502 } },
  { name: "headers sent slowly, byte by byte", upstream: async (s) => { for (const ch of `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${OK.length}\r\n\r\n`) { s.write(ch); await new Promise((r) => setTimeout(r, 15)); } s.end(OK); }, status: [200, 504], bodyIs: "any", record: {} },
  { name: "never sends headers", upstream: () => {}, status: 504, bodyIs: { error: "upstream_timeout" }, record: { outcome: "timeout", status: 504 } },
  { name: "status 999", upstream: json(OK, {}, 999), status: 502, bodyIs: { error: /upstream/ }, record: { status: 502 } },
  { name: "status line garbage", upstream: { status: "abc what", headers: {}, parts: [OK] }, status: 502, bodyIs: { error: /upstream/ }, record: { status: 502 } },
  { name: "HTTP/1.0 close-delimited answer", upstream: (s) => void s.end(`HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n${OK}`), status: 200, bodyIs: "any", record: { ...ok } },
  { name: "a 100 KB response header", upstream: json(OK, { "x-big": "b".repeat(100_000) }), status: [200, 502], bodyIs: "any", record: {} },
  { name: "2,000 response headers", upstream: json(OK, Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`x-h${i}`, "v"]))), status: [200, 502], bodyIs: "any", record: {} },
  { name: "obs-fold in a response header", upstream: json(OK, { "x-folded": "a\r\n  b" }), status: [200, 502], bodyIs: "any", record: {} },
  { name: "upstream 500 HTML", upstream: json("<h1>500</h1>", { "content-type": "text/html" }, 500), status: 500, bodyIs: "upstream", record: { outcome: "upstream_error", status: 500 } },
  { name: "upstream 429 JSON", upstream: json('{"error":{"message":"slow down"}}', {}, 429), status: 429, bodyIs: "upstream", record: { outcome: "upstream_error", status: 429 } },

  { name: "103 Early Hints before the answer", upstream: (s) => void s.end(`HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${OK.length}\r\nconnection: close\r\n\r\n${OK}`), status: 200, bodyIs: "any", record: { outcome: "ok" } },
  { name: "101 Switching Protocols", upstream: (s) => void s.end("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n\x81\x05hello"), status: [0, 502], bodyIs: "any", record: { status: 502 } },
  { name: "302 to another host is passed on, not followed", upstream: json(OK, { location: "http://evil.example/steal" }, 302), status: 302, bodyIs: "upstream", record: { status: 302 } },
  { name: "307 to another host is passed on, not followed", upstream: json("", { location: "https://evil.example/v1/chat/completions" }, 307), status: 307, bodyIs: "upstream", record: { status: 307 } },
  { name: "204 with a body anyway", upstream: { status: 204, headers: { "content-length": "5" }, parts: ["hello"] }, status: 204, bodyIs: "any", record: { status: 204 } },
  { name: "Content-Length: -1", upstream: json(OK, { "content-length": "-1" }), status: [0, 200, 502], bodyIs: "any", record: {} },
  { name: "Content-Length: abc", upstream: json(OK, { "content-length": "abc" }), status: [0, 200, 502], bodyIs: "any", record: {} },
  { name: "chunked with trailers", upstream: { headers: { "content-type": "application/json", "transfer-encoding": "chunked", trailer: "x-usage" }, parts: [`${OK.length.toString(16)}\r\n${OK}\r\n0\r\nx-usage: 7\r\n\r\n`] }, status: 200, bodyIs: "any", record: { outcome: "ok", usageError: null } },
  { name: "gzipped SSE", upstream: { headers: { "content-type": "text/event-stream", "content-encoding": "gzip" }, parts: [gzipSync(STREAM_OK.join(""))] }, status: 200, bodyIs: "any", record: { outcome: "ok", usageError: null, check: (r) => r.total_tokens === 7 || fail(r) } },
  { name: "Set-Cookie and odd headers pass through", upstream: json(OK, { "set-cookie": ["a=1; HttpOnly", "b=2"], "x-empty": "", "x-unicode": "\u00e9" }), status: 200, bodyIs: "upstream", record: { outcome: "ok" } },
  { name: "SSE id and retry with NUL and junk", upstream: sse(["id: \0x\nretry: nope\nretry: 99999999999999999999\n\n", ...STREAM_OK]), status: 200, bodyIs: "upstream", record: { usageError: null } },
  { name: "SSE usage repeated 10,000 times", upstream: sse([CHUNK("a"), USAGE_CHUNK.repeat(10_000), "data: [DONE]\n\n"]), status: 200, bodyIs: "upstream", record: { check: (r) => r.total_tokens === 7 || fail(r) } },

  // AWS event-stream frames
  { name: "event stream: a 30 MiB frame past the cap", path: BEDROCK, upstream: { headers: { "content-type": ES }, parts: [bigPrelude(30 * MB), new Uint8Array(MB), ...ES_OK] }, status: 200, bodyIs: "upstream", record: { usageError: /./ } },
  { name: "event stream: bad prelude CRC", path: BEDROCK, upstream: { headers: { "content-type": ES }, parts: [ES_OK[0]!, corrupt(ES_OK[1]!, 9), ...ES_OK.slice(2)] }, status: 200, bodyIs: "upstream", record: { usageError: /CRC|crc/ } },
  { name: "event stream: bad message CRC", path: BEDROCK, upstream: { headers: { "content-type": ES }, parts: [ES_OK[0]!, corrupt(ES_OK[1]!, -1), ...ES_OK.slice(2)] }, status: 200, bodyIs: "upstream", record: { usageError: /CRC|crc/ } },
  { name: "event stream: total length 2^31", path: BEDROCK, upstream: { headers: { "content-type": ES }, parts: [withPrelude(2 ** 31, 10)] }, status: 200, bodyIs: "upstream", record: { usageError: /./ } },
  { name: "event stream: total length below a frame", path: BEDROCK, upstream: { headers: { "content-type": ES }, parts: [withPrelude(8, 0), ...ES_OK] }, status: 200, bodyIs: "upstream", record: { usageError: /./ } },
  { name: "event stream: headers longer than the frame", path: BEDROCK, upstream: { headers: { "content-type": ES }, parts: [withPrelude(40, 1000), ...ES_OK] }, status: 200, bodyIs: "upstream", record: { usageError: /./ } },
  { name: "event stream: unknown header type", path: BEDROCK, upstream: { headers: { "content-type": ES }, parts: [headerTyped(42, [0, 1]), ...ES_OK] }, status: 200, bodyIs: "upstream", record: { usageError: /./ } },
  { name: "event stream: header value past its frame", path: BEDROCK, upstream: { headers: { "content-type": ES }, parts: [headerTyped(7, [0xff, 0xff, 1]), ...ES_OK] }, status: 200, bodyIs: "upstream", record: { usageError: /./ } },
  { name: "event stream: metadata usage not numbers", path: BEDROCK, upstream: { headers: { "content-type": ES }, parts: [...ES_OK.slice(0, 3), esEvent("metadata", { usage: { inputTokens: "5", outputTokens: -6, totalTokens: 1e308 } })] }, status: 200, bodyIs: "upstream", record: { usageError: /inputTokens|outputTokens/ } },
  { name: "event stream: random bytes", path: BEDROCK, upstream: { headers: { "content-type": ES }, parts: [new Uint8Array(4096).map((_, i) => (i * 7919) & 0xff)] }, status: 200, bodyIs: "upstream", record: { usageError: /./ } },
  { name: "event stream: cut inside a frame", path: BEDROCK, upstream: { headers: { "content-type": ES }, parts: [ES_OK[0]!, ES_OK[1]!.subarray(0, 20)] }, status: 200, bodyIs: "upstream", record: { outcome: "upstream_aborted", usageError: /truncated/ } },

  // Provider-specific usage shapes
  { name: "Anthropic usage negative and string", path: ANTHROPIC, upstream: sse(anthropicStream({ input_tokens: -3, output_tokens: "1" }, { output_tokens: 2 ** 60 })), status: 200, bodyIs: "upstream", record: { usageError: /input_tokens|output_tokens/ } },
  { name: "Anthropic events that are not JSON", path: ANTHROPIC, upstream: sse(["event: message_start\ndata: {{{\n\n", "event: message_stop\ndata: nope\n\n"]), status: 200, bodyIs: "upstream", record: {} },
  { name: "Gemini usageMetadata absurd", path: "/google-ai-studio/v1beta/models/gemini-2.5-flash:generateContent", upstream: json(JSON.stringify({ modelVersion: "gemini-2.5-flash", usageMetadata: { promptTokenCount: -1, candidatesTokenCount: 1e999, thoughtsTokenCount: "x" } }).replace("null", "1e999")), status: 200, bodyIs: "upstream", record: { usageError: /promptTokenCount|TokenCount/ } },
];

function fail(r: Record<string, unknown>): never {
  throw new Error(`unexpected record ${JSON.stringify(r).slice(0, 500)}`);
}
