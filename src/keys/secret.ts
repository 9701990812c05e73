/**
 * @module Kestrel key secrets (docs/architecture.md §20): `ksk_` + 32 base62 characters (≈190 random bits, well
 * over the 128 asked), a `key_…` id used everywhere else, and the SHA-256 hash that is all the store keeps.
 * Lookups go by hash (a map), never by comparing secrets as strings.
 */

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const SECRET_PREFIX = "ksk_";
const SECRET_CHARS = 32;
const encoder = new TextEncoder();

/** Uniform base62: bytes ≥ 248 are redrawn (248 = 4 × 62), so no character is likelier than another. */
function base62(length: number): string {
  let out = "";
  const bytes = new Uint8Array(length * 2);
  while (out.length < length) {
    crypto.getRandomValues(bytes);
    for (const b of bytes) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}

export function newSecret(): string {
  return SECRET_PREFIX + base62(SECRET_CHARS);
}

export function newKeyId(): string {
  return `key_${base62(16)}`;
}

/** True for anything shaped like a Kestrel secret (the prefix decides: a provider key never starts with it). */
export function isKestrelSecret(credential: string): boolean {
  return credential.startsWith(SECRET_PREFIX);
}

/** Lower-case hex SHA-256 of the secret: the only form stored. */
export async function hashSecret(secret: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(secret)));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** What lists show to tell keys apart: `ksk_` and the first 4 random characters (24 bits: no help guessing). */
export function displayPrefix(secret: string): string {
  return secret.slice(0, SECRET_PREFIX.length + 4);
}
