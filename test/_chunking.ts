/**
 * @module Chunking helpers for the chunking property (docs/architecture.md §9): feed the same bytes whole, at every
 * two-way split point, one byte at a time and in seeded random splits, and expect identical results. Chunks are
 * `subarray` views of the input (no copies), so a consumer that keeps views across pushes is caught only if it
 * also mutates; tests that need private buffers can `.slice()` each chunk.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the recorded fixtures (one folder per provider API). Change here when the fixtures move. */
export const FIXTURES_DIR = fileURLToPath(new URL("./fixtures/", import.meta.url));

/** The two chunks of `bytes` split before index `i`. */
export function splitAt(bytes: Uint8Array, i: number): Uint8Array[] {
  return [bytes.subarray(0, i), bytes.subarray(i)];
}

/** Every two-way split, from `[empty, all]` to `[all, empty]` (length + 1 chunkings). */
export function* everySplit(bytes: Uint8Array): Generator<Uint8Array[]> {
  for (let i = 0; i <= bytes.length; i++) yield splitAt(bytes, i);
}

/** One chunk per byte. */
export function byteAtATime(bytes: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
  return chunks;
}

/** Deterministic PRNG (mulberry32): the same seed gives the same sequence in every runtime. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts `bytes` into chunks whose lengths are drawn by `nextSize` (at least 1 byte each). */
export function splitBySizes(bytes: Uint8Array, nextSize: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = Math.min(bytes.length, at + Math.max(1, nextSize()));
    chunks.push(bytes.subarray(at, end));
    at = end;
  }
  return chunks;
}

/**
 * `count` deterministic random chunkings of `bytes`. Chunk sizes vary in scale from chunking to chunking
 * (1–8 bytes up to whole kilobytes) so both tiny and TCP-sized splits occur; empty chunks are mixed in too.
 */
export function seededSplits(bytes: Uint8Array, seed: number, count: number): Uint8Array[][] {
  const rng = createRng(seed);
  const result: Uint8Array[][] = [];
  for (let k = 0; k < count; k++) {
    const scale = [8, 64, 512, 4096, 65536][k % 5] as number;
    const chunks = splitBySizes(bytes, () => Math.floor(rng() * scale) + 1);
    if (chunks.length > 1 && rng() < 0.5) chunks.splice(1, 0, bytes.subarray(0, 0));
    result.push(chunks);
  }
  return result;
}

/**
 * Paths of every fixture file under FIXTURES_DIR whose name ends in `ext`, sorted. Throws when fewer than `min`
 * are found, so a moved folder or a wrong extension fails the test file instead of running it on nothing.
 */
export function listFixtures(ext: string, min: number): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(FIXTURES_DIR, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(join(FIXTURES_DIR, dir.name))) {
      if (file.endsWith(ext)) out.push(join(FIXTURES_DIR, dir.name, file));
    }
  }
  return atLeast(out.sort(), min, `*${ext} fixtures under ${FIXTURES_DIR}`);
}

/** `items`, after checking there are at least `min` of them (a table-driven test over nothing passes vacuously). */
export function atLeast<T>(items: T[], min: number, what: string): T[] {
  if (items.length < min) throw new Error(`Expected at least ${min} ${what}, found ${items.length}`);
  return items;
}

/** The bytes of a fixture file, as a plain Uint8Array. */
export function readFixture(path: string): Uint8Array {
  const buf = readFileSync(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
