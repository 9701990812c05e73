/**
 * @module The usage of a token-priced voice (`gpt-4o-mini-tts`) whose answer is binary audio, which reports none:
 * estimated from the request's text and the answer's length (docs/architecture.md §21). The length is read from the
 * audio's container as it streams to the client (src/audio/), bytes unchanged. `pcm` has no container: OpenAI sends
 * raw 24 kHz 16-bit mono (text-to-speech guide, supported output formats), 48 bytes a millisecond. `aac` (ADTS) has
 * no reader here: its length is unknown.
 */
import { audioDuration } from "../audio/duration.ts";
import { buildUsage } from "../usage/build.ts";
import { tokensFromBytes } from "../usage/estimate.ts";
import type { Usage } from "../usage/types.ts";

const PCM_BYTES_PER_MS = 48;

/**
 * OpenAI prices `gpt-4o-mini-tts` audio at $12 per 1M output tokens and estimates $0.015 a minute of it
 * (platform.openai.com/docs/pricing, Text to speech): 1,250 audio tokens a minute.
 */
const AUDIO_TOKENS_PER_MINUTE = 1250;

/** Voices billed per token, not per character: OpenAI's `gpt-4o-mini-tts` and its dated snapshots. */
export function isTokenVoice(model: string | null): boolean {
  return model !== null && model.startsWith("gpt-4o-mini-tts");
}

export interface SpokenLength {
  push(chunk: Uint8Array): void;
  /** Whole milliseconds, or null when the format has no reader or the audio could not be read (cut, garbage). */
  ms(): number | null;
}

/** A tap on the answer's bytes for `response_format` (OpenAI's default is `mp3`). */
export function spokenLength(format: string): SpokenLength {
  if (format === "pcm") {
    let bytes = 0;
    return {
      push: (chunk) => void (bytes += chunk.byteLength),
      ms: () => (bytes > 0 ? Math.round(bytes / PCM_BYTES_PER_MS) : null),
    };
  }
  if (format === "aac") return { push: () => {}, ms: () => null };
  const tap = audioDuration();
  let answered = false;
  return {
    push(chunk) {
      if (!answered) answered = tap.push(chunk);
    },
    ms: () => tap.end(),
  };
}

const encoder = new TextEncoder();

/**
 * Text tokens in as ceil(UTF-8 bytes / 4) of the text spoken and the instructions (src/usage/estimate.ts), audio
 * tokens out at OpenAI's 1,250 a minute, rounded up.
 */
export function estimatedSpeechUsage(text: string, ms: number): Usage {
  const input = tokensFromBytes(encoder.encode(text).length);
  const audio = Math.ceil((ms * AUDIO_TOKENS_PER_MINUTE) / 60_000);
  return buildUsage({ input, output: audio, audioOut: audio });
}
