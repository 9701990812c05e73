/**
 * @module Header hygiene, in one place, both directions.
 * Hop-by-hop headers: RFC 9110 §7.6.1 (Connection and the fields it names) and the RFC 2616 §13.5.1 list.
 */

/** Hop-by-hop headers: meaningful for one connection only, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/**
 * Request headers that describe the client's hop or Kestrel itself, not the provider request: the client's Host
 * (Bun's fetch would send it upstream), client-IP and CDN headers, and Kestrel's own `x-kestrel-*` controls.
 * The client's `accept-encoding` is replaced by one Kestrel can decode on every runtime (and the meter sees text).
 */
const REQUEST_DROP = new Set([
  ...HOP_BY_HOP,
  "host",
  "accept-encoding",
  "forwarded",
  "via",
  "x-real-ip",
  "true-client-ip",
  "cdn-loop",
]);
const REQUEST_DROP_PREFIXES = ["x-forwarded-", "cf-", "x-kestrel-"];

/**
 * What Kestrel asks upstreams for: encodings both runtimes' fetch decode. Left to itself Bun's fetch also asks
 * for zstd, which Deno's does not decode, so the list is explicit.
 */
const UPSTREAM_ACCEPT_ENCODING = "gzip, deflate, br";

/** Encodings both runtimes' fetch decode transparently; zstd only where `Traits.fetchDecodesZstd` says so. */
const DECODED_ENCODINGS = new Set(["gzip", "x-gzip", "deflate", "br"]);

function connectionNamed(headers: Headers): string[] {
  const value = headers.get("connection");
  if (!value) return [];
  return value.split(",").map((name) => name.trim().toLowerCase()).filter(Boolean);
}

/** The headers to send upstream. Auth headers pass untouched. */
export function upstreamRequestHeaders(incoming: Headers): Headers {
  const out = new Headers();
  const named = connectionNamed(incoming);
  incoming.forEach((value, name) => {
    if (REQUEST_DROP.has(name) || named.includes(name)) return;
    for (const prefix of REQUEST_DROP_PREFIXES) if (name.startsWith(prefix)) return;
    out.append(name, value);
  });
  out.set("accept-encoding", UPSTREAM_ACCEPT_ENCODING);
  const length = out.get("content-length");
  if (length !== null && !DIGITS.test(length)) singleLength(out, length);
  return out;
}

const DIGITS = /^\d+$/;

/**
 * A client that repeats an equal Content-Length reaches us as the list "23, 23" (Bun accepts it, as RFC 9110 §8.6
 * allows), which fetch refuses to send: one value when they agree, else none (fetch frames the body itself).
 */
function singleLength(out: Headers, value: string): void {
  const values = new Set(value.split(",").map((v) => v.trim()));
  const [only] = values;
  if (values.size === 1 && only !== undefined && DIGITS.test(only)) out.set("content-length", only);
  else out.delete("content-length");
}

/**
 * The headers to send the client. When the runtime's fetch decoded a compressed body, the client gets the decoded
 * bytes, so `content-encoding` and the compressed `content-length` must go (else Bun mislabels the body and Deno
 * truncates it: docs/architecture.md §11). `bodyChanged` drops `content-length` for bodies Kestrel edits. Kestrel's
 * own `x-kestrel-*` names are dropped from the upstream's answer.
 */
export function clientResponseHeaders(upstream: Headers, bodyChanged: boolean, decodesZstd: boolean): Headers {
  const out = new Headers(upstream);
  for (const name of HOP_BY_HOP) out.delete(name);
  // `x-kestrel-*` answers are Kestrel's alone (the budget left): an upstream must not be able to set them.
  upstream.forEach((_value, name) => {
    if (name.startsWith("x-kestrel-")) out.delete(name);
  });
  for (const name of connectionNamed(upstream)) out.delete(name);
  const encoding = upstream.get("content-encoding");
  if (encoding !== null && isDecoded(encoding, decodesZstd)) {
    out.delete("content-encoding");
    out.delete("content-length");
  } else if (bodyChanged) {
    out.delete("content-length");
  }
  return out;
}

/** True when fetch handed us decoded bytes for this Content-Encoding. */
export function isDecoded(contentEncoding: string, decodesZstd: boolean): boolean {
  return contentEncoding.split(",").every((e) => {
    const name = e.trim().toLowerCase();
    return DECODED_ENCODINGS.has(name) || (decodesZstd && name === "zstd");
  });
}
