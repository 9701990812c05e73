/**
 * @module An uploaded audio file's length from its container, read as it streams past (docs/architecture.md §21):
 * the first bytes say which container it is, and that container's reader walks the rest. Answers whole
 * milliseconds, or null when the container is another, or the reader cannot tell.
 */
import { flac } from "./flac.ts";
import { mp3 } from "./mp3.ts";
import { mp4 } from "./mp4.ts";
import { ogg } from "./ogg.ts";
import { drive, type DurationTap, type Reader, tag } from "./stream.ts";

export type { DurationTap };
import { wav } from "./wav.ts";
import { webm } from "./webm.ts";

function* sniff(): Reader {
  const h = yield { peek: 12 };
  if (tag(h, 0) === "RIFF" && tag(h, 8) === "WAVE") return yield* wav();
  if (tag(h, 0) === "fLaC") return yield* flac();
  if (tag(h, 0) === "OggS") return yield* ogg();
  if (tag(h, 4) === "ftyp") return yield* mp4();
  if (h[0] === 0x1a && h[1] === 0x45 && h[2] === 0xdf && h[3] === 0xa3) return yield* webm();
  if (tag(h, 0).startsWith("ID3") || (h[0] === 0xff && (h[1]! & 0xe0) === 0xe0)) return yield* mp3();
  return null;
}

/** A tap for one file's bytes: push them as they come, then `end()` answers its length in ms, or null. */
export function audioDuration(): DurationTap {
  return drive(sniff());
}
