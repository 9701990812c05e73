/**
 * @module Usage of a Gemini Live session (AI Studio and Vertex AI `BidiGenerateContent`): each server message
 * may carry `usageMetadata`; a turn ends with `serverContent.turnComplete`. One record per turn.
 *
 * Per turn or cumulative? Google bills a Live session per turn for every token in the context window at that
 * turn, and each turn's `usageMetadata` reports that turn's billed tokens (the prompt count grows because the
 * context does, and is billed again). Summing every turn's report matches the bill; pricing only the last one
 * falls far short. Decision and sources: docs/architecture.md §18. USAGE_RULE is the one switch: "cumulative"
 * would read each report as the session total so far and record the difference from the previous one.
 * Within a turn, reports are merged field by field (the last value wins), as for a streamed generateContent.
 * The model is the client's `setup.model` (the server never names it). HOT: members are walked as bytes; only
 * `usageMetadata` and the client's `setup` are parsed.
 */
import { checkResult } from "../meter/meter.ts";
import { meterResult } from "../providers/meter-result.ts";
import { ascii } from "../providers/event-kind.ts";
import { parseSlice } from "../json/probe.ts";
import { equalsAt } from "../sse/bytes.ts";
import { buildUsage } from "../usage/build.ts";
import { asObject, type JsonObject, textOf } from "../usage/fields.ts";
import { normalizeGemini } from "../usage/normalize-gemini.ts";
import type { Usage } from "../usage/types.ts";
import type { MeterContext, RealtimeMeter } from "./meter.ts";
import { eachMember, isTrue, member } from "./members.ts";

/** How a `usageMetadata` report relates to the session (docs/architecture.md §18). */
export const USAGE_RULE: "per-turn" | "cumulative" = "per-turn";

const USAGE = ascii("usageMetadata");
const SERVER_CONTENT = ascii("serverContent");
const TURN_COMPLETE = ascii("turnComplete");
const MODEL_TURN = ascii("modelTurn");
const SETUP = ascii("setup");
const SETUP_TEXT = '"setup"';
const decoder = new TextDecoder();

/** Client messages looked at for `setup` at most: it is the first one a client sends. */
const SETUP_WITHIN = 4;

export function createGeminiLiveMeter(ctx: MeterContext, rule: "per-turn" | "cumulative" = USAGE_RULE): RealtimeMeter {
  let model: string | null = ctx.urlModel;
  let clientMessages = 0;
  /** The current turn's usage report, merged; whether the turn has completed; when it started. */
  let report: JsonObject | null = null;
  let turnDone = false;
  let turnStart = ctx.now();
  let turns = 0;
  /** Cumulative rule only: the session total already recorded. */
  let recorded: Usage | null = null;

  function emit(cut: boolean): void {
    const native = report!;
    report = null;
    turnDone = false;
    turns++;
    let usage = normalizeGemini(native);
    if (rule === "cumulative" && usage !== null) {
      const total = usage;
      usage = recorded === null ? total : minus(total, recorded);
      recorded = total;
    }
    const now = ctx.now();
    const notes = cut ? ["the session ended before the turn completed: usage as last reported"] : [];
    const outcome = checkResult(meterResult(model, native, usage, "reported", `turn-${turns}`), notes);
    ctx.emit({ outcome, startedAt: turnStart, durationMs: Math.max(0, now - turnStart) });
    turnStart = now;
  }

  return {
    get model() {
      return model;
    },
    fromUpstream(payload) {
      let us = -1;
      let ue = -1;
      let cs = -1;
      let ce = -1;
      eachMember(payload, (ks, ke, vs, ve) => {
        if (equalsAt(payload, ks, ke, USAGE)) [us, ue] = [vs, ve];
        else if (equalsAt(payload, ks, ke, SERVER_CONTENT)) [cs, ce] = [vs, ve];
        return false;
      });
      if (cs !== -1) {
        const complete = member(payload, TURN_COMPLETE, cs, ce);
        if (complete !== null && isTrue(payload, complete[0], complete[1])) turnDone = true;
        // New model output while a finished turn still waits for its usage: that turn reported none.
        else if (turnDone && report === null && member(payload, MODEL_TURN, cs, ce) !== null) turnDone = false;
      }
      if (us !== -1) {
        const u = asObject(parseSlice(payload, us, ue));
        if (u !== undefined) report = report === null ? u : { ...report, ...u };
      }
      if (turnDone && report !== null) emit(false);
    },
    fromClient(data) {
      if (clientMessages >= SETUP_WITHIN) return;
      clientMessages++;
      const text = typeof data === "string" ? data : decoder.decode(data);
      if (!text.includes(SETUP_TEXT)) return;
      let setup: unknown;
      if (typeof data === "string") {
        try {
          setup = asObject(JSON.parse(data))?.setup;
        } catch { /* not JSON: not a setup */ }
      } else {
        const at = member(data, SETUP);
        setup = at === null ? undefined : parseSlice(data, at[0], at[1]);
      }
      const named = textOf(asObject(setup)?.model);
      if (named !== null) {
        // `models/gemini-…` on AI Studio, `projects/…/models/gemini-…` on Vertex AI: the id is the last segment.
        model = named.slice(named.lastIndexOf("/") + 1);
        clientMessages = SETUP_WITHIN;
      }
    },
    end() {
      if (report !== null) emit(true);
    },
  };
}

/** `a − b` field by field, never below zero (a total that shrank means the context was compressed). */
function minus(a: Usage, b: Usage): Usage {
  const d = (x: number, y: number) => Math.max(0, x - y);
  return buildUsage({
    input: d(a.input_tokens, b.input_tokens),
    output: d(a.output_tokens, b.output_tokens),
    cacheRead: d(a.cache_read_tokens, b.cache_read_tokens),
    reasoning: d(a.reasoning_tokens, b.reasoning_tokens),
    audioIn: d(a.audio_input_tokens, b.audio_input_tokens),
    audioOut: d(a.audio_output_tokens, b.audio_output_tokens),
    cacheReadAudio: d(a.cache_read_audio_tokens ?? 0, b.cache_read_audio_tokens ?? 0),
  });
}
