/**
 * @module Alert payloads: the JSON body a webhook receives (only the fields that apply to the event) and the one
 * human line that becomes Slack's `{"text"}` and the WRN log line. The line is derived from the payload alone, so
 * an alert resumed from the outbox after a restart renders exactly as it would have before.
 */

export type AlertType =
  | "budget.threshold"
  | "budget.blocked"
  | "rate_limit.blocked"
  | "model.unpriced"
  | "spend.spike"
  | "reconcile.drift"
  | "reconcile.uncovered";
export const ALERT_TYPES: readonly AlertType[] = [
  "budget.threshold",
  "budget.blocked",
  "rate_limit.blocked",
  "model.unpriced",
  "spend.spike",
  "reconcile.drift",
  "reconcile.uncovered",
];

export interface AlertPayload {
  type: AlertType;
  /** ISO-8601 UTC, when the alert was raised. */
  at: string;
  /** The budget id. */
  budget?: string;
  /** The rate-limit id (`rate_limit.blocked`). */
  rate_limit?: string;
  /** The `alert_at` fraction crossed. */
  threshold?: number;
  spent_usd?: string;
  /** The budget's limit; for `spend.spike`, the hourly spend the alert fired above. */
  limit_usd?: string;
  /** A budget with a token limit: tokens used in the window, and the limit. */
  spent_tokens?: number;
  limit_tokens?: number;
  /** A rate limit's requests and tokens per minute (the ones it sets). */
  rpm?: number;
  tpm?: number;
  window_start?: string;
  resets_at?: string;
  model?: string;
  provider?: string;
  /** Reconciliation: the UTC day compared, the day's drift or uncovered USD, its coverage (0–1), and why. */
  day?: string;
  amount_usd?: string;
  coverage?: number;
  detail?: string;
}

export type WebhookFormat = "json" | "slack";

/** ISO-8601 UTC to the second (`2026-12-01T00:00:00Z`), the form the API and the 429 body use. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A payload with the fields that do not apply (null) left out, in the order given (the issue's). */
export function payload(
  fields: Pick<AlertPayload, "type" | "at"> & { [K in Exclude<keyof AlertPayload, "type" | "at">]?: AlertPayload[K] | null },
): AlertPayload {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== null && value !== undefined) out[key] = value;
  return out as unknown as AlertPayload;
}

/** A stored payload back (the outbox holds the JSON body); null when it is not one of ours. */
export function parsePayload(text: string): AlertPayload | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null) return null;
    const type = (value as { type?: unknown }).type;
    return typeof type === "string" && (ALERT_TYPES as readonly string[]).includes(type) ? value as AlertPayload : null;
  } catch {
    return null;
  }
}

const percent = (fraction: number) => `${Math.round(fraction * 10000) / 100}%`;

/** What was used of which limit: `$40.01 of $50 spent`, `1200 of 1000 tokens used`, or both. */
function used(p: AlertPayload): string {
  const parts: string[] = [];
  if (p.limit_usd !== undefined) parts.push(`$${p.spent_usd ?? "0"} of $${p.limit_usd} spent`);
  if (p.limit_tokens !== undefined) parts.push(`${p.spent_tokens ?? 0} of ${p.limit_tokens} tokens used`);
  return parts.join(", ");
}

/** One human line, no trailing period: `Budget "team-a-month" reached 80% of $50: $40.01 spent, resets …`. */
export function alertLine(p: AlertPayload): string {
  const resets = p.resets_at ? `, resets ${p.resets_at}` : "";
  switch (p.type) {
    case "budget.threshold": {
      const what = p.threshold === 1 ? "is exhausted" : `reached ${percent(p.threshold ?? 0)} of its limit`;
      return `Budget "${p.budget}" ${what}: ${used(p) || `$${p.spent_usd ?? "0"} spent`}${resets}`;
    }
    case "budget.blocked": {
      if (p.model !== undefined) return `"${p.budget}" refused model "${p.model}" (${p.provider}): it has no price`;
      const spent = used(p);
      return `"${p.budget}" refused a request${spent ? `: ${spent}` : ""}${resets}`;
    }
    case "rate_limit.blocked": {
      const limits = [p.rpm !== undefined ? `${p.rpm} requests` : "", p.tpm !== undefined ? `${p.tpm} tokens` : ""];
      return `Rate limit "${p.rate_limit}" refused a request: ${limits.filter(Boolean).join(" and ")} per minute`;
    }
    case "model.unpriced":
      return `Model "${p.model}" (${p.provider}) has usage but no price: its cost is not counted`;
    case "spend.spike":
      return `Spend spike: $${p.spent_usd} in the hour from ${p.window_start}, above $${p.limit_usd}`;
    case "reconcile.drift": {
      const largest = p.model === undefined ? "" : `; largest: model "${p.model}"${p.detail ? ` (${p.detail})` : ""}`;
      return `Reconcile ${p.provider} ${p.day}: $${p.amount_usd} differs between Kestrel and the provider's bill${largest}`;
    }
    case "reconcile.uncovered":
      return `Reconcile ${p.provider} ${p.day}: $${p.amount_usd} billed outside Kestrel (coverage ${percent(p.coverage ?? 0)})`;
  }
}

/** Slack reads `&`, `<` and `>` as markup; a budget or model name must show as typed. */
const slackEscape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The request body for one webhook format. */
export function webhookBody(p: AlertPayload, format: WebhookFormat): string {
  return format === "slack" ? JSON.stringify({ text: slackEscape(`Kestrel: ${alertLine(p)}`) }) : JSON.stringify(p);
}
