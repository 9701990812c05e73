/**
 * @module A Kestrel key as stored (never its secret) and the rules it carries: allowed models (globs on the
 * canonical model, src/attributes/model.ts), allowed providers, expiry, disabled, and a rotated-out secret's grace.
 */
import { canonicalModel } from "../attributes/model.ts";

export interface KestrelKey {
  /** `key_…`: the record's `key_id`, the `kestrel_key` budget scope, the API path. */
  id: string;
  name: string;
  /** SHA-256 hex of the current secret. */
  hash: string;
  /** `ksk_` + 4 characters, for lists. */
  prefix: string;
  /** The secret before the last rotation, accepted until `previous_until` (epoch ms). */
  previous_hash: string | null;
  previous_until: number | null;
  user: string | null;
  project: string | null;
  tags: string[];
  /** Globs (`*`), lower case; empty: any model. */
  models: string[];
  /** Provider ids; empty: any provider. */
  providers: string[];
  /** Epoch ms, or null: never. */
  expires_at: number | null;
  disabled: boolean;
  /** The client's `x-kestrel-*` attribution headers are recorded (the key holder vouches for them). */
  allow_attribution_headers: boolean;
  created_at: number;
}

/** What the API, CLI and self-service show: everything but the hashes. */
export type KeyView = Omit<KestrelKey, "hash" | "previous_hash">;

export function viewOf(key: KestrelKey): KeyView {
  const { hash: _h, previous_hash: _p, ...view } = key;
  return view;
}

/** A request the key may not make: 401 or 403, with a stable code. */
export class KeyRefusal extends Error {
  /** `key`: the key that was identified, when known (the refused request's record is attributed to it). */
  constructor(readonly code: string, readonly status: number, message: string, readonly key: KestrelKey | null = null) {
    super(message);
    this.name = "KeyRefusal";
  }
}

/** Why the key cannot be used at `now`, or null when it can (through `secretHash`: current or in grace). */
export function unusable(key: KestrelKey, secretHash: string, now: number): string | null {
  if (key.disabled) return "disabled";
  if (key.expires_at !== null && now >= key.expires_at) return "expired";
  if (secretHash !== key.hash && (key.previous_until === null || now >= key.previous_until)) return "rotated out";
  return null;
}

function globRegex(glob: string): RegExp {
  const body = glob.toLowerCase().split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${body}$`);
}

/**
 * True when the key allows the request's canonical model (attributes.requested_model): alias, dated and case variants
 * are one model. A request whose model could not be read is refused by a key with an allow-list.
 */
export function modelAllowed(key: KestrelKey, canonical: string | null): boolean {
  if (key.models.length === 0) return true;
  if (canonical === null) return false;
  return key.models.some((glob) => globRegex(glob).test(canonical));
}

/** A glob as stored: lower case; a plain model name in its canonical form (`GPT-4o-mini-2024-07-18` → `gpt-4o-mini`). */
export function canonicalGlob(glob: string): string {
  return glob.includes("*") ? glob.trim().toLowerCase() : canonicalModel(glob) ?? "";
}

export function providerAllowed(key: KestrelKey, provider: string): boolean {
  return key.providers.length === 0 || key.providers.includes(provider);
}
