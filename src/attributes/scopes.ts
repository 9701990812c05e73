/**
 * @module The scope table: every scope key a budget or rate limit can name, the request attribute it matches and
 * the stored column holding that attribute. The live match (src/control/scope-index.ts), both stores' spend SQL
 * (src/store/spend-query.ts) and the definitions' canonical form (src/control/identity.ts) are all generated from
 * it, so they cannot disagree. Adding a scope kind is one row here plus its attribute (docs/architecture.md §12).
 */
import type { Attributes } from "./attributes.ts";
import { canonicalModel } from "./model.ts";

interface ScopeSpec {
  /** The request attribute matched (also the column name in `requests` and `usage_rollup`). */
  attribute: Exclude<keyof Attributes, "model_known">;
  /** A tag scope matches when the value is one of the request's several tags. */
  many: boolean;
  /** The canonical form of a value a definition names (null: not a valid value). */
  canonical(value: string): string | null;
}

const asIs = (value: string) => value;
const lower = (value: string) => value.toLowerCase();

export const SCOPES = {
  key_id: { attribute: "key_id", many: false, canonical: asIs },
  user: { attribute: "user", many: false, canonical: asIs },
  project: { attribute: "project", many: false, canonical: asIs },
  provider: { attribute: "provider", many: false, canonical: lower },
  model: { attribute: "requested_model", many: false, canonical: canonicalModel },
  // A Kestrel key's id (src/keys/): its requests carry it as `key_id`, so this is a key_id scope that names only ids.
  kestrel_key: { attribute: "key_id", many: false, canonical: (value: string) => (/^key_[0-9A-Za-z]+$/.test(value) ? value : null) },
  tag: { attribute: "tags", many: true, canonical: asIs },
} as const satisfies Record<string, ScopeSpec>;

export type ScopeKey = keyof typeof SCOPES;
/** In table order: the order of canonical definitions and of the scope index's levels (`tag` last). */
export const SCOPE_KEYS = Object.keys(SCOPES) as ScopeKey[];
/** Every named key must equal the request's attribute; `{}` matches everything. */
export type Scope = Partial<Record<ScopeKey, string>>;

/** The request's single value for a scope key (not `tag`), or null. */
export function attributeOf(attributes: Attributes, key: Exclude<ScopeKey, "tag">): string | null {
  return attributes[SCOPES[key].attribute];
}

export type Dialect = "sqlite" | "pg";

/**
 * The SQL condition for one scope key on a table holding the attribute columns (`requests`, `usage_rollup`), with
 * the value in the named parameter `$param`. Tags are a JSON array of strings in both stores.
 */
export function scopeCondition(key: ScopeKey, param: string, table: string, dialect: Dialect): string {
  const column = SCOPES[key].attribute;
  if (SCOPES[key].many) {
    return dialect === "sqlite"
      ? `EXISTS (SELECT 1 FROM json_each(${table}.${column}) WHERE json_each.value = $${param})`
      : `${table}.${column}::jsonb @> jsonb_build_array($${param}::text)`;
  }
  return `${table}."${column}" = $${param}`;
}
