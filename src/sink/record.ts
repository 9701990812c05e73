/** @module A finished exchange → its fact (src/usage/fact.ts): usage, cost, attribution; the record is derived from it. */
import { countedModel, requestAttributes } from "../attributes/attributes.ts";
import type { Exchange } from "../exchange.ts";
import type { Pricer } from "../pricing/pricer.ts";
import { type Fact, recordOf } from "../usage/fact.ts";
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

const MAX_MODEL = 256;

/** The exchange's fact (src/usage/fact.ts): priced and attributed, nothing derived that the record can derive. */
export async function factOf(ex: Exchange, pricer: Pricer): Promise<Fact> {
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
  const problems = [m?.usageError, m?.upstreamError && `upstream error: ${m.upstreamError}`, ex.error, price.note]
    .filter(Boolean);
  return {
    startedAt: ex.startedAt,
    id: null,
    ts: null,
    request_id: upstreamRequestId(ex.responseHeaders),
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
    cost_pico: price.cost_pico,
    breakdown: price.breakdown,
    priced: price.priced,
    price_version: price.price_version,
    key_id: attributes.key_id,
    user: attributes.user,
    project: attributes.project,
    tags: [...attributes.tags],
    problems: problems.length > 0 ? problems.join("; ") : null,
    session_id: ex.realtime?.sessionId ?? null,
    response_id: ex.realtime?.responseId ?? null,
    close_code: ex.realtime?.closeCode ?? null,
    bytes_up: ex.realtime?.bytesUp ?? null,
    bytes_down: ex.realtime?.bytesDown ?? null,
    frames_up: ex.realtime?.framesUp ?? null,
    frames_down: ex.realtime?.framesDown ?? null,
  };
}

/** The record of an exchange as the main thread makes it (tests, tools): the same `recordOf` the store uses. */
export async function buildRecord(ex: Exchange, pricer: Pricer): Promise<UsageRecord> {
  return recordOf(await factOf(ex, pricer));
}
