/** Hostile clients: path tricks, malformed HTTP, vanishing clients, abusive attribution, admin API probes. */
import { IS_BUN } from "../_helpers/runtime.ts";
import { ADMIN, type Case, KEY, rawHead } from "./_case.ts";
import type { Reply } from "./_sockets.ts";

const OK = JSON.stringify({ id: "c1", model: "gpt-4o-mini", choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
const okReply: Reply = { headers: { "content-type": "application/json", "content-length": String(OK.length) }, parts: [OK] };
const BODY = '{"model":"gpt-4o-mini"}';
const CHAT = "/openai/v1/chat/completions";

/** A raw POST with a Content-Length body and extra header lines. */
const post = (path: string, extra = "", body = BODY, version = "1.1") => (id: string) => ({
  parts: [`${rawHead(id, "POST", path, `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}`, version)}\r\n${body}`],
});

/** A path the router must refuse before anything leaves: 400 invalid_path, nothing upstream, no record. */
const refusedPath = (name: string, path: string, code = "invalid_path"): Case => ({
  name: `path: ${name}`, raw: post(path), upstream: okReply, status: code === "invalid_path" ? 400 : 404, bodyIs: { error: code }, record: false,
});

/** A path that may reach the (overridden) upstream as sent, or be refused with a JSON error; a record iff reached. */
const oddPath = (name: string, path: string): Case => ({
  name: `path: ${name}`, raw: post(path), upstream: okReply, status: [200, 400, 404], bodyIs: "upstream-or-error", record: "if-reached",
});

const admin = (name: string, query: string, status: number, code: string | RegExp | null, auth = `Bearer ${ADMIN}`): Case => ({
  name: `admin: ${name}`, path: `/api/${query}`, method: "GET", headers: { authorization: auth }, status,
  bodyIs: code === null ? "any" : { error: code }, record: false,
});


export const CLIENT_CASES: Case[] = [
  // Templated host labels: nothing the client writes may leave the label it fills.
  refusedPath("Azure resource with a dot", "/azure-openai/evil.example/dep/chat/completions"),
  refusedPath("Azure resource with an encoded dot", "/azure-openai/evil%2eexample/dep/chat/completions"),
  refusedPath("Azure resource with an encoded slash", "/azure-openai/evil%2Fx/dep/chat/completions"),
  refusedPath("Azure resource upper case", "/azure-openai/EVIL/dep/chat/completions"),
  refusedPath("Azure resource with NUL", "/azure-openai/a%00b/dep/chat/completions"),
  refusedPath("Azure resource with userinfo", "/azure-openai/user@evil/dep/chat/completions"),
  refusedPath("Azure resource with a port", "/azure-openai/evil:8080/dep/chat/completions"),
  refusedPath("Azure resource 64 characters", `/azure-openai/${"a".repeat(64)}/dep/chat/completions`),
  refusedPath("Azure resource leading hyphen", "/azure-openai/-evil/dep/chat/completions"),
  refusedPath("Azure with no segments", "/azure-openai"),
  refusedPath("Bedrock runtime s3", "/aws-bedrock/s3/us-east-1/model/x/converse"),
  refusedPath("Bedrock region with a host", "/aws-bedrock/bedrock-runtime/us-east-1.evil.example/model/x/converse"),
  refusedPath("Bedrock region upper case", "/aws-bedrock/bedrock-runtime/US-EAST-1/model/x/converse"),
  refusedPath("Bedrock runtime with an encoded dot", "/aws-bedrock/bedrock-runtime%2eevil/us-east-1/model/x/converse"),
  refusedPath("Bedrock region with ..", "/aws-bedrock/bedrock-runtime/../model/x/converse"),
  refusedPath("Vertex location with a host", "/google-vertex-ai/v1/projects/p/locations/evil.example/publishers/google/models/g:generateContent"),
  refusedPath("Vertex location with @", "/google-vertex-ai/v1/projects/p/locations/us-central1@evil/publishers/google/models/g:generateContent"),
  refusedPath("Vertex location percent-encoded", "/google-vertex-ai/v1/projects/p/locations/%75s-central1/publishers/google/models/g:generateContent"),
  refusedPath("Cyrillic look-alike provider", "/%D0%BEpenai/v1/chat/completions", "unknown_provider"),
  refusedPath("provider with an encoded slash", "/open%2Fai/v1/chat/completions", "unknown_provider"),
  refusedPath("__proto__ as a provider", "/__proto__/v1/chat/completions", "unknown_provider"),
  refusedPath("constructor as a provider", "/constructor/x", "unknown_provider"),
  { name: "path: dot-dot after the provider (resolved by the runtime or forwarded)", raw: post("/openai/../health"), upstream: okReply, status: 200, bodyIs: "any", record: "if-reached" },
  oddPath("encoded dot-dot", "/openai/v1/%2e%2e/%2e%2e/admin"),
  oddPath("encoded double slash to a host", "/openai/%2F%2Fevil.example/v1/chat/completions"),
  oddPath("double slashes", "//openai//v1//chat/completions"),
  oddPath("provider in upper case", "/OPENAI/v1/chat/completions"),
  oddPath("Azure deployment with traversal", "/azure-openai/res/..%2F..%2Fx/chat/completions"),
  oddPath("backslashes", "/openai\\..\\v1/chat/completions"),
  { name: "path: overlong (60 KB)", raw: post(`/openai/${"a/".repeat(30_000)}`), upstream: okReply, status: [200, 404, 414, 431], bodyIs: "refused", record: "if-reached" },
  { name: "path: raw UTF-8 bytes", raw: post("/openai/v1/\u00e9\u00e9/chat"), upstream: okReply, status: [200, 400], bodyIs: "refused", record: "if-reached" },
  oddPath("absolute-form target", "http://evil.example/openai/v1/chat/completions"),
  oddPath("query with encoded traversal", "/openai/v1/chat/completions?x=..%2F..%2F&y=%00"),

  // Malformed HTTP: the runtime's parser answers (or closes) before Kestrel sees the request.
  { name: "CR inside a header value", raw: post(CHAT, "x-a: b\rc\r\n"), upstream: okReply, status: [200, 400], bodyIs: "refused", record: "if-reached" },
  { name: "bare LF line ends", raw: (id) => ({ parts: [rawHead(id, "POST", CHAT).replaceAll("\r\n", "\n") + `content-length: ${BODY.length}\n\n${BODY}`] }), upstream: okReply, status: [200, 400, 505], bodyIs: "refused", record: "if-reached" },
  { name: "space in a header name", raw: post(CHAT, "x bad: 1\r\n"), upstream: okReply, status: [400], bodyIs: "refused", record: "if-reached" },
  { name: "NUL in a header value", raw: post(CHAT, "x-a: b\0c\r\n"), upstream: okReply, status: [400], bodyIs: "refused", record: "if-reached" },
  { name: "a 100 KB header", raw: post(CHAT, `x-big: ${"b".repeat(100_000)}\r\n`), upstream: okReply, status: [400, 413, 431], bodyIs: "refused", record: "if-reached" },
  { name: "1,000 headers", raw: post(CHAT, Array.from({ length: 1000 }, (_, i) => `x-h${i}: v\r\n`).join("")), upstream: okReply, status: [200, 400, 431], bodyIs: "refused", record: "if-reached" },
  { name: "duplicate differing Content-Length", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}content-length: ${BODY.length}\r\ncontent-length: 3\r\n\r\n${BODY}`] }), upstream: okReply, status: [400], bodyIs: "refused", record: false },
  { name: "duplicate equal Content-Length", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}content-length: ${BODY.length}\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`] }), upstream: okReply, status: [200, 400], bodyIs: "refused", record: "if-reached" },
  { name: "Content-Length with Transfer-Encoding", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}content-length: 4\r\ntransfer-encoding: chunked\r\n\r\n${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`] }), upstream: okReply, status: [200, 400], bodyIs: "refused", record: "if-reached" },
  { name: "chunked body with a bad size", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}transfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`] }), upstream: okReply, status: [400, 408, 502], bodyIs: "refused", record: "if-reached" },
  { name: "Transfer-Encoding gzip, chunked", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}transfer-encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`] }), upstream: okReply, status: [200, 400, 501], bodyIs: "refused", record: "if-reached" },
  { name: "negative Content-Length", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}content-length: -1\r\n\r\n${BODY}`] }), upstream: okReply, status: [400], bodyIs: "refused", record: false },
  { name: "Content-Length 2^64", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}content-length: 18446744073709551616\r\n\r\n${BODY}`] }), upstream: okReply, status: [400, 413], bodyIs: "refused", record: false },
  { name: "Expect: 100-continue", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}expect: 100-continue\r\ncontent-length: ${BODY.length}\r\n\r\n`, BODY], gapMs: 200 }), upstream: okReply, status: 200, bodyIs: "upstream", record: { outcome: "ok" } },
  { name: "Expect: something else", raw: post(CHAT, "expect: 42-wat\r\n"), upstream: okReply, status: [200, 417], bodyIs: "upstream-or-error", record: "if-reached" },
  { name: "HTTP/1.0 request", raw: post(CHAT, "", BODY, "1.0"), upstream: okReply, status: 200, bodyIs: "upstream", record: { outcome: "ok" } },
  { name: "HTTP/0.9-style request line", raw: () => ({ parts: ["GET /openai/v1/models\r\n\r\n"] }), status: [400, 505], bodyIs: "refused", record: false },
  { name: "HTTP/2.0 in a plain request line", raw: post(CHAT, "", BODY, "2.0"), upstream: okReply, status: [400, 505], bodyIs: "refused", record: "if-reached" },
  { name: "request line that is garbage", raw: () => ({ parts: ["\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"] }), status: [400], bodyIs: "refused", record: false },
  { name: "unknown method BREW", raw: (id) => ({ parts: [`${rawHead(id, "BREW", CHAT)}content-length: 0\r\n\r\n`] }), upstream: okReply, status: [400, 405], bodyIs: "refused", record: "if-reached" },
  { name: "TRACE", raw: (id) => ({ parts: [`${rawHead(id, "TRACE", CHAT)}\r\n`] }), upstream: okReply, status: [400, 405], bodyIs: "refused", record: "if-reached" },
  { name: "CONNECT to a provider host", raw: () => ({ parts: ["CONNECT api.openai.com:443 HTTP/1.1\r\nhost: api.openai.com:443\r\n\r\n"] }), status: [400, 404, 405], bodyIs: "refused", record: false },
  { name: "lower-case method", raw: (id) => ({ parts: [`${rawHead(id, "post", CHAT)}content-length: ${BODY.length}\r\n\r\n${BODY}`] }), upstream: okReply, status: [200, 400, 405], bodyIs: "refused", record: "if-reached" },
  { name: "Host header naming another site", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT).replace("host: 127.0.0.1", "host: evil.example")}content-length: ${BODY.length}\r\n\r\n${BODY}`] }), upstream: okReply, status: 200, bodyIs: "upstream", record: { outcome: "ok" } },

  // Slow and vanishing clients
  { name: "slow upload, live", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}content-length: ${BODY.length}\r\n\r\n`, ...BODY.match(/.{1,5}/g)!], gapMs: 150 }), upstream: okReply, status: 200, bodyIs: "upstream", record: { outcome: "ok" } },
  { name: "JSON upload that stalls", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}content-type: application/json\r\ncontent-length: 100\r\n\r\n{"model"`], waitMs: 8000 }), upstream: okReply, status: [408], bodyIs: "refused", record: { outcome: "client_timeout", status: 408 } },
  // A streamed upload is watched on Bun only (docs/architecture.md §11): on Deno its silence counts as the upstream's.
  { name: "streamed upload that stalls", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}content-length: 100\r\n\r\nabc`], waitMs: 8000 }), upstream: okReply, status: IS_BUN ? [408] : [504], bodyIs: "refused", record: IS_BUN ? { outcome: "client_timeout", status: 408 } : { outcome: "timeout", status: 504 } },
  { name: "client leaves after the head", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}content-length: 100\r\n\r\n`], leaveAfter: true }), upstream: okReply, status: null, bodyIs: "any", record: "if-reached" },
  { name: "client leaves mid-body", raw: (id) => ({ parts: [`${rawHead(id, "POST", CHAT)}content-length: 100\r\n\r\n{"mo`], gapMs: 50, leaveAfter: true }), upstream: okReply, status: null, bodyIs: "any", record: "if-reached" },
  { name: "client leaves mid request line", raw: () => ({ parts: ["POST /openai/v1/ch"], leaveAfter: true }), status: null, bodyIs: "any", record: false },
  { name: "client leaves while the upstream thinks", abortAfterMs: 150, upstream: { ...okReply, parts: ["", OK], gapMs: 600 }, status: null, bodyIs: "any", record: { outcome: "client_aborted" } },
  { name: "client leaves mid-stream", abortAfterMs: 300, upstream: { headers: { "content-type": "text/event-stream" }, parts: Array.from({ length: 20 }, () => 'data: {"choices":[]}\n\n'), gapMs: 100 }, status: null, bodyIs: "any", record: { outcome: "client_aborted" } },
  { name: "client that never reads a 64 MB stream, then leaves", abortAfterMs: 1000, noRead: true, upstream: { headers: { "content-type": "text/event-stream" }, parts: Array.from({ length: 64 }, () => `data: ${"z".repeat(1024 * 1024)}\n\n`) }, status: null, bodyIs: "any", record: { outcome: "client_aborted" } },

  // Attribution and credentials
  { name: "user header with control characters", raw: post(CHAT, "x-kestrel-user: a\x01b\x7fc\x1b[31m\r\n"), upstream: okReply, status: [200, 400], bodyIs: "refused", record: "if-reached" },
  { name: "1,000 tags", headers: { "x-kestrel-tags": Array.from({ length: 1000 }, (_, i) => `t${i}`).join(",") }, upstream: okReply, status: [200, 431], bodyIs: "any", record: { check: (r) => void ((r.tags as string[]).length <= 32 || thrower(`kept ${(r.tags as string[]).length} tags`)) } },
  { name: "a 1 MB tags header", raw: post(CHAT, `x-kestrel-tags: ${"t,".repeat(500_000)}\r\n`), upstream: okReply, status: [400, 413, 431], bodyIs: "refused", record: "if-reached" },
  { name: "project with emoji and RTL marks", headers: { "x-kestrel-project": encodeURIComponent("\u{1F525}\u202Eevil") }, upstream: okReply, status: 200, bodyIs: "upstream", record: { outcome: "ok" } },
  { name: "raw UTF-8 in a header value", raw: post(CHAT, "x-kestrel-project: \xf0\x9f\x94\xa5\xe2\x80\xae\r\n"), upstream: okReply, status: [200, 400], bodyIs: "upstream-or-error", record: "if-reached" },
  { name: "body user a 1 MB string", body: JSON.stringify({ model: "gpt-4o-mini", user: "u".repeat(1024 * 1024) }), upstream: okReply, status: 200, bodyIs: "upstream", record: { check: (r) => void (String(r.user).length <= 4096 || thrower("user stored whole")) } },
  { name: "body not JSON", body: "{{{not json", upstream: okReply, status: 200, bodyIs: "upstream", record: { outcome: "ok" } },
  { name: "body nested 100k deep", body: `{"model":"gpt-4o-mini","x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, upstream: okReply, status: 200, bodyIs: "upstream", record: { outcome: "ok" } },
  { name: "Anthropic metadata.user_id an object", path: "/anthropic/v1/messages", body: JSON.stringify({ model: "claude-sonnet-4-5", metadata: { user_id: { $ne: 1 } } }), upstream: okReply, status: 200, bodyIs: "upstream", record: {} },
  { name: "a 10 KB key", headers: { authorization: `Bearer ${KEY}${"k".repeat(10_000)}` }, upstream: okReply, status: 200, bodyIs: "upstream", record: { check: (r) => void (/^[0-9a-f]{12}$/.test(String(r.key_id)) || thrower("key_id")) } },
  { name: "key in the query string", path: `${CHAT}?key=${KEY}&api-key=${KEY}`, upstream: okReply, status: 200, bodyIs: "upstream", record: {} },
  { name: "key in x-api-key and x-goog-api-key too", headers: { "x-api-key": KEY, "x-goog-api-key": KEY, "api-key": KEY }, upstream: okReply, status: 200, bodyIs: "upstream", record: {} },

  { name: "model as an object", body: '{"model":{"$gt":""},"stream":true}', upstream: okReply, status: 200, bodyIs: "upstream", record: {} },
  { name: "model as a number", body: '{"model":1e400}', upstream: okReply, status: 200, bodyIs: "upstream", record: {} },
  { name: "stream_options as a string", body: '{"model":"gpt-4o-mini","stream":true,"stream_options":"yes"}', upstream: okReply, status: 200, bodyIs: "upstream", record: {} },
  { name: "stream_options null", body: '{"model":"gpt-4o-mini","stream":true,"stream_options":null}', upstream: { headers: { "content-type": "text/event-stream" }, parts: ['data: {"choices":[]}\n\n', "data: [DONE]\n\n"] }, status: 200, bodyIs: "upstream", record: {} },
  { name: "__proto__ in the body", body: '{"__proto__":{"stream":true,"model":"x"},"constructor":{"prototype":{"polluted":1}},"model":"gpt-4o-mini"}', upstream: okReply, status: 200, bodyIs: "upstream", record: { check: () => void (({} as Record<string, unknown>).polluted === undefined || thrower("polluted")) } },
  { name: "body a top-level array", body: "[1,2,3]", upstream: okReply, status: 200, bodyIs: "upstream", record: { outcome: "ok" } },
  { name: "body JSON null", body: "null", upstream: okReply, status: 200, bodyIs: "upstream", record: { outcome: "ok" } },
  { name: "a 10 KB user header", headers: { "x-kestrel-user": "u".repeat(10_000) }, upstream: okReply, status: 200, bodyIs: "upstream", record: { check: (r) => void (String(r.user).length <= 200 || thrower("user not capped")) } },
  { name: "path with a bad percent-encoding", raw: post("/openai/v1/%zz/%/chat"), upstream: okReply, status: [200, 400], bodyIs: "refused", record: "if-reached" },
  { name: "query with 5,000 parameters", path: `${CHAT}?${Array.from({ length: 5000 }, (_, i) => `p${i}=${i}`).join("&")}`, upstream: okReply, status: [200, 414, 431], bodyIs: "refused", record: "if-reached" },
  { name: "HEAD on a provider route", method: "HEAD", upstream: okReply, status: [200, 405], bodyIs: "any", record: "if-reached" },

  // Admin API
  admin("no token", "requests", 401, "unauthorized", ""),
  admin("wrong token of the same length", "requests", 401, "unauthorized", `Bearer ${ADMIN.replace(/.$/, "X")}`),
  admin("token prefix", "requests", 401, "unauthorized", `Bearer ${ADMIN.slice(0, -1)}`),
  admin("token with extra", "requests", 401, "unauthorized", `Bearer ${ADMIN}x`),
  admin("Bearer with no value", "requests", 401, "unauthorized", "Bearer "),
  admin("Basic scheme", "requests", 401, "unauthorized", `Basic ${btoa(`x:${ADMIN}`)}`),
  admin("token only in the query", `requests?token=${ADMIN}`, 401, "unauthorized", ""),
  admin("SQL in a filter", "requests?provider=%27%20OR%201%3D1--", 200, null),
  admin("SQL in group_by", "usage?group_by=provider%3BDROP%20TABLE%20requests", 400, "invalid_query"),
  admin("limit -1", "requests?limit=-1", 400, "invalid_query"),
  admin("limit 1e9", "requests?limit=1000000000", 400, "invalid_query"),
  admin("limit text", "requests?limit=abc", 400, "invalid_query"),
  admin("since 9999-99-99", "requests?since=9999-99-99", 400, "invalid_query"),
  admin("until before since", "requests?since=2026-01-02&until=2025-01-01", 400, "invalid_query"),
  admin("since year 0", "requests?since=0000-01-01", 400, "invalid_query"),
  admin("cursor garbage", "requests?before=%00%00garbage", 400, "invalid_query"),
  admin("export format a path", "export?format=..%2F..%2Fetc%2Fpasswd", 400, "invalid_query"),
  admin("unknown query name", "requests?drop=1", 400, "invalid_query"),
  { ...admin("a 50 KB query", `requests?provider=${"p".repeat(50_000)}`, 200, null), status: [200, 414, 431], bodyIs: "refused" },
  admin("outcome not an outcome", "requests?outcome=ok%27--", 400, "invalid_query"),
  admin("unknown API route", "requests%2F..%2F..%2Fetc", 404, "not_found"),
];

function thrower(message: string): never {
  throw new Error(message);
}
