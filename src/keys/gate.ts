/**
 * @module A request's Kestrel key, found wherever the client's SDK puts a key (docs/architecture.md §20):
 * `Authorization: Bearer`, `x-api-key`, `api-key`, `x-goog-api-key`, `?key=`. Before anything goes upstream the key
 * is looked up in memory (src/keys/ring.ts) and checked (expiry, disabled, provider); the model is checked at
 * admission once the body is read. The client's credentials are then replaced by the provider secret in the
 * provider's own header (ProviderSpec.auth); the `ksk_` secret never leaves Kestrel.
 */
import type { ProviderSpec, RequestFacts } from "../providers/types.ts";
import type { KeyRing } from "./ring.ts";
import { isKestrelSecret } from "./secret.ts";
import { type KestrelKey, KeyRefusal, modelAllowed, providerAllowed } from "./types.ts";

/** Every header a provider reads a key from, besides the query's `key`. */
const CREDENTIAL_HEADERS = ["authorization", "x-api-key", "api-key", "x-goog-api-key"] as const;

/** Provider id → its secret, from the config file (src/keys/provider-keys.ts). Never logged or returned. */
export type ProviderSecrets = ReadonlyMap<string, string>;

export interface KeyOptions {
  ring: KeyRing;
  secrets: ProviderSecrets;
  /** `--require-kestrel-keys`: a request without a Kestrel key is refused (401 kestrel_key_required). */
  required: boolean;
}

/** What a keyed request carries from identification to forwarding. */
export interface Keyed {
  key: KestrelKey;
  /** The provider secret sent upstream instead of the client's credentials. */
  providerSecret: string;
  auth: { header: string; bearer: boolean };
}

/** Every credential the request carries, in any accepted place (the Authorization scheme dropped). */
function credentials(headers: Headers, query: string): string[] {
  const found: string[] = [];
  for (const name of CREDENTIAL_HEADERS) {
    const raw = headers.get(name);
    if (raw === null) continue;
    const space = name === "authorization" ? raw.indexOf(" ") : -1;
    const value = (space < 0 ? raw : raw.slice(space + 1)).trim();
    if (value !== "") found.push(value);
  }
  if (query) {
    for (const value of new URLSearchParams(query).getAll("key")) if (value !== "") found.push(value);
  }
  return found;
}

/**
 * The request's Kestrel secret, or null when it carries none. Throws KeyRefusal when keys are `required` and it
 * has none, or when it carries a Kestrel key beside another credential.
 */
export function kestrelSecretOf(headers: Headers, query: string, required: boolean): string | null {
  const found = credentials(headers, query);
  const kestrel = found.filter(isKestrelSecret);
  if (kestrel.length === 0) {
    if (required) throw new KeyRefusal("kestrel_key_required", 401, "This Kestrel requires a Kestrel key (ksk_…) on every request");
    return null;
  }
  // Two credentials leave it open which one is meant (and a provider key beside a Kestrel key would be dropped).
  if (found.length > 1) {
    throw new KeyRefusal("multiple_credentials", 400, "The request carries more than one key: send only the Kestrel key, in one place");
  }
  return kestrel[0]!;
}

/**
 * The request's checked Kestrel key, or null when it carries none (pass-through with the client's own provider key,
 * unless keys are required). Throws KeyRefusal without contacting the provider.
 */
export async function identifyRequest(options: KeyOptions, spec: ProviderSpec, facts: Pick<RequestFacts, "headers" | "query" | "path">, address: string): Promise<Keyed | null> {
  const secret = kestrelSecretOf(facts.headers, facts.query, options.required);
  if (secret === null) return null;
  const key = await options.ring.identify(secret, address);
  if (!providerAllowed(key, spec.id)) {
    throw new KeyRefusal("provider_not_allowed", 403, `This Kestrel key may not use provider ${JSON.stringify(spec.id)}`, key);
  }
  const auth = typeof spec.auth === "function" ? spec.auth(facts.path) : spec.auth ?? { header: "authorization", bearer: true };
  if (auth === "unsupported") {
    throw new KeyRefusal(
      "provider_auth_unsupported",
      501,
      `Kestrel keys cannot front this ${spec.id} request yet (it authenticates by request signing or OAuth): use the provider's own credentials`,
      key,
    );
  }
  // The config file's secret wins; one set at runtime (sealed in the store) otherwise.
  const providerSecret = options.secrets.get(spec.id) ?? options.ring.providerSecret(spec.id);
  if (providerSecret === undefined) {
    throw new KeyRefusal(
      "provider_key_missing",
      503,
      `No provider key is configured for ${JSON.stringify(spec.id)} ("provider_keys" in the config file, or kestrel provider-keys set)`,
      key,
    );
  }
  return { key, providerSecret, auth };
}

/** At admission: the model the request names (canonical) must be one the key allows. */
export function checkModel(keyed: Keyed, canonicalModel: string | null, modelKnown: boolean): void {
  if (!modelAllowed(keyed.key, modelKnown ? canonicalModel : null)) {
    throw new KeyRefusal(
      "model_not_allowed",
      403,
      canonicalModel === null || !modelKnown
        ? "This Kestrel key allows only some models, and the request's model could not be read"
        : `This Kestrel key may not use model ${JSON.stringify(canonicalModel)}`,
      keyed.key,
    );
  }
}

/** The upstream headers with every client credential removed and the provider secret in the provider's place. */
export function swapCredentials(headers: Headers, keyed: Keyed): void {
  for (const name of CREDENTIAL_HEADERS) headers.delete(name);
  headers.set(keyed.auth.header, keyed.auth.bearer ? `Bearer ${keyed.providerSecret}` : keyed.providerSecret);
}

/** The upstream URL without `key` query parameters (the Kestrel key travelled there). */
export function withoutKeyParam(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  params.delete("key");
  const rest = params.toString();
  return rest === "" ? url.slice(0, q) : `${url.slice(0, q)}?${rest}`;
}
