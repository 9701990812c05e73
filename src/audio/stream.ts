/**
 * @module The driver of the container duration readers (docs/architecture.md §21). A reader is a generator that
 * asks for bytes one step at a time (read, peek, skip, or the tail of the rest); the driver answers each step from
 * chunks split anywhere, so a reader never sees a chunk boundary, and keeps only what the step in hand needs: a
 * read of at most MAX_READ bytes, or the last bytes of the rest. A reader that cannot tell answers null; so does
 * one that throws, asks for too much, or is left waiting on a skip when the stream ends (the file was cut short).
 */

import { concatBytes } from "../sse/bytes.ts";

export type Step =
  /** Resumes with exactly `read` bytes, or fewer (maybe none) when the stream ended first. */
  | { read: number }
  /** As `read`, and the same bytes are then offered again to the next step. */
  | { peek: number }
  /** Resumes (with no bytes) once `skip` bytes went by; the stream ending first answers null: the file is cut. */
  | { skip: number }
  /** Resumes at the end of the stream with its last `tail` bytes (fewer when the rest was shorter). */
  | { tail: number };

/** A container reader: its answer is whole milliseconds of audio, or null when it cannot tell. */
export type Reader = Generator<Step, number | null, Uint8Array>;

/** The largest single read: headers and index frames, never audio. */
export const MAX_READ = 64 * 1024;
/** Steps a reader may take once the stream has ended, before it is taken to be looping. */
const MAX_STEPS_AT_END = 1024;

const EMPTY = new Uint8Array(0);

/** Bytes pushed in chunks, the answer asked for once at the end. */
export interface DurationTap {
  /** True once the reader has answered (a header that says it all, or garbage): more bytes change nothing. */
  push(chunk: Uint8Array): boolean;
  end(): number | null;
}

export function drive(reader: Reader): DurationTap {
  let answer: number | null | undefined;
  let step: Step | undefined;
  let gathered: Uint8Array[] = [];
  let have = 0;

  const finish = (value: number | null) => {
    answer = value;
    step = undefined;
    gathered = [];
  };
  /** Resumes the reader; then, when the step was a peek, offers its bytes again. */
  const resume = (bytes: Uint8Array) => {
    const peeked = step !== undefined && "peek" in step ? bytes : null;
    gathered = [];
    have = 0;
    try {
      const next = reader.next(bytes);
      if (next.done) return finish(next.value);
      step = next.value;
    } catch {
      return finish(null);
    }
    if (("read" in step && step.read > MAX_READ) || ("peek" in step && step.peek > MAX_READ)) return finish(null);
    if ("skip" in step && !(step.skip >= 0)) return finish(null);
    if ("skip" in step && step.skip === 0) return resume(EMPTY);
    if (peeked !== null) feed(peeked);
  };
  const wanted = (s: Step) => ("read" in s ? s.read : "peek" in s ? s.peek : 0);

  function feed(chunk: Uint8Array): void {
    let at = 0;
    while (answer === undefined && step !== undefined && at < chunk.length) {
      if ("skip" in step) {
        const n = Math.min(step.skip - have, chunk.length - at);
        have += n;
        at += n;
        if (have === step.skip) resume(EMPTY);
      } else if ("tail" in step) {
        const rest = chunk.subarray(at);
        const last = rest.length >= step.tail ? rest : joined([...gathered, rest]);
        gathered = [last.slice(Math.max(0, last.length - step.tail))];
        at = chunk.length;
      } else {
        const n = Math.min(wanted(step) - have, chunk.length - at);
        gathered.push(chunk.slice(at, at + n));
        have += n;
        at += n;
        if (have === wanted(step)) resume(joined(gathered));
      }
    }
  }

  resume(EMPTY);
  return {
    push(chunk) {
      feed(chunk);
      return answer !== undefined;
    },
    end() {
      for (let n = 0; answer === undefined && step !== undefined; n++) {
        if (n > MAX_STEPS_AT_END || "skip" in step) return answer ?? (finish(null), null);
        resume(joined(gathered));
      }
      return answer ?? null;
    },
  };
}

function joined(pieces: Uint8Array[]): Uint8Array {
  return pieces.length === 1 ? pieces[0]! : concatBytes(pieces, pieces.reduce((n, p) => n + p.length, 0));
}

/** Whole milliseconds in `units` at `perSecond` units a second, rounded half up, exactly (no float division). */
export function roundMs(units: number, perSecond: number): number | null {
  if (!Number.isSafeInteger(units) || !Number.isSafeInteger(perSecond) || units < 0 || perSecond <= 0) return null;
  const twice = BigInt(units) * 2000n + BigInt(perSecond);
  return Number(twice / (2n * BigInt(perSecond)));
}

/** The four bytes at `at` as text (a box type, a magic number). */
export function tag(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0, b[at + 3] ?? 0);
}

export const u16be = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
export const u32be = (b: Uint8Array, at: number) => b[at]! * 2 ** 24 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
export const u32le = (b: Uint8Array, at: number) => b[at + 3]! * 2 ** 24 + ((b[at + 2]! << 16) | (b[at + 1]! << 8) | b[at]!);
/** An unsigned 64-bit big-endian integer, or null above Number.MAX_SAFE_INTEGER. */
export function u64be(b: Uint8Array, at: number): number | null {
  const value = u32be(b, at) * 2 ** 32 + u32be(b, at + 4);
  return Number.isSafeInteger(value) ? value : null;
}
