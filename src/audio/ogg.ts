/**
 * @module Ogg Vorbis and Ogg Opus: the last page's granule position over the rate (docs/architecture.md §21).
 * Pages are walked header to header, their bodies skipped; only the first page's body (the codec's id header)
 * and the last granule seen are kept. Opus counts at 48 kHz and starts `pre-skip` samples in (RFC 7845 §4);
 * Vorbis at its id header's rate. The stream must end with its end-of-stream page, whole: a file cut short, a
 * second logical stream, or any other codec answers null.
 */
import { type Reader, roundMs, tag, u32le } from "./stream.ts";

const FIRST_PAGE = 0x02;
const LAST_PAGE = 0x04;

export function* ogg(): Reader {
  let serial: number | null = null;
  let rate = 0;
  let preSkip = 0;
  let granule: number | null = null;
  let ended = false;
  for (;;) {
    const header = yield { read: 27 };
    if (header.length === 0) break;
    if (header.length < 27 || tag(header, 0) !== "OggS" || header[4] !== 0 || ended) return null;
    const segments = yield { read: header[26]! };
    if (segments.length < header[26]!) return null;
    const size = segments.reduce((n, s) => n + s, 0);
    const flags = header[5]!;
    if (serial === null) {
      if (!(flags & FIRST_PAGE)) return null;
      serial = u32le(header, 14);
      const id = yield { read: size };
      if (id.length < size) return null;
      if (id.length >= 19 && tag(id, 0) === "Opus" && tag(id, 4) === "Head") {
        rate = 48_000;
        preSkip = id[10]! | (id[11]! << 8);
      } else if (id.length >= 16 && id[0] === 1 && tag(id, 1) === "vorb" && id[5] === 0x69 && id[6] === 0x73) {
        rate = u32le(id, 12); // "\x01vorbis", version, channels, then the sample rate
      } else {
        return null;
      }
    } else {
      if (u32le(header, 14) !== serial) return null;
      yield { skip: size };
    }
    // -1 (all ones) marks a page on which no packet ends: it moves no granule.
    const low = u32le(header, 6);
    const high = u32le(header, 10);
    if (!(low === 0xffffffff && high === 0xffffffff)) granule = high < 2 ** 21 ? high * 2 ** 32 + low : null;
    ended = (flags & LAST_PAGE) !== 0;
  }
  if (!ended || granule === null || rate === 0 || granule < preSkip) return null;
  return roundMs(granule - preSkip, rate);
}
