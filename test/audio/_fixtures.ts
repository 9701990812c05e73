/**
 * @module The generated audio fixtures (test/fixtures/audio/README.md) and each one's length. The lengths are what
 * `ffprobe -show_entries format=duration` (FFmpeg 5.1) reports for each file, except Ogg Opus, where FFmpeg does
 * not subtract the pre-skip (RFC 7845 §4).
 */
import { readFileSync } from "node:fs";

/** A fixture's bytes. */
export function read(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../fixtures/audio/${name}`, import.meta.url)));
}

/** Each fixture and its length in ms. */
export const EXPECTED: Record<string, number> = {
  "tone.wav": 1500, // ffprobe 1.500000: 12,000 bytes of data at 8,000 bytes a second
  "tone-vbr.mp3": 1584, // ffprobe 1.584000: Xing says 44 frames of 576 samples at 16 kHz (the encoder pads whole frames)
  "tone-cbr.mp3": 1584, // ffprobe 1.584000: no Xing frame; 44 frames walked
  "tone.flac": 1500, // ffprobe 1.500000: STREAMINFO 24,000 samples at 16 kHz
  "tone-vorbis.ogg": 1500, // ffprobe 1.500000: last granule 24,000 at 16 kHz
  "tone-opus.ogg": 1500, // ffprobe 1.506500 = granule 72,312 / 48 kHz; less the pre-skip of 312: 72,000
  "tone.m4a": 1500, // ffprobe 1.500000: mvhd 1,500 at timescale 1,000; moov after mdat
  "tone-faststart.m4a": 1500, // ffprobe 1.500000: the same, moov first
  "tone.webm": 1508, // ffprobe 1.508000: Info Duration 1,508 ticks of TimecodeScale 1 ms
};
