/**
 * @module CRC-32 (IEEE 802.3 / zlib polynomial 0xEDB88320), as AWS event-stream frames use for their prelude
 * and message checksums. Slicing-by-8: eight 256-entry tables, eight bytes per step.
 */

const POLY = 0xedb88320;

/** TABLES[k][b]: CRC of byte b followed by k zero bytes, the slicing-by-8 lookup tables. */
const TABLES: Int32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  const t0 = tables[0] as Int32Array;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLY ^ (c >>> 1) : c >>> 1;
    t0[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n] as number;
    for (let k = 1; k < 8; k++) {
      c = (t0[c & 0xff] as number) ^ (c >>> 8);
      (tables[k] as Int32Array)[n] = c;
    }
  }
  return tables;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
];

/** CRC-32 of `bytes[start, end)` as an unsigned 32-bit number (zlib.crc32 semantics). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = -1;
  let i = start;
  // Eight bytes per step while at least eight remain.
  for (const stop = end - 7; i < stop; i += 8) {
    c ^= (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    c = (T7[c & 0xff] as number) ^ (T6[(c >>> 8) & 0xff] as number) ^ (T5[(c >>> 16) & 0xff] as number) ^
      (T4[c >>> 24] as number) ^ (T3[bytes[i + 4] as number] as number) ^ (T2[bytes[i + 5] as number] as number) ^
      (T1[bytes[i + 6] as number] as number) ^ (T0[bytes[i + 7] as number] as number);
  }
  for (; i < end; i++) c = (T0[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}
