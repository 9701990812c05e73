/** @module The price table's version and provenance, for `kestrel --version` and each record's `price_version`. */
import { CORRECTIONS_REVISION } from "./corrections.ts";
import { embeddedMeta } from "./table.ts";

const meta = embeddedMeta();

/** `litellm-2026-07-24+k1`: upstream state + Kestrel's corrections revision. Overrides append `+o<hash>`. */
export const PRICE_VERSION = `${meta.version}+k${CORRECTIONS_REVISION}`;

export const PRICE_TABLE_INFO = {
  version: PRICE_VERSION,
  upstream: meta.upstream,
  upstreamDate: meta.upstream_date,
  sourceSha256: meta.source_sha256,
  generated: meta.generated,
  correctionsRevision: CORRECTIONS_REVISION,
  models: Object.values(meta.counts).reduce((a, b) => a + b, 0),
} as const;

/** One line for `kestrel --version`. */
export function priceVersionLine(): string {
  const i = PRICE_TABLE_INFO;
  return `prices ${i.version} (${i.models} upstream rows from ${i.upstreamDate}, sha256 ${i.sourceSha256.slice(0, 12)}, generated ${i.generated})`;
}
