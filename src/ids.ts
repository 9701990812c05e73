/** @module Sortable record ids (ULID: 48-bit time + 80 random bits, Crockford base32) and generated request ids. */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A ULID for the given time. Lexicographic order is time order (ties: random). */
export function ulid(timeMs: number): string {
  let time = "";
  let t = Math.floor(timeMs);
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let random = "";
  for (let i = 0; i < 16; i++) random += ALPHABET[bytes[i]! & 31];
  return time + random;
}

/** Kestrel's own request id when the upstream sent none. */
export function requestId(timeMs: number): string {
  return `req_${ulid(timeMs).toLowerCase()}`;
}
