/**
 * @module What both stores decide the same way about budget and rate-limit definitions (SQLite's control store is
 * synchronous underneath, PostgreSQL's async, so they share decisions, not statements): the stored text (the
 * definition's canonical identity, src/control/identity.ts), when a write changes anything, and the rule that a
 * definition from the config file is changed only through the file.
 */
import { budgetSpendKey, budgetText, ownerOf, rateLimitSpendKey, rateLimitText } from "../control/identity.ts";
import { parseBudget, parseRateLimit } from "../control/definitions.ts";
import type { Budget, ControlStore, RateLimit } from "../control/types.ts";

/** Where a definition came from: config-file ones are upserted at every start, API/CLI ones stay until removed. */
export type DefinitionSource = "config" | "api";

export type Table = "budgets" | "rate_limits";

/** `ControlStore` plus the definition's source on writes (defaults to "api"). */
export interface StoreControl extends ControlStore {
  /** Throws DefinedInConfig when an API/CLI write targets a definition the config file gives. */
  putBudget(budget: Budget, source?: DefinitionSource): Promise<void>;
  putRateLimit(limit: RateLimit, source?: DefinitionSource): Promise<void>;
  /** Throws DefinedInConfig for a definition the config file gives. */
  deleteBudget(id: string): Promise<boolean>;
  deleteRateLimit(id: string): Promise<boolean>;
  /**
   * At startup and on SIGHUP: upserts the config file's definitions (source "config"; a file entry replaces an
   * API/CLI one with the same id) and deletes config-sourced rows the file no longer has, in one transaction. Rows
   * last written by the API or CLI and absent from the file are kept. Resolves true when any definition changed.
   */
  syncConfig(budgets: readonly Budget[], rateLimits: readonly RateLimit[]): Promise<boolean>;
}

/** An API or CLI change to a definition the config file gives: it would be reverted at the next start or SIGHUP. */
export class DefinedInConfig extends Error {
  readonly code = "defined_in_config";
  constructor(table: Table, id: string) {
    super(`${table === "budgets" ? "Budget" : "Rate limit"} "${id}" is defined in the config file: change it there (then SIGHUP)`);
    this.name = "DefinedInConfig";
  }
}

export interface StoredRow {
  definition: string;
  source: string;
}

/** The definition's stored text. */
export function textOf(table: Table, definition: Budget | RateLimit): string {
  return table === "budgets" ? budgetText(definition as Budget) : rateLimitText(definition as RateLimit);
}

/** The counter key the definition's spend lives under (PostgreSQL's shared counters). */
export function spendKeyOf(table: Table, definition: Budget | RateLimit): string {
  return table === "budgets" ? budgetSpendKey(definition as Budget) : rateLimitSpendKey(definition as RateLimit);
}

export const ownerOfRow = (table: Table, id: string) => ownerOf(table === "budgets" ? "budget" : "rate_limit", id);

/**
 * What writing `text` from `source` over `old` does: nothing (same text, same source), only the source changes
 * (the file takes over an API definition it now names: no reload, no counter touched), or the text changes.
 * An API write over a config definition throws.
 */
export function writeOf(table: Table, id: string, old: StoredRow | undefined, text: string, source: DefinitionSource): "none" | "source" | "text" {
  if (old !== undefined && old.source === "config" && source === "api") throw new DefinedInConfig(table, id);
  if (old?.definition === text) return old.source === source ? "none" : "source";
  return "text";
}

/** An API delete of a config definition throws. */
export function checkDelete(table: Table, id: string, old: StoredRow | undefined): void {
  if (old !== undefined && old.source === "config") throw new DefinedInConfig(table, id);
}

/** Config rows the file no longer names. */
export function staleConfig(configIds: readonly string[], keep: readonly { id: string }[]): string[] {
  const ids = new Set(keep.map((d) => d.id));
  return configIds.filter((id) => !ids.has(id));
}

/**
 * A stored definition back, in canonical form: rows written by an older Kestrel (a scope model not yet canonical)
 * match as they would be written today. One the current rules refuse is kept as stored rather than lost.
 */
export function fromStored<T extends Budget | RateLimit>(table: Table, text: string): T {
  const raw = JSON.parse(text) as unknown;
  try {
    return (table === "budgets" ? parseBudget(raw) : parseRateLimit(raw)) as T;
  } catch {
    return raw as T;
  }
}
