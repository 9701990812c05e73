/**
 * @module MP3 (MPEG-1/2/2.5 Layer III): frames counted, each × its samples / the sample rate (docs/architecture.md
 * §21). An ID3v2 tag at the start is skipped by its size; frames are walked header to header (sizes from the
 * bitrate and padding bit), so constant and variable bitrates are both counted exactly. A Xing/Info or VBRI index
 * frame carries no audio; its frame count must agree with the walk. A trailing ID3v1 tag ends the walk; anything
 * else that is not a frame (a cut, garbage, another layer, a sample-rate change) answers null.
 */
import { type Reader, roundMs, tag, u32be } from "./stream.ts";

const MPEG1_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MPEG1_RATES = [44_100, 48_000, 32_000];

interface Frame {
  version: number; // 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5
  rate: number;
  samples: number;
  size: number;
  mono: boolean;
}

/** A Layer III frame header's fields, or null when the four bytes are not one. */
export function frameHeader(h: Uint8Array): Frame | null {
  if (h[0] !== 0xff || (h[1]! & 0xe0) !== 0xe0) return null;
  const version = (h[1]! >> 3) & 3;
  const layer = (h[1]! >> 1) & 3;
  const bitrateIndex = h[2]! >> 4;
  const rateIndex = (h[2]! >> 2) & 3;
  if (version === 1 || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  const mpeg1 = version === 3;
  const rate = MPEG1_RATES[rateIndex]! / (mpeg1 ? 1 : version === 2 ? 2 : 4);
  const bitrate = (mpeg1 ? MPEG1_KBPS : MPEG2_KBPS)[bitrateIndex]! * 1000;
  const samples = mpeg1 ? 1152 : 576;
  const size = Math.floor((samples / 8) * bitrate / rate) + ((h[2]! >> 1) & 1);
  return { version, rate, samples, size, mono: h[3]! >> 6 === 3 };
}

/** The frame count a Xing/Info or VBRI index frame states (undefined when it states none), or null if not one. */
function indexFrames(frame: Uint8Array, f: Frame): number | undefined | null {
  const side = f.version === 3 ? (f.mono ? 17 : 32) : (f.mono ? 9 : 17);
  const xing = 4 + side;
  const t = tag(frame, xing);
  if ((t === "Xing" || t === "Info") && frame.length >= xing + 12) {
    return u32be(frame, xing + 4) & 1 ? u32be(frame, xing + 8) : undefined;
  }
  if (tag(frame, 36) === "VBRI" && frame.length >= 36 + 18) return u32be(frame, 36 + 14);
  return null;
}

export function* mp3(): Reader {
  const id3 = yield { peek: 10 };
  if (tag(id3, 0).startsWith("ID3")) {
    yield { read: 10 };
    // Syncsafe size (7 bits a byte), not counting the 10-byte header, nor the footer when flag 0x10 says there is one.
    const size = ((id3[6]! & 0x7f) << 21) | ((id3[7]! & 0x7f) << 14) | ((id3[8]! & 0x7f) << 7) | (id3[9]! & 0x7f);
    yield { skip: size + (id3[5]! & 0x10 ? 10 : 0) };
  }
  let first: Frame | null = null;
  let stated: number | undefined;
  let frames = 0;
  for (;;) {
    const h = yield { read: 4 };
    if (h.length === 0) break;
    if (h.length === 4 && tag(h, 0).startsWith("TAG")) {
      const rest = yield { tail: 125 };
      if (rest.length !== 124) return null; // ID3v1 is exactly 128 bytes, and last
      break;
    }
    const f = h.length === 4 ? frameHeader(h) : null;
    if (f === null || f.size < 4) return null;
    if (first === null) {
      first = f;
      const body = yield { read: f.size - 4 };
      if (body.length < f.size - 4) return null;
      const frame = new Uint8Array(f.size);
      frame.set(h);
      frame.set(body, 4);
      const index = indexFrames(frame, f);
      if (index === null) frames++;
      else stated = index;
      continue;
    }
    if (f.version !== first.version || f.rate !== first.rate) return null;
    yield { skip: f.size - 4 };
    frames++;
  }
  if (first === null || frames === 0 || (stated !== undefined && stated !== frames)) return null;
  return roundMs(frames * first.samples, first.rate);
}
