/**
 * @module The text fields of a multipart upload (`model`, `response_format`…), read from its first bytes as they
 * stream past, and the length of its first file's audio, read from that file's container as it streams past
 * (docs/architecture.md §21): a transcription's model is a form field, and pricing needs it and the seconds. The
 * upload itself is neither buffered nor changed: only a copy of the first FORM_HEAD_BYTES is kept, and the file's
 * bytes go through a container reader (src/audio/duration.ts) that keeps only the header it is reading.
 */
import { audioDuration, type DurationTap } from "../audio/duration.ts";
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

/** What the head of a multipart upload says: its text fields, and where the first file's content starts. */
export interface FormHead {
  fields: Record<string, string>;
  /** The offset in the head of the first file part's first content byte, or null when no file part starts in it. */
  fileAt: number | null;
}

/** Text fields (no `filename`) of the parts that end within `head`, and where the first file starts. Pure. */
export function parseFormHead(head: Uint8Array, boundary: string): FormHead {
  // latin1 keeps one char per byte, so indexes match bytes; values are decoded as UTF-8 afterwards.
  let text = "";
  for (let i = 0; i < head.length; i += 8192) text += String.fromCharCode(...head.subarray(i, i + 8192));
  const fields: Record<string, string> = {};
  let fileAt: number | null = null;
  const delimiter = `--${boundary}`;
  let at = text.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length + 2; // past CRLF
    const headersEnd = text.indexOf("\r\n\r\n", start);
    if (headersEnd === -1) break;
    const headers = text.slice(start, headersEnd);
    if (fileAt === null && /filename=/i.test(headers)) fileAt = headersEnd + 4;
    const next = text.indexOf(`\r\n${delimiter}`, headersEnd + 4);
    if (next === -1) break;
    const name = /content-disposition:[^\r\n]*;\s*name="([^"]*)"/i.exec(headers)?.[1];
    if (name !== undefined && !/filename=/i.test(headers) && next - (headersEnd + 4) <= MAX_FIELD) {
      fields[name] = decoder.decode(head.subarray(headersEnd + 4, next));
    }
    at = next + 2;
  }
  return { fields, fileAt };
}

/**
 * The bytes of one part's content, pushed in chunks split anywhere, passed on to `into` up to the delimiter
 * (`CRLF--boundary`) that ends the part; the part cannot contain it (RFC 2046 §5.1.1), so the first one found is
 * the end. Keeps only the last delimiter-length bytes, which may be the start of one. `push` answers true at the
 * end, or as soon as `into` needs no more (so a large upload that is not audio is not scanned to its end).
 */
export function partContent(boundary: string, into: DurationTap): { push(chunk: Uint8Array): boolean } {
  const delimiter = new TextEncoder().encode(`\r\n--${boundary}`);
  const keep = delimiter.length - 1;
  let carry: Uint8Array = new Uint8Array(0);
  /** True once the part ended or `into` has its answer. */
  let ended = false;
  const pass = (bytes: Uint8Array) => (ended ||= into.push(bytes));
  return {
    push(chunk) {
      if (ended) return true;
      const joined = concatBytes([carry], carry.length + Math.min(chunk.length, keep), chunk.subarray(0, keep));
      let end = indexOf(joined, delimiter);
      if (end !== -1) {
        into.push(joined.subarray(0, end));
        return (ended = true);
      }
      end = indexOf(chunk, delimiter);
      if (end !== -1) {
        into.push(carry);
        into.push(chunk.subarray(0, end));
        return (ended = true);
      }
      const all = carry.length + chunk.length;
      if (all <= keep) {
        carry = joined;
        return false;
      }
      // Pass on all but the last `keep` bytes of carry + chunk; keep those.
      if (chunk.length >= keep) {
        pass(carry);
        pass(chunk.subarray(0, chunk.length - keep));
        carry = chunk.slice(chunk.length - keep);
      } else {
        pass(joined.subarray(0, all - keep));
        carry = joined.slice(all - keep);
      }
      return ended;
    },
  };
}

/** Where `needle` starts in `hay`, or -1. */
function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  for (let i = hay.indexOf(needle[0]!); i !== -1 && i + needle.length <= hay.length; i = hay.indexOf(needle[0]!, i + 1)) {
    let k = 1;
    while (k < needle.length && hay[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}

/**
 * Passes `body` through unchanged and fills `into` with its text fields once the first FORM_HEAD_BYTES (or the
 * whole body, when shorter) have gone by, and `audio.ms` with the first file's length once that part has ended
 * (null when its container cannot tell, or the body ends without closing the part).
 */
export function tapFormFields(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  into: Record<string, string>,
  audio: { ms: number | null },
): ReadableStream<Uint8Array> {
  let parts: Uint8Array[] | null = [];
  let size = 0;
  let file: { push(chunk: Uint8Array): boolean } | null = null;
  let duration: DurationTap | null = null;
  const fileBytes = (chunk: Uint8Array) => {
    if (file === null || !file.push(chunk)) return;
    audio.ms = duration!.end();
    file = null;
  };
  const headDone = () => {
    if (parts === null) return;
    const head = concatBytes(parts, size);
    parts = null;
    const read = parseFormHead(head, boundary);
    Object.assign(into, read.fields);
    if (read.fileAt === null) return;
    duration = audioDuration();
    file = partContent(boundary, duration);
    fileBytes(head.subarray(read.fileAt));
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        controller.enqueue(chunk);
        if (parts === null) return fileBytes(chunk);
        const take = Math.min(chunk.byteLength, FORM_HEAD_BYTES - size);
        parts.push(chunk.slice(0, take));
        size += take;
        if (size < FORM_HEAD_BYTES) return;
        headDone();
        fileBytes(chunk.subarray(take));
      },
      flush: headDone,
    }),
  );
}
