/**
 * @module Providers whose responses carry no token usage (audio bytes). Their requests are recorded
 * (status, latency); text-to-speech is metered in characters (docs/architecture.md §21), the rest without usage.
 * - Cartesia and ElevenLabs: text-to-speech metered by characters; speech-to-text not yet.
 * Replicate predictions are metered in src/providers/replicate.ts (compute seconds).
 */
import { bodyModel } from "./facts.ts";
import { acceptsStreamUsage } from "./stream-usage.ts";
import type { ProviderSpec, RequestFacts } from "./types.ts";
import { createElevenLabsAccumulator, createSpeechAccumulator, ELEVENLABS_DEFAULT_MODEL } from "./units.ts";
import { asObject, textOf } from "../usage/fields.ts";

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

/** ElevenLabs text-to-speech and Cartesia `/tts/*`: characters (src/providers/units.ts); other paths unmetered. */
const modelId = (facts: RequestFacts) => textOf(asObject(facts.body)?.model_id);

export const PASSTHROUGH: readonly ProviderSpec[] = [
  {
    ...definePassthrough("cartesia", "Cartesia", { header: "x-api-key", bearer: false }),
    createAccumulator: (facts) => facts.path.includes("/tts/") ? createSpeechAccumulator(facts, (b) => b.transcript) : null,
    requestModel: modelId,
  },
  {
    ...definePassthrough("elevenlabs", "ElevenLabs", { header: "xi-api-key", bearer: false }),
    createAccumulator: (facts) => facts.path.includes("/text-to-speech/") ? createElevenLabsAccumulator(facts) : null,
    requestModel: (facts) => modelId(facts) ?? (facts.path.includes("/text-to-speech/") ? ELEVENLABS_DEFAULT_MODEL : null),
  },
];
