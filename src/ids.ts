/** @module Sortable record ids (ULID: 48-bit time + 80 random bits, Crockford base32) and generated request ids. */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Random bytes drawn in blocks: one `getRandomValues` call per 256 ids instead of one per id. */
const pool = new Uint8Array(16 * 256);
let used = pool.length;

/** The time part of the last id: exchanges finishing in the same millisecond share it. */
let lastMs = NaN;
let lastTime = "";

/** A ULID for the given time. Lexicographic order is time order (ties: random). */
export function ulid(timeMs: number): string {
  let t = Math.floor(timeMs);
  if (t !== lastMs) {
    lastMs = t;
    let time = "";
    for (let i = 0; i < 10; i++) {
      time = ALPHABET[t % 32]! + time;
      t = Math.floor(t / 32);
    }
    lastTime = time;
  }
  if (used === pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  let random = lastTime;
  for (let i = used; i < used + 16; i++) random += ALPHABET[pool[i]! & 31];
  used += 16;
  return random;
}

/** Kestrel's own request id when the upstream sent none. */
export function requestId(timeMs: number): string {
  return `req_${ulid(timeMs).toLowerCase()}`;
}
