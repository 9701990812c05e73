/**
 * @module Providers proxied without metering: their responses carry no token usage (audio bytes, prediction
 * jobs), so there is nothing to read and no accumulator. Their requests are still recorded (status, latency)
 * with usage unknown.
 * - Cartesia and ElevenLabs: text-to-speech / speech-to-text, billed by characters or seconds.
 * - Replicate: predictions are asynchronous jobs; `metrics` (token counts for some language models) arrive on
 *   a later poll, not on the request that started the job.
 */
import { bodyModel } from "./facts.ts";
import { acceptsStreamUsage } from "./stream-usage.ts";
import type { ProviderSpec } from "./types.ts";

function definePassthrough(id: string, label: string, auth?: ProviderSpec["auth"]): ProviderSpec {
  return {
    id,
    ...(auth ? { auth } : {}),
    label,
    logStyle: "openai",
    createAccumulator: () => null,
    requestModel: bodyModel,
    acceptsStreamUsage,
  };
}

export const PASSTHROUGH: readonly ProviderSpec[] = [
  definePassthrough("cartesia", "Cartesia", { header: "x-api-key", bearer: false }),
  definePassthrough("elevenlabs", "ElevenLabs", { header: "xi-api-key", bearer: false }),
  definePassthrough("replicate", "Replicate"),
];
