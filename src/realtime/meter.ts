/**
 * @module Which realtime protocol a session speaks (by provider and upstream path), and the shape every realtime
 * accumulator reports in: one `Metered` per billed response, turn or transcription, each becoming one record.
 */
import type { MeterOutcome } from "../meter/meter.ts";
import { createGeminiLiveMeter } from "./gemini-live.ts";
import { createOpenAiEventMeter } from "./openai-events.ts";

export type RealtimeFamily = "openai" | "gemini-live";

/** One billed unit of a session. */
export interface Metered {
  /** Usage, model, id and problems, checked as an HTTP response's are (src/meter/meter.ts `checkResult`). */
  outcome: MeterOutcome;
  /** When it started (epoch ms) and how long it ran. */
  startedAt: number;
  durationMs: number;
}

export interface RealtimeMeter {
  /** The session's model as last learned (the session record names it), or null. */
  readonly model: string | null;
  /** Every upstream message. HOT: a byte probe; only messages that carry usage or the model are parsed. */
  fromUpstream(payload: Uint8Array): void;
  /** Every client message. HOT: only read until the session names its model (Gemini's `setup`). */
  fromClient(data: Uint8Array | string): void;
  /** The session ended: anything reported but not yet recorded (a Gemini turn cut short) is emitted now. */
  end(): void;
}

export interface MeterContext {
  /** The model the client's URL names (`?model=`, Azure `?deployment=`), the fallback for pricing. */
  urlModel: string | null;
  /** Wall clock, epoch ms. */
  now(): number;
  emit(metered: Metered): void;
}

/**
 * The realtime protocol behind an upstream path, or null (passed through, recorded as a session only):
 * OpenAI Realtime (`…/realtime`, Azure's too) and the Responses API over WebSocket (`…/responses`) share one
 * accumulator; Gemini Live is `…BidiGenerateContent` (and `…Constrained`, for ephemeral tokens) on AI Studio and
 * Vertex AI.
 */
export function familyOf(provider: string, upstreamPath: string): RealtimeFamily | null {
  if (provider === "openai" || provider === "azure-openai") {
    return /\/(realtime|responses)\/?$/.test(upstreamPath) ? "openai" : null;
  }
  if (provider === "google-ai-studio" || provider === "google-vertex-ai") {
    return upstreamPath.includes("BidiGenerateContent") ? "gemini-live" : null;
  }
  return null;
}

export function createRealtimeMeter(family: RealtimeFamily, ctx: MeterContext): RealtimeMeter {
  return family === "openai" ? createOpenAiEventMeter(ctx) : createGeminiLiveMeter(ctx);
}

/** `model=` (OpenAI) or `deployment=` (Azure's preview URLs) of a raw query string, decoded; else null. */
export function urlModel(query: string): string | null {
  if (query === "") return null;
  const params = new URLSearchParams(query);
  return params.get("model") || params.get("deployment") || null;
}
