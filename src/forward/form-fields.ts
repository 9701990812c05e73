/**
 * @module The text fields of a multipart upload (`model`, `response_format`…), read from its first bytes as they
 * stream past (docs/architecture.md §20): a transcription's model is a form field, and pricing needs it. The
 * upload itself is neither buffered nor changed: only a copy of the first FORM_HEAD_BYTES is kept, and a file
 * part's content is never decoded.
 */
import { concatBytes } from "../sse/bytes.ts";

/** Text fields come before the file in what SDKs send; a field after this many bytes is not read. */
export const FORM_HEAD_BYTES = 64 * 1024;
const MAX_FIELD = 1024;
const decoder = new TextDecoder();

/** The multipart boundary of a Content-Type, or null when it is not multipart/form-data. */
export function boundaryOf(contentType: string | null): string | null {
  if (contentType === null || !/^\s*multipart\/form-data/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

/** Text fields (no `filename`) of the parts that end within `head`. Pure. */
export function parseFormHead(head: Uint8Array, boundary: string): Record<string, string> {
  // latin1 keeps one char per byte, so indexes match bytes; values are decoded as UTF-8 afterwards.
  let text = "";
  for (let i = 0; i < head.length; i += 8192) text += String.fromCharCode(...head.subarray(i, i + 8192));
  const fields: Record<string, string> = {};
  const delimiter = `--${boundary}`;
  let at = text.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length + 2; // past CRLF
    const headersEnd = text.indexOf("\r\n\r\n", start);
    if (headersEnd === -1) break;
    const next = text.indexOf(`\r\n${delimiter}`, headersEnd + 4);
    if (next === -1) break;
    const headers = text.slice(start, headersEnd);
    const name = /content-disposition:[^\r\n]*;\s*name="([^"]*)"/i.exec(headers)?.[1];
    if (name !== undefined && !/filename=/i.test(headers) && next - (headersEnd + 4) <= MAX_FIELD) {
      fields[name] = decoder.decode(head.subarray(headersEnd + 4, next));
    }
    at = next + 2;
  }
  return fields;
}

/**
 * Passes `body` through unchanged and fills `into` with its text fields once the first FORM_HEAD_BYTES (or the
 * whole body, when shorter) have gone by.
 */
export function tapFormFields(body: ReadableStream<Uint8Array>, boundary: string, into: Record<string, string>): ReadableStream<Uint8Array> {
  let parts: Uint8Array[] | null = [];
  let size = 0;
  const done = () => {
    if (parts === null) return;
    Object.assign(into, parseFormHead(concatBytes(parts, size).subarray(0, FORM_HEAD_BYTES), boundary));
    parts = null;
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (parts !== null) {
          parts.push(chunk.slice(0, FORM_HEAD_BYTES - size));
          size += Math.min(chunk.byteLength, FORM_HEAD_BYTES - size);
          if (size >= FORM_HEAD_BYTES) done();
        }
        controller.enqueue(chunk);
      },
      flush: done,
    }),
  );
}
