/**
 * @module The one place that takes secrets out of text Kestrel stores or prints: error messages (a runtime's fetch
 * error can hold the full upstream URL, `?key=` included), log lines and record fields all pass through `redact`.
 */

/**
 * Query parameters that carry credentials (`key=` is Gemini's; the rest are common spellings), the key in OpenAI's
 * realtime subprotocol (`openai-insecure-api-key.<key>`), `Bearer …` / `Basic …`,
 * API-key and Authorization header values written as `name: value` or `"name":"value"`, and URL userinfo (`scheme://user:pass@`).
 * The value stops at a quote or a backslash so text that is already JSON-escaped keeps its escapes.
 */
const SECRETS =
  /([?&;](?:[\w.-]*?(?:key|token|secret|password|signature|sig))=)[^&#\s"'\\)]+|(\b(?:Bearer|Basic)[ \t]+)[^\s"'\\,;]+|(\b(?:x-goog-api-key|x-api-key|api-key|api_key|apikey|authorization)["']?[ \t]*[:=][ \t]*["']?)(?!(?:Bearer|Basic)\b)[^\s"'\\,;&]+|(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'\\]+@|(insecure-api-key\.)[^\s"'\\,;]+/gi;

/**
 * A query parameter whose name holds a percent escape (`?k%65y=`): providers decode the name, so Gemini reads
 * `k%65y` as `key`. Whether its value is a secret is decided by the decoded name (SECRET_NAME).
 */
const ENCODED_QUERY = /([?&;])([\w.%-]*%[0-9a-f]{2}[\w.%-]*)=([^&#\s"'\\)]+)/gi;
/** The names SECRETS redacts in query strings, as a whole decoded name. */
const SECRET_NAME = /(?:key|token|secret|password|signature|sig)$/i;

/**
 * Cheap first test, and no looser than SECRETS needs: every record's JSON says `key_id` and `…_tokens`, so a bare
 * `key|token` hint sent each usage line through the full pattern (hot path: once per request). An escaped
 * parameter name is rare (a Bedrock ARN in a path has escapes but no `=` after them).
 */
const HINT = /(?:key|token|secret|password|signature|sig)=|insecure-api-key\.|bearer|basic|api[-_]?key|authorization|:\/\/[^\s/?#]*@|%[0-9a-f]{2}[\w.%-]*=/i;

/** `%XX` → its character; a malformed escape stays as written (never throws, unlike decodeURIComponent). */
const decodeName = (name: string) => name.replace(/%([0-9a-f]{2})/gi, (_all, hex: string) => String.fromCharCode(parseInt(hex, 16)));

export function redact(text: string): string {
  if (!HINT.test(text)) return text;
  const out = text.replace(SECRETS, (_all, query?: string, bearer?: string, header?: string, scheme?: string, protocol?: string) => {
    if (query !== undefined) return `${query}[redacted]`;
    if (protocol !== undefined) return `${protocol}[redacted]`;
    if (bearer !== undefined) return `${bearer}[redacted]`;
    if (header !== undefined) return `${header}[redacted]`;
    return `${scheme}[redacted]@`;
  });
  // A second pass, so a value it keeps has already had its userinfo and bearer tokens taken out above.
  return out.replace(ENCODED_QUERY, (all, lead: string, name: string) =>
    SECRET_NAME.test(decodeName(name)) ? `${lead}${name}=[redacted]` : all);
}

/**
 * One line describing an error, redacted: its message, its code, and its cause's message — Deno's fetch says only
 * "fetch failed" and puts what happened (with the full URL) in `cause`. Bun's `path` (the URL) is never included.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return redact(oneLine(String(err)));
  const cause = (err as { cause?: unknown }).cause;
  const code = (err as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
  let text = oneLine(err.message);
  const because = cause instanceof Error ? oneLine(cause.message) : typeof cause === "string" ? oneLine(cause) : "";
  if (because !== "" && !text.includes(because)) text = text === "" ? because : `${text}: ${because}`;
  if (typeof code === "string" && !text.includes(code)) text = `${text} (${code})`;
  return redact(text);
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** C0 controls, DEL and C1 controls: any of them could end or forge a text log line, or drive a terminal. */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;
const HAS_CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** Makes `text` one printable line: `\n`, `\r`, `\t` as written in JSON, other controls as `\xHH`. */
export function escapeControls(text: string): string {
  if (!HAS_CONTROL.test(text)) return text;
  return text.replace(CONTROL, (c) => {
    switch (c) {
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      default:
        return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
    }
  });
}
