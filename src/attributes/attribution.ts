/**
 * @module Who made a request: a fingerprint of the credential (never the credential), user, project, tags.
 * Attribution headers are `x-kestrel-*`, which are never forwarded upstream. Read once per request, at admission
 * (src/attributes/attributes.ts); everything later uses what that computed.
 */

const MAX_LABEL = 200;
/** Tags kept per request: a header of thousands would bloat every record and every budget check. */
const MAX_TAGS = 32;
const encoder = new TextEncoder();

/** OpenAI's browser form of a realtime API key: `Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.<key>`. */
const INSECURE_KEY_PROTOCOL = "openai-insecure-api-key.";

/** The credential the client sent, in the order providers use them; for SigV4 the access key id. */
export function credentialOf(headers: Headers, query: string): string | null {
  const auth = headers.get("authorization");
  if (auth !== null) {
    const sigv4 = /Credential=([^/,\s]+)/.exec(auth);
    if (sigv4) return sigv4[1]!;
    const space = auth.indexOf(" ");
    const value = (space < 0 ? auth : auth.slice(space + 1)).trim();
    if (value) return value;
  }
  for (const name of ["x-api-key", "api-key", "x-goog-api-key"]) {
    const value = headers.get(name);
    if (value) return value.trim();
  }
  // A browser WebSocket cannot set headers: OpenAI's realtime clients send the key as a subprotocol.
  const offered = headers.get("sec-websocket-protocol");
  if (offered !== null) {
    for (const protocol of offered.split(",")) {
      const p = protocol.trim();
      if (p.startsWith(INSECURE_KEY_PROTOCOL) && p.length > INSECURE_KEY_PROTOCOL.length) return p.slice(INSECURE_KEY_PROTOCOL.length);
    }
  }
  const key = query ? new URLSearchParams(query).get("key") : null;
  return key || null;
}

/** Distinct credentials whose fingerprint is remembered; a gateway sees few keys, so this rarely rolls over. */
const MEMO_LIMIT = 1024;
const memo = new Map<string, string>();

/**
 * First 12 hex digits of SHA-256: enough to tell keys apart, useless to anyone who reads the DB. Memoized in
 * process memory (where the credential already passes with every request): hashing was ~10% of a request's CPU.
 */
export async function fingerprint(credential: string): Promise<string> {
  const known = memo.get(credential);
  if (known !== undefined) return known;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(credential)));
  let hex = "";
  for (let i = 0; i < 6; i++) hex += digest[i]!.toString(16).padStart(2, "0");
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(credential, hex);
  return hex;
}

/**
 * At most `max` UTF-16 units, never ending inside a surrogate pair: a cut half would be stored and shown as U+FFFD.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

function label(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : cutText(trimmed, MAX_LABEL);
}

/** `x-kestrel-user`, else OpenAI body `user`, else Anthropic `metadata.user_id`. */
export function userOf(headers: Headers, body: unknown): string | null {
  const header = label(headers.get("x-kestrel-user"));
  if (header !== null) return header;
  if (typeof body !== "object" || body === null) return null;
  const { user, metadata } = body as { user?: unknown; metadata?: unknown };
  return label(user) ?? (typeof metadata === "object" && metadata !== null
    ? label((metadata as { user_id?: unknown }).user_id)
    : null);
}

export function projectOf(headers: Headers): string | null {
  return label(headers.get("x-kestrel-project"));
}

/**
 * Canonical: each tag trimmed and cut, duplicates dropped, sorted (code-unit order), at most MAX_TAGS. Sorted so that
 * one set of tags is one value wherever it is stored or grouped (records, rollups), whatever order the client sent.
 */
export function tagsOf(headers: Headers): string[] {
  const value = headers.get("x-kestrel-tags");
  if (value === null) return [];
  const tags = new Set<string>();
  for (const part of value.split(",")) {
    const tag = cutText(part.trim(), MAX_LABEL);
    if (tag !== "") tags.add(tag);
    if (tags.size >= MAX_TAGS) break;
  }
  return [...tags].sort();
}
