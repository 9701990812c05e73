/**
 * @module The text fields of a multipart upload (`model`, `response_format`…), read from its first bytes as they
 * stream past (docs/architecture.md §21): a transcription's model is a form field, and pricing needs it. The
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

/** What the head of a multipart upload says: its text fields, and the audio's length when its header tells. */
export interface FormHead {
  fields: Record<string, string>;
  /** Milliseconds of audio from the first file part's container header (WAV only), or null. */
  audioMs: number | null;
}

/** Text fields (no `filename`) of the parts that end within `head`, and the first file's audio length. Pure. */
export function parseFormHead(head: Uint8Array, boundary: string): FormHead {
  // latin1 keeps one char per byte, so indexes match bytes; values are decoded as UTF-8 afterwards.
  let text = "";
  for (let i = 0; i < head.length; i += 8192) text += String.fromCharCode(...head.subarray(i, i + 8192));
  const fields: Record<string, string> = {};
  let audioMs: number | null = null;
  let fileSeen = false;
  const delimiter = `--${boundary}`;
  let at = text.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length + 2; // past CRLF
    const headersEnd = text.indexOf("\r\n\r\n", start);
    if (headersEnd === -1) break;
    const headers = text.slice(start, headersEnd);
    if (!fileSeen && /filename=/i.test(headers)) {
      fileSeen = true;
      audioMs = wavDurationMs(head.subarray(headersEnd + 4));
    }
    const next = text.indexOf(`\r\n${delimiter}`, headersEnd + 4);
    if (next === -1) break;
    const name = /content-disposition:[^\r\n]*;\s*name="([^"]*)"/i.exec(headers)?.[1];
    if (name !== undefined && !/filename=/i.test(headers) && next - (headersEnd + 4) <= MAX_FIELD) {
      fields[name] = decoder.decode(head.subarray(headersEnd + 4, next));
    }
    at = next + 2;
  }
  return { fields, audioMs };
}

/**
 * A WAV file's length from its header (RIFF `fmt ` byte rate, `data` size), in whole milliseconds (rounded), or
 * null when the bytes are not a WAV header or its data size is unknown (a streamed WAV writes 0 or 0xFFFFFFFF).
 */
export function wavDurationMs(b: Uint8Array): number | null {
  const tag = (at: number) => String.fromCharCode(b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0, b[at + 3] ?? 0);
  const u32 = (at: number) => ((b[at] ?? 0) | (b[at + 1] ?? 0) << 8 | (b[at + 2] ?? 0) << 16) + (b[at + 3] ?? 0) * 2 ** 24;
  if (b.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") return null;
  let byteRate = 0;
  for (let at = 12; at + 8 <= b.length;) {
    const id = tag(at);
    const size = u32(at + 4);
    if (id === "fmt ") byteRate = u32(at + 16);
    else if (id === "data") {
      if (byteRate === 0 || size === 0 || size === 0xffffffff) return null;
      return Math.round((size * 1000) / byteRate);
    }
    at += 8 + size + (size % 2);
  }
  return null;
}

/**
 * Passes `body` through unchanged and fills `into` with its text fields (and `audio.ms` with the file's length)
 * once the first FORM_HEAD_BYTES (or the whole body, when shorter) have gone by.
 */
export function tapFormFields(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  into: Record<string, string>,
  audio: { ms: number | null },
): ReadableStream<Uint8Array> {
  let parts: Uint8Array[] | null = [];
  let size = 0;
  const done = () => {
    if (parts === null) return;
    const read = parseFormHead(concatBytes(parts, size).subarray(0, FORM_HEAD_BYTES), boundary);
    Object.assign(into, read.fields);
    audio.ms = read.audioMs;
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
