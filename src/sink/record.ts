/** @module A finished exchange → the UsageRecord that is logged and stored: usage, cost, attribution. */
import { countedModel, requestAttributes } from "../attributes/attributes.ts";
import type { Exchange } from "../exchange.ts";
import { requestId, ulid } from "../ids.ts";
import { usd } from "../pricing/money.ts";
import type { Pricer } from "../pricing/pricer.ts";
import { redact } from "../redact.ts";
import type { UsageRecord } from "../usage/record.ts";
import { usageCounts } from "../usage/types.ts";

/** Upstream request id headers, most specific first. */
const REQUEST_ID_HEADERS = ["x-request-id", "request-id", "x-amzn-requestid", "apim-request-id", "x-amz-request-id"];

function upstreamRequestId(headers: Headers | null): string | null {
  if (headers === null) return null;
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    if (value) return value;
  }
  return null;
}

export interface Built {
  record: UsageRecord;
  /** Pico-USD per cost class, for the log line. */
  breakdown: Readonly<Record<string, number>> | null;
}

const MAX_MODEL = 256;

export async function buildRecord(ex: Exchange, pricer: Pricer): Promise<Built> {
  const m = ex.meter;
  const usage = m?.usage ?? null;
  const billed = ex.spec.billedBy?.(ex.clientPath);
  // An upstream (or client) that names a megabyte-long model must not make every record, log line and price
  // lookup a megabyte: real ids, Bedrock ARNs included, are far shorter.
  const model = (billed?.model || m?.model || ex.spec.requestModel(ex.facts))?.slice(0, MAX_MODEL) ?? null;
  const price = pricer.price(usage, {
    provider: ex.spec.id,
    model,
    serviceTier: m?.serviceTier ?? null,
    geo: billed?.geo ?? m?.geo ?? null,
    reportedCostPico: m?.reportedCostPico ?? null,
    searchContext: m?.searchContext ?? null,
  });
  // Computed at admission; an exchange that ended before its request was read gets them from what arrived.
  const attributes = ex.attributes ?? await requestAttributes(ex.spec, ex.facts);
  const breakdown = price.breakdown === null
    ? null
    : Object.fromEntries(Object.entries(price.breakdown).map(([k, v]) => [k, usd(v)]));
  const problems = [m?.usageError, m?.upstreamError && `upstream error: ${m.upstreamError}`, ex.error, price.note]
    .filter(Boolean);
  const record: UsageRecord = {
    id: ulid(ex.startedAt),
    ts: new Date(ex.startedAt).toISOString(),
    request_id: upstreamRequestId(ex.responseHeaders) ?? requestId(ex.startedAt),
    provider: ex.spec.id,
    model: model ?? null,
    requested_model: countedModel(attributes, model),
    method: ex.facts.method,
    path: ex.clientPath,
    status: ex.status,
    outcome: ex.outcome,
    streaming: ex.streaming,
    duration_ms: Math.round(ex.durationMs),
    ttfb_ms: ex.ttfbMs === null ? null : Math.round(ex.ttfbMs),
    ...usageCounts(usage),
    usage_source: usage === null ? "none" : (m?.source ?? "none"),
    usage_native: m?.native ?? null,
    cost_usd: price.cost_pico === null ? null : usd(price.cost_pico),
    cost_pico: price.cost_pico,
    cost_breakdown: breakdown,
    priced: price.priced,
    price_version: price.price_version,
    key_id: attributes.key_id,
    user: attributes.user,
    project: attributes.project,
    tags: [...attributes.tags],
    // Error texts can quote the upstream URL (`?key=`) or an upstream's echo of a header: stored only redacted.
    usage_error: problems.length > 0 ? redact(problems.join("; ")) : null,
    session_id: ex.realtime?.sessionId ?? null,
    response_id: ex.realtime?.responseId ?? null,
    close_code: ex.realtime?.closeCode ?? null,
    bytes_up: ex.realtime?.bytesUp ?? null,
    bytes_down: ex.realtime?.bytesDown ?? null,
    frames_up: ex.realtime?.framesUp ?? null,
    frames_down: ex.realtime?.framesDown ?? null,
  };
  return { record, breakdown: price.breakdown };
}
