/**
 * Realtime sessions built from the documented event shapes (OpenAI Realtime API reference: `session.created`,
 * `response.done` with `usage.input_token_details.cached_tokens_details`, a cancelled response,
 * `conversation.item.input_audio_transcription.completed` with token and duration usage; the Responses API's
 * `response.completed`; Gemini Live `BidiGenerateContentServerMessage` with `usageMetadata`), and the usage and
 * cost each metered response must be recorded with (worked out by hand from the price table's rates).
 */

/** One step of a session: the upstream sends `server`, or waits for the client's `client`-th message. */
export type Step = { server: unknown; binary?: boolean } | { awaitClient: number };

export interface Expected {
  response_id: string | null;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cost_usd: string | null;
}

const pcm = (bytes: number) => btoa(String.fromCharCode(...new Uint8Array(bytes).map((_, i) => (i * 7) & 0xff)));

/** gpt-realtime: text 4 / cached 0.40 / out 16; audio 32 / cached 0.40 / out 64; image 5 (USD per 1M). */
export const OPENAI_SESSION: Step[] = [
  { server: { type: "session.created", event_id: "event_1", session: { type: "realtime", object: "realtime.session", id: "sess_1", model: "gpt-realtime", output_modalities: ["audio"], audio: { input: { format: { type: "audio/pcm", rate: 24000 }, transcription: null } } } } },
  { awaitClient: 1 },
  { server: { type: "session.updated", event_id: "event_2", session: { type: "realtime", id: "sess_1", model: "gpt-realtime", audio: { input: { transcription: { model: "gpt-4o-transcribe" } } } } } },
  { awaitClient: 3 },
  { server: { type: "input_audio_buffer.committed", event_id: "event_3", previous_item_id: null, item_id: "item_1" } },
  // Audio in, audio + text out.
  { server: { type: "response.created", event_id: "event_4", response: { object: "realtime.response", id: "resp_1", status: "in_progress", output: [], usage: null } } },
  { server: { type: "response.output_audio.delta", event_id: "event_5", response_id: "resp_1", item_id: "item_2", output_index: 0, content_index: 0, delta: pcm(3000) } },
  { server: { type: "response.output_audio_transcript.delta", event_id: "event_6", response_id: "resp_1", item_id: "item_2", output_index: 0, content_index: 0, delta: "Hello" } },
  { server: { type: "response.done", event_id: "event_7", response: { object: "realtime.response", id: "resp_1", status: "completed", status_details: null, output: [{ id: "item_2", type: "message", role: "assistant", content: [{ type: "output_audio", transcript: "Hello" }] }], conversation_id: "conv_1", usage: { total_tokens: 253, input_tokens: 132, output_tokens: 121, input_token_details: { text_tokens: 119, audio_tokens: 13, image_tokens: 0, cached_tokens: 0, cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 } }, output_token_details: { text_tokens: 30, audio_tokens: 91 } } } } },
  // The transcription of the input audio, billed apart at the session's transcription model.
  { server: { type: "conversation.item.input_audio_transcription.completed", event_id: "event_8", item_id: "item_1", content_index: 0, transcript: "Hey, can you hear me?", usage: { type: "tokens", total_tokens: 22, input_tokens: 13, input_token_details: { text_tokens: 0, audio_tokens: 13 }, output_tokens: 9 } } },
  { awaitClient: 4 },
  // Cached input (text and audio read from the cache).
  { server: { type: "response.created", event_id: "event_9", response: { id: "resp_2", status: "in_progress" } } },
  { server: new Uint8Array(1000).map((_, i) => i & 0xff), binary: true },
  { server: { type: "response.done", event_id: "event_10", response: { object: "realtime.response", id: "resp_2", status: "completed", usage: { total_tokens: 1050, input_tokens: 1000, output_tokens: 50, input_token_details: { text_tokens: 600, audio_tokens: 400, image_tokens: 0, cached_tokens: 512, cached_tokens_details: { text_tokens: 256, audio_tokens: 256, image_tokens: 0 } }, output_token_details: { text_tokens: 10, audio_tokens: 40 } } } } },
  { awaitClient: 5 },
  // Cancelled by the client (turn detected): still billed, with an image in the input.
  { server: { type: "response.created", event_id: "event_11", response: { id: "resp_3", status: "in_progress" } } },
  { server: { type: "response.done", event_id: "event_12", response: { object: "realtime.response", id: "resp_3", status: "cancelled", status_details: { type: "cancelled", reason: "turn_detected" }, usage: { total_tokens: 320, input_tokens: 300, output_tokens: 20, input_token_details: { text_tokens: 100, audio_tokens: 150, image_tokens: 50, cached_tokens: 0, cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 } }, output_token_details: { text_tokens: 0, audio_tokens: 20 } } } } },
  // whisper-1 style: billed by duration, which Kestrel records but cannot price.
  { server: { type: "conversation.item.input_audio_transcription.completed", event_id: "event_13", item_id: "item_9", content_index: 0, transcript: "Stop.", usage: { type: "duration", seconds: 3 } } },
];

/** What the client sends (as a Realtime client would), in order. */
export const OPENAI_CLIENT: unknown[] = [
  { type: "session.update", session: { type: "realtime", audio: { input: { transcription: { model: "gpt-4o-transcribe" } } } } },
  { type: "input_audio_buffer.append", audio: pcm(4800) },
  { type: "input_audio_buffer.commit" },
  { type: "response.create" },
  { type: "response.create" },
];

export const OPENAI_EXPECTED: Expected[] = [
  // 119 × 4 + 13 × 32 + 30 × 16 + 91 × 64 = 7,196 µUSD
  { response_id: "resp_1", model: "gpt-realtime", input_tokens: 132, output_tokens: 121, cost_usd: "0.007196" },
  // gpt-4o-transcribe: 13 audio × 2.5 + 9 × 10 = 122.5 µUSD
  { response_id: "item_1", model: "gpt-4o-transcribe", input_tokens: 13, output_tokens: 9, cost_usd: "0.0001225" },
  // text 344 × 4 + cached (256 text + 256 audio) × 0.40 + uncached audio 144 × 32 + 10 × 16 + 40 × 64 = 8,908.8 µUSD
  { response_id: "resp_2", model: "gpt-realtime", input_tokens: 1000, output_tokens: 50, cost_usd: "0.0089088" },
  // 100 × 4 + 150 × 32 + 50 image × 5 + 20 × 64 = 6,730 µUSD
  { response_id: "resp_3", model: "gpt-realtime", input_tokens: 300, output_tokens: 20, cost_usd: "0.00673" },
  // Duration usage: recorded with no tokens and no cost (usage_error says why).
  { response_id: "item_9", model: "gpt-4o-transcribe", input_tokens: -1, output_tokens: -1, cost_usd: null },
];

/** Gemini Live on AI Studio; gemini-live-2.5-flash-preview-native-audio-09-2025: text 0.30, audio 3, out 2, audio out 12. */
export const GEMINI_MODEL = "gemini-live-2.5-flash-preview-native-audio-09-2025";
export const GEMINI_CLIENT: unknown[] = [
  { setup: { model: `models/${GEMINI_MODEL}`, generationConfig: { responseModalities: ["AUDIO"] } } },
  { realtimeInput: { audio: { data: pcm(3200), mimeType: "audio/pcm;rate=16000" } } },
  { realtimeInput: { audio: { data: pcm(3200), mimeType: "audio/pcm;rate=16000" } } },
];
export const GEMINI_SESSION: Step[] = [
  { awaitClient: 1 },
  { server: { setupComplete: {} }, binary: true },
  { awaitClient: 2 },
  { server: { serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: "audio/pcm;rate=24000", data: pcm(4000) } }] } } }, binary: true },
  { server: { serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: "audio/pcm;rate=24000", data: pcm(4000) } }] } }, usageMetadata: { promptTokenCount: 500, responseTokenCount: 20, totalTokenCount: 520 } }, binary: true },
  { server: { serverContent: { generationComplete: true } }, binary: true },
  { server: { serverContent: { turnComplete: true }, usageMetadata: { promptTokenCount: 522, responseTokenCount: 42, totalTokenCount: 564, promptTokensDetails: [{ modality: "TEXT", tokenCount: 357 }, { modality: "AUDIO", tokenCount: 165 }], responseTokensDetails: [{ modality: "AUDIO", tokenCount: 42 }] } }, binary: true },
  { awaitClient: 3 },
  { server: { serverContent: { modelTurn: { parts: [{ text: "Sure." }] } } }, binary: true },
  { server: { serverContent: { turnComplete: true } }, binary: true },
  // The usage of turn 2 in a message of its own, after the turn completed.
  { server: { usageMetadata: { promptTokenCount: 700, responseTokenCount: 30, totalTokenCount: 730, promptTokensDetails: [{ modality: "TEXT", tokenCount: 420 }, { modality: "AUDIO", tokenCount: 280 }], responseTokensDetails: [{ modality: "TEXT", tokenCount: 30 }] } }, binary: true },
];
export const GEMINI_EXPECTED: Expected[] = [
  // 357 × 0.30 + 165 × 3 + 42 × 12 = 1,106.1 µUSD (the turn's last report; the earlier one is merged over)
  { response_id: "turn-1", model: GEMINI_MODEL, input_tokens: 522, output_tokens: 42, cost_usd: "0.0011061" },
  // 420 × 0.30 + 280 × 3 + 30 × 2 = 1,026 µUSD: the whole context again (per turn, docs/architecture.md §18)
  { response_id: "turn-2", model: GEMINI_MODEL, input_tokens: 700, output_tokens: 30, cost_usd: "0.001026" },
];

/** The Responses API over WebSocket: one `response.create`, one `response.completed` (gpt-4o: 2.50 / 10). */
export const RESPONSES_CLIENT: unknown[] = [{ type: "response.create", model: "gpt-4o", input: "Say hi" }];
export const RESPONSES_SESSION: Step[] = [
  { awaitClient: 1 },
  { server: { type: "response.created", sequence_number: 0, response: { id: "resp_ws_1", object: "response", status: "in_progress", model: "gpt-4o-2024-08-06", usage: null } } },
  { server: { type: "response.output_text.delta", sequence_number: 1, item_id: "msg_1", output_index: 0, content_index: 0, delta: "Hi" } },
  { server: { type: "response.completed", sequence_number: 2, response: { id: "resp_ws_1", object: "response", status: "completed", model: "gpt-4o-2024-08-06", usage: { input_tokens: 100, input_tokens_details: { cached_tokens: 0 }, output_tokens: 50, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 150 } } } },
];
export const RESPONSES_EXPECTED: Expected[] = [
  // 100 × 2.50 + 50 × 10 = 750 µUSD
  { response_id: "resp_ws_1", model: "gpt-4o-2024-08-06", input_tokens: 100, output_tokens: 50, cost_usd: "0.00075" },
];

const encoder = new TextEncoder();

/** A step's message as the upstream sends it. */
export function wire(step: { server: unknown; binary?: boolean }): { data: Uint8Array | string; binary: boolean } {
  if (step.server instanceof Uint8Array) return { data: step.server, binary: true };
  const text = JSON.stringify(step.server);
  return step.binary ? { data: encoder.encode(text), binary: true } : { data: text, binary: false };
}
