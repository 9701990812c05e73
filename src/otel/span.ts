/**
 * @module One exchange → one OTLP/JSON span (kind CLIENT, GenAI semconv attributes plus `kestrel.*`), and a batch
 * of spans → the `ExportTraceServiceRequest` body POSTed to `/v1/traces` (docs/architecture.md §15).
 */
import { safeJson } from "../json/safe.ts";
import type { UsageRecord } from "../usage/record.ts";
import { type Attributes, type AttributeValue, genAiAttributes, type GenAiSource, operationName } from "./attributes.ts";

/** OTLP enums, as integers in the JSON encoding. */
const SPAN_KIND_CLIENT = 3;
const STATUS_CODE_ERROR = 2;

export interface OtlpValue {
  stringValue?: string;
  /** int64 as a decimal string, as the protobuf JSON mapping writes it. */
  intValue?: string;
  boolValue?: boolean;
}

export interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
  status: { code?: number; message?: string };
}

export interface TraceParent {
  traceId: string;
  spanId: string;
}

const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;

/**
 * A W3C `traceparent` header's trace id and parent span id, or null when absent or invalid (version `ff`, all-zero
 * ids, upper-case hex, or extra fields on version 00): then the span starts a trace of its own.
 */
export function parseTraceParent(header: string | null): TraceParent | null {
  if (header === null) return null;
  const m = TRACEPARENT.exec(header.trim());
  if (m === null || m[1] === "ff" || (m[1] === "00" && m[4] !== undefined)) return null;
  if (m[2] === ZERO_TRACE || m[3] === ZERO_SPAN) return null;
  return { traceId: m[2]!, spanId: m[3]! };
}

/** `bytes` random bytes as lower-case hex; never all zero (an invalid id). */
export function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  buf[0]! |= buf[0] === 0 ? 1 : 0;
  let out = "";
  for (let i = 0; i < bytes; i++) out += buf[i]!.toString(16).padStart(2, "0");
  return out;
}

function otlpValue(value: AttributeValue): OtlpValue {
  if (typeof value === "number") return Number.isInteger(value) ? { intValue: String(value) } : { stringValue: String(value) };
  if (typeof value === "boolean") return { boolValue: value };
  return { stringValue: value };
}

/** Epoch milliseconds (fractional) → unix nanoseconds as a decimal string, exact to the microsecond. */
export function unixNanos(ms: number): string {
  const micros = Math.round(ms * 1000);
  return `${micros}000`;
}

export interface SpanSource extends GenAiSource {
  /** The client's `traceparent` header, or null. */
  traceparent: string | null;
  /** Epoch ms when the exchange started, and how long it ran. */
  startedAt: number;
  durationMs: number;
}

/** Kestrel's own attributes beside the semconv ones; unknown values are left out. */
function kestrelAttributes(r: UsageRecord, out: Attributes): void {
  out.push(["kestrel.outcome", r.outcome], ["kestrel.usage_source", r.usage_source], ["kestrel.streaming", r.streaming]);
  out.push(["kestrel.provider", r.provider], ["kestrel.request_id", r.request_id], ["kestrel.priced", r.priced]);
  // Exact decimal text, as in the record: a double would not add up to the stored sums.
  if (r.cost_usd !== null) out.push(["kestrel.cost_usd", r.cost_usd]);
  if (r.key_id !== null) out.push(["kestrel.key_id", r.key_id]);
  if (r.user !== null) out.push(["kestrel.user", r.user]);
  if (r.project !== null) out.push(["kestrel.project", r.project]);
  if (r.ttfb_ms !== null) out.push(["kestrel.ttfb_ms", r.ttfb_ms]);
  if (r.usage_error !== null) out.push(["kestrel.usage_error", r.usage_error]);
}

/** The span name per semconv, `{operation} {model}`; `{method} {provider}` when the operation is not a GenAI one. */
export function spanName(r: UsageRecord, requestModel: string | null): string {
  const operation = operationName(r.method, r.path);
  if (operation === null) return `${r.method} ${r.provider}`;
  const model = requestModel ?? r.model;
  return model === null ? operation : `${operation} ${model}`;
}

export function encodeSpan(source: SpanSource): OtlpSpan {
  const r = source.record;
  const attributes = genAiAttributes(source);
  kestrelAttributes(r, attributes);
  const parent = parseTraceParent(source.traceparent);
  const span: OtlpSpan = {
    traceId: parent?.traceId ?? randomHex(16),
    spanId: randomHex(8),
    name: spanName(r, source.requestModel),
    kind: SPAN_KIND_CLIENT,
    startTimeUnixNano: unixNanos(source.startedAt),
    endTimeUnixNano: unixNanos(source.startedAt + source.durationMs),
    attributes: attributes.map(([key, value]) => ({ key, value: otlpValue(value) })),
    status: r.outcome === "ok" ? {} : { code: STATUS_CODE_ERROR, message: r.usage_error ?? r.outcome },
  };
  if (parent !== null) span.parentSpanId = parent.spanId;
  return span;
}

/**
 * The OTLP/HTTP JSON body for a batch of spans, under one resource (`service.name` kestrel) and scope; strings
 * redacted like a JSON log line (a model name or path could carry a `?key=`).
 */
export function traceRequest(spans: readonly OtlpSpan[], version: string): string {
  const attr = (key: string, value: string): OtlpAttribute => ({ key, value: { stringValue: value } });
  return safeJson({
    resourceSpans: [{
      resource: { attributes: [attr("service.name", "kestrel"), attr("service.version", version)] },
      scopeSpans: [{ scope: { name: "kestrel", version }, spans }],
    }],
  });
}
