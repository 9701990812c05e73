/**
 * @module The request body on its way up: streamed untouched, except small JSON bodies, which are read once so
 * the meter can see `model`, `stream` and `user`, and so a streaming chat request can ask for usage. While spend
 * control is on, a body that may be JSON is read up to the inspection limit whatever its framing (chunked, no
 * declared length) or declared type: a budget must see the model it names (docs/architecture.md §12).
 */
import { concatBytes } from "../sse/bytes.ts";
import { boundaryOf, tapFormFields } from "./form-fields.ts";

/** JSON request bodies up to this size are inspected (chat requests with inline images fit comfortably). */
export const INSPECT_MAX_BYTES = 32 * 1024 * 1024;

export interface RequestBody {
  /** What to send upstream. */
  body: BodyInit | null;
  /** The parsed JSON body, when inspected; a multipart upload's text fields, filled as it streams (form-fields.ts). */
  json: unknown;
  /** The content-length to send, when Kestrel changed the body. */
  length: number | null;
  /** True when the whole body was read (or there is none): what it names is known. */
  inspected: boolean;
  /** The body's size in bytes: as read, else as declared; null when it streams without a declared length. */
  bytes: number | null;
  /** A multipart upload's audio length from its file's container, once that part has streamed past (form-fields.ts). */
  uploadAudioMs?: () => number | null;
}

/** Bodies that are never JSON: streamed through unread even while spend control is on. */
const BINARY = /^\s*(multipart\/|audio\/|image\/|video\/|application\/octet-stream)/i;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** How the body's progress is reported (the idle watchdog) and how reading it is stopped. */
export interface BodyWatch {
  /** Told when bytes arrived (`done` once the body has ended): the exchange itself (src/routes/live.ts), no closure. */
  owner: { onBodyProgress(done: boolean): void };
  /** Aborted when the exchange is cut (client gone, body stalled, shutdown). */
  signal: AbortSignal;
  /**
   * Whether a streamed upload is watched chunk by chunk (`Traits.watchStreamedUploads`: on Bun the watch raises a
   * 50 MB upload's peak RSS from ~10 to ~15 MB; on Deno far more). Unwatched, a streamed upload's silence is timed
   * as the upstream's (504). Bodies Kestrel reads itself (small JSON) are watched on both.
   */
  streamed: boolean;
  /** The idle timeout: it decides which bodies are read in one call (`wholeReadMax`). */
  idleTimeoutMs: number;
  /** Spend control is on: read any body that may be JSON (up to INSPECT_MAX_BYTES), not only declared small JSON. */
  inspectAll: boolean;
}

/**
 * Reads the body when it is small JSON with a declared length; otherwise hands the stream through. Either way
 * every chunk from the client is reported, so a stalled upload is told apart from a slow upstream.
 */
export async function readRequestBody(req: Request, watch: BodyWatch): Promise<RequestBody> {
  if (req.body === null) {
    watch.owner.onBodyProgress(true);
    return { body: null, json: undefined, length: null, inspected: true, bytes: 0 };
  }
  const type = req.headers.get("content-type");
  const declared = req.headers.get("content-length");
  const length = Number(declared ?? NaN);
  const known = declared !== null && Number.isSafeInteger(length) ? length : null;
  if (type !== null && type.includes("json") && length <= INSPECT_MAX_BYTES) {
    const bytes = length <= wholeReadMax(watch.idleTimeoutMs) ? await readWhole(req, watch) : await readAll(req.body, watch);
    return parsed(bytes);
  }
  if (watch.inspectAll && !(type !== null && BINARY.test(type)) && !(length > INSPECT_MAX_BYTES)) {
    const read = await readUpTo(req.body, watch, INSPECT_MAX_BYTES);
    if (read.rest === null) return parsed(read.head);
    // Larger than the limit after all: sent as it came, the part already read first.
    return { body: read.rest, json: undefined, length: null, inspected: false, bytes: known };
  }
  // A multipart upload's text fields (a transcription's `model`) fill `json` as its first bytes stream past.
  const boundary = boundaryOf(type);
  const fields: Record<string, string> | undefined = boundary === null ? undefined : {};
  const audio = { ms: null as number | null };
  const stream = boundary === null ? req.body : tapFormFields(req.body, boundary, fields!, audio);
  const uploadAudioMs = () => audio.ms;
  if (watch.streamed) {
    return { body: watched(stream, watch), json: fields, length: null, inspected: false, bytes: known, uploadAudioMs };
  }
  watch.owner.onBodyProgress(true); // unobserved: its silence counts as the upstream's, as before
  return { body: stream, json: fields, length: null, inspected: false, bytes: known, uploadAudioMs };
}

function parsed(bytes: Uint8Array<ArrayBuffer>): RequestBody {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch {
    json = undefined; // not our business: the provider answers malformed JSON itself
  }
  return { body: bytes, json, length: null, inspected: true, bytes: bytes.byteLength };
}

/**
 * Bodies up to this size are read by the runtime in one call, unreported: a chat request is a few KB and
 * arrives with its headers, and the JS reader loop costs far more than the native read (BENCHMARKS.md). Read so,
 * a body is timed as a whole: it must arrive within the idle timeout. Hence also the floor of 1 byte per ms
 * (8 kbit/s): a body that could not arrive in time even at that rate is read chunk by chunk, each chunk
 * restarting the clock, so a slow but live upload is never cut (with a 1 s timeout: bodies over 1,000 bytes).
 */
const WHOLE_READ_BYTES = 64 * 1024;

function wholeReadMax(idleTimeoutMs: number): number {
  return Math.min(WHOLE_READ_BYTES, idleTimeoutMs);
}

/** The whole (small) body in one native read; rejects as soon as the exchange is cut. */
function readWhole(req: Request, watch: BodyWatch): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const stop = () => reject(new Error("request body read cut short"));
    watch.signal.addEventListener("abort", stop, { once: true });
    req.arrayBuffer().then(
      (buffer) => {
        watch.signal.removeEventListener("abort", stop);
        watch.owner.onBodyProgress(true);
        resolve(new Uint8Array(buffer));
      },
      (err) => {
        watch.signal.removeEventListener("abort", stop);
        reject(err);
      },
    );
  });
}

/** The whole body; throws when the exchange is cut while reading (a stalled client never finishes it). */
async function readAll(body: ReadableStream<Uint8Array>, watch: BodyWatch): Promise<Uint8Array<ArrayBuffer>> {
  const read = await readUpTo(body, watch, Number.POSITIVE_INFINITY);
  return read.head;
}

/**
 * The body when it ends within `max` bytes (`rest` null); otherwise the same bytes as a stream (`rest`): what was
 * read, then the remainder as it comes, each chunk still reported. Throws when the exchange is cut while reading.
 */
async function readUpTo(
  body: ReadableStream<Uint8Array>,
  watch: BodyWatch,
  max: number,
): Promise<{ head: Uint8Array<ArrayBuffer>; rest: ReadableStream<Uint8Array> | null }> {
  const reader = body.getReader();
  const stop = () => void reader.cancel().catch(() => {});
  watch.signal.addEventListener("abort", stop, { once: true });
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (watch.signal.aborted) throw new Error("request body read cut short");
      if (done) break;
      parts.push(value);
      size += value.byteLength;
      watch.owner.onBodyProgress(false);
      if (size > max) return { head: new Uint8Array(0), rest: resumed(parts, reader, watch) };
    }
  } finally {
    watch.signal.removeEventListener("abort", stop);
  }
  watch.owner.onBodyProgress(true);
  return { head: (parts.length === 1 ? parts[0] : concatBytes(parts, size)) as Uint8Array<ArrayBuffer>, rest: null };
}

/** The chunks already read, then the rest of `reader`, reporting progress like any streamed upload. */
function resumed(
  parts: Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
  watch: BodyWatch,
): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i < parts.length) return controller.enqueue(parts[i++]!);
      const { done, value } = await reader.read();
      if (done) {
        watch.owner.onBodyProgress(true);
        controller.close();
      } else {
        watch.owner.onBodyProgress(false);
        controller.enqueue(value);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * The client's body as fetch will pull it, reporting each chunk. A TransformStream rather than a pull stream:
 * for uploads it held less in flight on Bun (peak RSS +14–17 MB for 50 MB, against +19–28 MB).
 */
function watched(body: ReadableStream<Uint8Array>, watch: BodyWatch): ReadableStream<Uint8Array> {
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        watch.owner.onBodyProgress(false);
        controller.enqueue(chunk);
      },
      flush() {
        watch.owner.onBodyProgress(true);
      },
    }),
  );
}

/**
 * True for a streaming request that did not ask for usage chunks itself. A `stream_options` that is not an
 * object is the client's mistake to hear about from the provider, not one for Kestrel to paper over.
 */
export function lacksStreamUsage(json: unknown): boolean {
  if (typeof json !== "object" || json === null) return false;
  const body = json as { stream?: unknown; stream_options?: unknown };
  if (body.stream !== true) return false;
  const options = body.stream_options;
  if (options === undefined || options === null) return true;
  if (typeof options !== "object" || Array.isArray(options)) return false;
  return (options as { include_usage?: unknown }).include_usage !== true;
}

/** Appended before a body's closing brace when it has no `stream_options` at all. */
const ASK_USAGE = encoder.encode(`,"stream_options":{"include_usage":true}`);
const CLOSE_BRACE = 0x7d;

/**
 * The same request asking for usage (`stream_options.include_usage: true`), other options kept. Without a
 * `stream_options` key the client's bytes are kept and the member spliced in before the closing brace: no
 * stringify, and numbers JSON cannot hold exactly (a 20-digit `seed`) reach the provider as the client wrote them.
 */
export function withStreamUsage(json: Record<string, unknown>, bytes?: Uint8Array): RequestBody {
  if (bytes !== undefined && !Object.hasOwn(json, "stream_options")) {
    let end = bytes.length - 1;
    while (end >= 0 && (bytes[end] === 0x20 || bytes[end] === 0x0a || bytes[end] === 0x0d || bytes[end] === 0x09)) end--;
    if (end > 0 && bytes[end] === CLOSE_BRACE) {
      const spliced = new Uint8Array(end + ASK_USAGE.length + 1);
      spliced.set(bytes.subarray(0, end));
      spliced.set(ASK_USAGE, end);
      spliced[spliced.length - 1] = CLOSE_BRACE;
      return { body: spliced, json, length: spliced.byteLength, inspected: true, bytes: spliced.byteLength };
    }
  }
  const options = typeof json.stream_options === "object" && json.stream_options !== null ? json.stream_options : {};
  const body = encoder.encode(JSON.stringify({ ...json, stream_options: { ...options, include_usage: true } }));
  return { body, json, length: body.byteLength, inspected: true, bytes: body.byteLength };
}
