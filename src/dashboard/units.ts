/**
 * @module Units by kind (issue 23, docs/architecture.md §21): the token classes, then each unit that is not a token
 * when the range has any, and the plain names of a record's usage fields and cost classes.
 */
import { html } from "htm/preact";
import type { Totals } from "./api.ts";
import { UNIT_FIELDS } from "../usage/types.ts";
import { count } from "./format.ts";

type Unit = (typeof UNIT_FIELDS)[number];

/** What each unit counts, said plainly. */
export const UNIT_NAMES: Record<Unit, string> = {
  characters: "Characters (text to speech)",
  audio_ms: "Audio transcribed",
  images: "Images generated",
  search_queries: "Search queries",
  request_fees: "Per-request fees",
  compute_ms: "Compute time",
};

/** Whole milliseconds as seconds, exactly: "8.47 s" (no float sum: one integer divided once, at most 3 decimals). */
export function seconds(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return `${(ms / 1000).toLocaleString("en-US", { maximumFractionDigits: 3 })} s`;
}

/** A unit's count as shown: audio and compute time in seconds, the rest as counts. */
export const unitValue = (unit: Unit, n: number | null | undefined): string => unit === "audio_ms" || unit === "compute_ms" ? seconds(n) : count(n);

/** Cost classes (src/pricing/cost.ts COST_CLASSES) → plain names for a record's breakdown. */
export const COST_NAMES: Record<string, string> = {
  input: "Input tokens, uncached",
  cache_read: "Cache-read tokens",
  cache_write_5m: "Cache-write tokens (5 min)",
  cache_write_1h: "Cache-write tokens (1 h)",
  output: "Output tokens",
  audio_input: "Audio input tokens",
  audio_output: "Audio output tokens",
  image_input: "Image input tokens",
  image_output: "Image output tokens",
  citation: "Citation tokens",
  web_search: "Web searches",
  characters: "Characters (text to speech)",
  audio_ms: "Audio transcribed (seconds)",
  images: "Images generated",
  search_queries: "Search queries",
  request_fees: "Per-request fees",
  request_fees_low: "Per-request fees (low search context)",
  request_fees_medium: "Per-request fees (medium search context)",
  request_fees_high: "Per-request fees (high search context)",
  compute_ms: "Compute time (seconds)",
};

/** Input and output split into disjoint kinds, so the token bars add up to the total; units listed apart. */
export function UnitKinds(props: { total: Totals }) {
  const t = props.total;
  const audioIn = t.audio_input_tokens;
  const audioOut = t.audio_output_tokens;
  const kinds: [string, number][] = [
    ["Input, uncached", Math.max(0, t.input_tokens - t.cache_read_tokens - t.cache_write_tokens - audioIn)],
    ["Cache read", t.cache_read_tokens],
    ["Cache write", t.cache_write_tokens],
    ["Audio input", audioIn],
    ["Output", Math.max(0, t.output_tokens - t.reasoning_tokens - audioOut)],
    ["Reasoning", t.reasoning_tokens],
    ["Audio output", audioOut],
  ];
  const max = Math.max(1, ...kinds.map(([, n]) => n));
  // Units share no scale with tokens or with each other: numbers, no bars.
  const units = UNIT_FIELDS.filter((u) => t[u] > 0);
  return html`<section class="panel" aria-labelledby="kinds-h"><h2 id="kinds-h">Units by kind</h2>
    <table class="bars" data-testid="token-kinds"><caption>Tokens</caption><tbody>${kinds.map(([name, n]) =>
    html`<tr><th scope="row">${name}</th>
        <td class="bar-cell"><span class="bar" style=${`width:${(100 * n) / max}%`}></span></td>
        <td class="num">${count(n)}</td></tr>`
  )}</tbody></table>
    ${
    units.length > 0 && html`<table class="bars" data-testid="units"><caption>Other units</caption><tbody>${
      units.map((u) => html`<tr data-unit=${u}><th scope="row">${UNIT_NAMES[u]}</th><td class="num">${unitValue(u, t[u])}</td></tr>`)
    }</tbody></table>`
  }</section>`;
}
