/**
 * @module Meters for what is billed per unit, not per token (docs/architecture.md §21): speech (characters of the
 * request text, or the usage a token-priced voice reports), transcription (seconds of audio the response reports),
 * images (images made, or the image tokens `gpt-image-1` reports). The request side reads `facts.body`, the body the
 * proxy already parsed once (src/forward/request-body.ts): nothing here reads a body again.
 */
import type { SseEvent } from "../sse/types.ts";
import { parseSlice } from "../json/probe.ts";
import { buildUsage } from "../usage/build.ts";
import { asObject, count, countOf, firstCount, type JsonObject, path, textOf } from "../usage/fields.ts";
import { normalizeOpenAi } from "../usage/normalize-openai.ts";
import type { Usage, UsageSource } from "../usage/types.ts";
import { bodyModel } from "./facts.ts";
import { estimatedSpeechUsage, isTokenVoice, spokenLength } from "./speech-length.ts";
import { meterResult as result } from "./meter-result.ts";
import type { MeterResult, RequestFacts, UsageAccumulator } from "./types.ts";

/** Characters as the providers count them: Unicode code points, not UTF-16 units. */
export function characters(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

const ok = (status: number | null) => status !== null && status >= 200 && status < 300;

/**
 * OpenAI `/audio/speech`: `gpt-4o-mini-tts` with `stream_format: "sse"` reports usage on its final
 * `speech.audio.done` event (reported). A binary answer of that token-priced voice reports none: its tokens are
 * estimated from the text and the audio's length (src/providers/speech-length.ts), else (a format or a cut audio
 * that cannot be measured) it is recorded with its characters and unpriced with the reason. Other voices: the
 * characters of `input` (request).
 */
export function createSpeechAccumulator(facts: RequestFacts, text: (body: JsonObject) => unknown = (b) => b.input): UsageAccumulator {
  let status: number | null = null;
  let native: JsonObject | null = null;
  const model = bodyModel(facts);
  const body = asObject(facts.body) ?? {};
  const length = isTokenVoice(model) ? spokenLength(textOf(body.response_format) ?? "mp3") : null;
  return {
    onResponse(code) {
      status = code;
    },
    onEvent(event: SseEvent) {
      const o = asObject(parseSlice(event.data));
      const usage = asObject(o?.usage);
      if (usage !== undefined) native = usage;
    },
    onJson(body) {
      native = asObject(asObject(body)?.usage) ?? native;
    },
    ...(length === null ? {} : { onBytes: (chunk: Uint8Array) => length.push(chunk) }),
    finish(): MeterResult {
      if (native !== null) return result(model, native, normalizeOpenAi(native), "reported");
      const said = textOf(text(body));
      if (!ok(status) || said === null) return result(model, null, null, "none");
      const ms = length?.ms() ?? null;
      if (ms !== null) return result(model, null, estimatedSpeechUsage(said + (textOf(body.instructions) ?? ""), ms), "estimated");
      return result(model, null, buildUsage({ input: 0, output: 0, characters: characters(said) }), "request");
    },
  };
}

/**
 * The seconds of audio a transcription reports: `usage: {type: "duration", seconds}` (gpt-4o-transcribe) or the
 * `duration` of a `verbose_json` answer (whisper-1, Groq), in whole milliseconds (the float rounded to the ms).
 */
export function transcribedMs(body: unknown): number | null {
  const o = asObject(body);
  if (o === undefined) return null;
  const u = asObject(o.usage);
  const seconds = u?.type === "duration" ? u.seconds : o.duration;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : null;
}

/**
 * Wraps the token accumulator of a transcription: when no token usage arrived, the reported duration is billed,
 * else the uploaded file's length from its container header (`request`).
 */
export function withTranscribedSeconds(inner: UsageAccumulator, facts: RequestFacts): UsageAccumulator {
  let status: number | null = null;
  let ms: number | null = null;
  return {
    onResponse(code, headers) {
      status = code;
      inner.onResponse?.(code, headers);
    },
    ...(inner.onEvent ? { onEvent: inner.onEvent.bind(inner) } : {}),
    onJson(body) {
      inner.onJson?.(body);
      ms = transcribedMs(body);
    },
    finish(complete) {
      const r = inner.finish(complete);
      if (r.usage !== null && r.usage.total_tokens > 0) return r;
      if (ms !== null) {
        const native = r.native ?? { duration: ms / 1000 };
        return { ...r, native, usage: buildUsage({ input: 0, output: 0, audioMs: ms }), source: "reported" };
      }
      const uploaded = ok(status) ? facts.uploadAudioMs?.() ?? null : null;
      if (uploaded === null) return r;
      return { ...r, usage: buildUsage({ input: 0, output: 0, audioMs: uploaded }), source: "request" };
    },
  };
}

/**
 * The table key a DALL·E request is billed under: the plain row is 1024x1024 standard; other sizes and `hd` are
 * LiteLLM's `quality/size/model` keys (which hold no exact per-image rate yet, so they are unpriced with the reason,
 * never billed at the plain row's price).
 */
export function imageModel(body: JsonObject): string {
  // OpenAI's documented default for every image endpoint is dall-e-2.
  const model = textOf(body.model) ?? "dall-e-2";
  if (model !== "dall-e-2" && model !== "dall-e-3") return model;
  const size = textOf(body.size) ?? "1024x1024";
  const quality = textOf(body.quality) ?? "standard";
  if (size === "1024x1024" && quality === "standard") return model;
  const sized = size.replace("x", "-x-");
  return model === "dall-e-3" ? `${quality}/${sized}/${model}` : `${sized}/${model}`;
}

/** OpenAI `/images/generations|edits|variations`: images made (`data`), and `gpt-image-1`'s token usage. */
export function createImageAccumulator(facts: RequestFacts): UsageAccumulator {
  let body: JsonObject | null = null;
  let usageNative: JsonObject | null = null;
  return {
    onJson(value) {
      body = asObject(value) ?? null;
      usageNative = asObject(body?.usage) ?? null;
    },
    onEvent(event: SseEvent) {
      const o = asObject(parseSlice(event.data));
      if (o?.type === "image_generation.completed" || o?.type === "image_edit.completed") {
        usageNative = asObject(o.usage) ?? usageNative;
        body = { data: [{}] };
      }
    },
    finish(): MeterResult {
      const request = asObject(facts.body) ?? {};
      const images = Array.isArray(body?.data) ? body.data.length : 0;
      const model = imageModel(request);
      if (body === null) return result(model, null, null, "none");
      const u = usageNative;
      if (u === null) return result(model, { images }, buildUsage({ input: 0, output: 0, images }), "reported");
      const output = count(u.output_tokens);
      const usage = buildUsage({
        input: count(u.input_tokens),
        output,
        cacheRead: firstCount(path(u, "input_tokens_details", "cached_tokens")),
        imageIn: firstCount(path(u, "input_tokens_details", "image_tokens")),
        imageOut: firstCount(path(u, "output_tokens_details", "image_tokens")) ?? output,
        images,
      });
      return result(textOf(asObject(body)?.model) ?? model, u, usage, "reported");
    },
  };
}

/** ElevenLabs `/v1/text-to-speech/{voice}` (and `/stream`, `/with-timestamps`): `text`, model `model_id`. */
export const ELEVENLABS_DEFAULT_MODEL = "eleven_multilingual_v2";

export function createElevenLabsAccumulator(facts: RequestFacts): UsageAccumulator {
  let status: number | null = null;
  let charged: number | undefined;
  return {
    onResponse(code, headers) {
      status = code;
      // ElevenLabs states the characters billed in the `character-cost` response header.
      charged = countOf(Number(headers.get("character-cost") ?? NaN));
    },
    finish(): MeterResult {
      const body = asObject(facts.body) ?? {};
      const model = textOf(body.model_id) ?? ELEVENLABS_DEFAULT_MODEL;
      if (!ok(status)) return result(model, null, null, "none");
      if (charged !== undefined) {
        return result(model, { "character-cost": charged }, buildUsage({ input: 0, output: 0, characters: charged }), "reported");
      }
      const text = textOf(body.text);
      return result(model, null, text === null ? null : buildUsage({ input: 0, output: 0, characters: characters(text) }), "request");
    },
  };
}
