/**
 * @module Usage of an OpenAI Realtime session (also Azure's) and of the Responses API over WebSocket: both send
 * JSON events named by a top-level `type`.
 *
 * - Realtime: every `response.done` carries `response.usage` (cancelled and incomplete responses too); input
 *   audio transcription is billed apart, on `conversation.item.input_audio_transcription.completed` (`usage`
 *   `{type:"tokens",…}` or `{type:"duration", seconds}`), at the transcription model the session names.
 * - Responses over WebSocket: `response.completed`, `response.incomplete` and `response.failed` carry the
 *   response with its usage and model.
 * The model is the session's (`session.created` / `session.updated`), else the URL's. HOT: the `type` member is
 * found and compared as bytes; only the events named here are parsed, once each (src/realtime/members.ts).
 */
import { checkResult } from "../meter/meter.ts";
import { meterResult } from "../providers/meter-result.ts";
import { ascii } from "../providers/event-kind.ts";
import type { MeterResult } from "../providers/types.ts";
import { describeError } from "../providers/upstream-error.ts";
import { parseSlice } from "../json/probe.ts";
import { equalsAt } from "../sse/bytes.ts";
import { asObject, type JsonObject, path, textOf } from "../usage/fields.ts";
import { normalizeOpenAi } from "../usage/normalize-openai.ts";
import type { MeterContext, RealtimeMeter } from "./meter.ts";
import { eachMember } from "./members.ts";

const CREATED = 1;
const DONE = 2;
const TRANSCRIBED = 3;
const SESSION = 4;
const COMMITTED = 5;

const NAMES: ReadonlyArray<readonly [Uint8Array, number]> = [
  ["response.created", CREATED],
  ["response.done", DONE],
  ["response.completed", DONE],
  ["response.incomplete", DONE],
  ["response.failed", DONE],
  ["conversation.item.input_audio_transcription.completed", TRANSCRIBED],
  ["input_audio_buffer.committed", COMMITTED],
  ["session.created", SESSION],
  ["session.updated", SESSION],
].map(([name, kind]) => [ascii(name as string), kind as number] as const);
const TYPE = ascii("type");

/** The kind of an event from its top-level `type`, or 0. HOT. */
export function eventKind(payload: Uint8Array): number {
  let kind = 0;
  eachMember(payload, (ks, ke, vs, ve) => {
    if (!equalsAt(payload, ks, ke, TYPE)) return false;
    for (const [name, k] of NAMES) {
      if (equalsAt(payload, vs + 1, ve - 1, name)) {
        kind = k;
        break;
      }
    }
    return true;
  });
  return kind;
}

/** Response starts kept at most (a client creating responses that never finish must not grow this). */
const MAX_OPEN = 256;

export function createOpenAiEventMeter(ctx: MeterContext): RealtimeMeter {
  let model: string | null = ctx.urlModel;
  let transcriptionModel: string | null = null;
  /** Response id or transcription item id → when it started. */
  const started = new Map<string, number>();
  let lastEnd = ctx.now();

  const startOf = (id: string | null) => {
    const at = id === null ? undefined : started.get(id);
    if (id !== null) started.delete(id);
    return at ?? lastEnd;
  };
  const note = (id: unknown) => {
    if (typeof id !== "string") return;
    if (started.size >= MAX_OPEN) started.clear();
    started.set(id, ctx.now());
  };
  const emit = (result: MeterResult, startedAt: number, notes: string[] = []) => {
    const now = ctx.now();
    lastEnd = now;
    ctx.emit({ outcome: checkResult(result, notes), startedAt, durationMs: Math.max(0, now - startedAt) });
  };

  function response(r: JsonObject): void {
    const usage = asObject(r.usage) ?? null;
    const id = textOf(r.id);
    const failed = r.status === "failed";
    const error = failed ? (path(r, "status_details", "error") ?? r.error ?? r.status_details) : null;
    model = textOf(r.model) ?? model;
    emit({
      model,
      native: usage,
      usage: usage === null ? null : normalizeOpenAi(usage),
      source: usage === null ? "none" : "reported",
      serviceTier: textOf(r.service_tier),
      geo: null,
      reportedCostPico: null,
      upstreamError: failed ? describeError(error) : null,
      responseId: id,
    }, startOf(id));
  }

  function transcription(o: JsonObject): void {
    const usage = asObject(o.usage) ?? null;
    const id = textOf(o.item_id);
    const tokens = usage === null ? null : normalizeOpenAi(usage);
    const notes = usage !== null && tokens === null && usage.type === "duration"
      ? [`transcription billed by duration (${String(usage.seconds)} s), which Kestrel does not price`]
      : [];
    emit(meterResult(transcriptionModel, usage, tokens, "reported", id), startOf(id), notes);
  }

  function session(s: JsonObject): void {
    model = textOf(s.model) ?? model;
    // GA sessions name it under audio.input.transcription, the beta ones under input_audio_transcription.
    transcriptionModel = textOf(path(s, "audio", "input", "transcription", "model")) ??
      textOf(path(s, "input_audio_transcription", "model")) ?? transcriptionModel;
  }

  return {
    get model() {
      return model;
    },
    fromUpstream(payload) {
      const kind = eventKind(payload);
      if (kind === 0) return;
      const o = asObject(parseSlice(payload));
      if (o === undefined) return;
      if (kind === CREATED) note(path(o, "response", "id"));
      else if (kind === COMMITTED) note(o.item_id);
      else if (kind === SESSION) session(asObject(o.session) ?? {});
      else if (kind === TRANSCRIBED) transcription(o);
      else {
        const r = asObject(o.response);
        if (r !== undefined) response(r);
      }
    },
    fromClient() {},
    end() {},
  };
}
