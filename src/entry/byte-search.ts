/**
 * @module Bun's native whole-needle byte search for the meter's key probes (src/json/probe.ts `useByteSearch`):
 * Buffer#indexOf called on a plain Uint8Array, no Buffer made per call. On Bun it finds `"usage"` in a chat event
 * in about a third of the anchored search's time; on Deno it is slower, so only bun.ts hands it over.
 */
import { Buffer } from "node:buffer";

const indexOf = Buffer.prototype.indexOf as (this: Uint8Array, needle: Uint8Array, from: number) => number;

export function bufferSearch(hay: Uint8Array, needle: Uint8Array, from: number): number {
  return indexOf.call(hay, needle, from);
}
