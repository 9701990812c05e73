/**
 * @module The upper bound reserved for a request at admission (docs/architecture.md §12, reservations): input
 * tokens at most the request body's bytes (a token is at least one byte of the text that carries it), output at
 * most what the request allows (`max_tokens` and its spellings, times `n`) or else the model's output limit, each
 * at the highest rate the model can bill (src/pricing/bound.ts). Not bounded: input the body only points to (an
 * image or file URL), server-side tool calls.
 */
import type { Pricer } from "../pricing/pricer.ts";
import type { Estimate } from "./types.ts";

/** What a request tells about its size, as read at admission. */
export interface RequestSize {
  /** The model as the request names it (not canonical: prices are looked up by it), or null for none. */
  model: string | null;
  /** False when the request could not be read, so its model is unknown. */
  modelKnown: boolean;
  provider: string;
  /** The body's length in bytes, or null when it streams without a declared length. */
  bytes: number | null;
  /** The parsed JSON body, or undefined. */
  body: unknown;
}

const FREE: Estimate = Object.freeze({ pico: 0n, tokens: 0, priced: true });
const UNKNOWN: Estimate = Object.freeze({ pico: null, tokens: null, priced: false });

export function estimate(size: RequestSize, pricer: Pick<Pricer, "bound">): Estimate {
  if (!size.modelKnown) return UNKNOWN;
  // A request that names no model (a listing, a file download) is assumed free, as its record will be.
  if (size.model === null) return FREE;
  const bound = pricer.bound(size.provider, size.model, serviceTierOf(size.body));
  const allowed = outputAllowed(size.body);
  const output = allowed ?? bound?.maxOutput ?? null;
  const tokens = size.bytes === null || output === null ? null : size.bytes + output;
  if (bound === null) return { pico: 0n, tokens, priced: false }; // counted as $0 by `unpriced: "allow"` budgets
  const pico = size.bytes === null || output === null
    ? null
    : BigInt(size.bytes) * bound.input + BigInt(output) * bound.output;
  return { pico, tokens, priced: true };
}

const count = (v: unknown): number | null => (typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : null);

/** The output tokens the request allows at most: its limit times the number of choices, or null when unlimited. */
export function outputAllowed(body: unknown): number | null {
  if (typeof body !== "object" || body === null) return null;
  const b = body as Record<string, unknown>;
  const gen = typeof b.generationConfig === "object" && b.generationConfig !== null
    ? b.generationConfig as Record<string, unknown>
    : null;
  const inference = typeof b.inferenceConfig === "object" && b.inferenceConfig !== null
    ? b.inferenceConfig as Record<string, unknown>
    : null;
  const limit = count(b.max_completion_tokens) ?? count(b.max_tokens) ?? count(b.max_output_tokens) ??
    count(gen?.maxOutputTokens) ?? count(inference?.maxTokens);
  if (limit === null) return null;
  return limit * (count(b.n) ?? count(gen?.candidateCount) ?? 1);
}

/** The service tier the request asks for (`service_tier`), or null. */
function serviceTierOf(body: unknown): string | null {
  const tier = typeof body === "object" && body !== null ? (body as { service_tier?: unknown }).service_tier : undefined;
  return typeof tier === "string" ? tier : null;
}
