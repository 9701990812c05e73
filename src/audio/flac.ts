/**
 * @module FLAC: the STREAMINFO block's total samples / sample rate (docs/architecture.md §21). STREAMINFO is the
 * first metadata block; a total of 0 means the encoder did not know it (a stream), and is not read.
 */
import { type Reader, roundMs, tag } from "./stream.ts";

export function* flac(): Reader {
  const head = yield { read: 8 };
  // "fLaC", then the first block's header: type 0 (STREAMINFO), 34 bytes long.
  if (head.length < 8 || tag(head, 0) !== "fLaC" || (head[4]! & 0x7f) !== 0) return null;
  const info = yield { read: 34 };
  if (info.length < 34) return null;
  // Bytes 10..17: sample rate (20 bits), channels - 1 (3), bits per sample - 1 (5), total samples (36).
  const rate = (info[10]! << 12) | (info[11]! << 4) | (info[12]! >> 4);
  const samples = (info[13]! & 0x0f) * 2 ** 32 + info[14]! * 2 ** 24 + ((info[15]! << 16) | (info[16]! << 8) | info[17]!);
  if (rate === 0 || samples === 0) return null;
  return roundMs(samples, rate);
}
