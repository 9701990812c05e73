/** @module Test helpers: run the SSE scanner over chunks and record what it delivers, comparably. */
import { createSseScanner } from "../../src/sse/scanner.ts";
import type { ScanError, SseEvent } from "../../src/sse/types.ts";

const decoder = new TextDecoder();

/** One delivered event, copied out of the scanner's reused object. */
export interface Seen {
  event: string | null;
  data: string;
  start: number;
  end: number;
}

export interface Run {
  events: Seen[];
  errors: ScanError[];
}

/** Feeds `chunks` then end(); returns copies of every event and error. */
export function collect(chunks: Iterable<Uint8Array>, maxEventBytes?: number): Run {
  const events: Seen[] = [];
  const errors: ScanError[] = [];
  const scanner = createSseScanner({
    onEvent: (e: SseEvent) => {
      events.push({
        event: e.event === null ? null : decoder.decode(e.event),
        data: decoder.decode(e.data),
        start: e.start,
        end: e.end,
      });
    },
    onError: (error) => errors.push(error),
    ...(maxEventBytes === undefined ? {} : { maxEventBytes }),
  });
  for (const chunk of chunks) scanner.push(chunk);
  scanner.end();
  return { events, errors };
}

/** Byte-exact digest of a run's events: names and data as bytes, offsets; no decoding on comparison. */
export interface Expected {
  names: (Uint8Array | null)[];
  data: Uint8Array[];
  starts: number[];
  ends: number[];
  errors: number;
}

/** Feeds `chunks` and records events as byte copies (the reference a fixture's chunkings are compared with). */
export function record(chunks: Iterable<Uint8Array>): Expected {
  const out: Expected = { names: [], data: [], starts: [], ends: [], errors: 0 };
  const scanner = createSseScanner({
    onEvent: (e) => {
      out.names.push(e.event === null ? null : e.event.slice());
      out.data.push(e.data.slice());
      out.starts.push(e.start);
      out.ends.push(e.end);
    },
    onError: () => out.errors++,
  });
  for (const chunk of chunks) scanner.push(chunk);
  scanner.end();
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Feeds `chunks` and checks every event against `want` as it arrives; returns a description of the first
 * difference, or null. Cheap enough to run at every split point of a large fixture.
 */
export function mismatch(chunks: Iterable<Uint8Array>, want: Expected): string | null {
  let k = 0;
  let problem: string | null = null;
  let errors = 0;
  const scanner = createSseScanner({
    onEvent: (e) => {
      if (problem !== null) return;
      const i = k++;
      const name = want.names[i];
      const data = want.data[i];
      if (data === undefined || name === undefined) problem = `extra event ${i} at ${e.start}`;
      else if (e.start !== want.starts[i] || e.end !== want.ends[i]) {
        problem = `event ${i}: offsets ${e.start}-${e.end}, want ${want.starts[i]}-${want.ends[i]}`;
      } else if (!sameBytes(e.data, data)) problem = `event ${i}: data differs`;
      else if (name === null ? e.event !== null : e.event === null || !sameBytes(e.event, name)) {
        problem = `event ${i}: name differs`;
      }
    },
    onError: () => errors++,
  });
  for (const chunk of chunks) scanner.push(chunk);
  scanner.end();
  if (problem !== null) return problem;
  if (k !== want.data.length) return `${k} events, want ${want.data.length}`;
  if (errors !== want.errors) return `${errors} errors, want ${want.errors}`;
  return null;
}

/** settled() after each chunk of `chunks` is pushed, then after end(). */
export function settledAfter(chunks: Iterable<Uint8Array>, maxEventBytes?: number): number[] {
  const scanner = createSseScanner({
    onEvent: () => {},
    ...(maxEventBytes === undefined ? {} : { maxEventBytes }),
  });
  const out: number[] = [];
  for (const chunk of chunks) {
    scanner.push(chunk);
    out.push(scanner.settled());
  }
  scanner.end();
  out.push(scanner.settled());
  return out;
}
