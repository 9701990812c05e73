/**
 * @module A request's attributes, computed once at admission (docs/architecture.md §12): who sent it and what it
 * asks for. The exchange carries them, the record stores them (`key_id`, `user`, `project`, `tags`, `provider`,
 * `requested_model`), and spend control matches budgets and rate limits on them — live, and when it rebuilds its
 * windows from the store. Nothing re-derives them later.
 */
import type { ProviderSpec, RequestFacts } from "../providers/types.ts";
import type { UsageRecord } from "../usage/record.ts";
import { credentialOf, fingerprint, projectOf, tagsOf, userOf } from "./attribution.ts";
import { canonicalModel } from "./model.ts";

/** What a Kestrel key says about its holder (src/keys/types.ts): the source of who sent a keyed request. */
export interface KeyIdentity {
  id: string;
  user: string | null;
  project: string | null;
  tags: readonly string[];
  allow_attribution_headers: boolean;
}

export interface Attributes {
  /** Short fingerprint of the client's credential, never the credential. */
  key_id: string | null;
  user: string | null;
  project: string | null;
  /** Provider id, lower case. */
  provider: string;
  /**
   * The canonical model the request names (src/attributes/model.ts), or null when it names none — or when it could
   * not be read (`model_known` false): then the record stores the response's model in its canonical form.
   */
  requested_model: string | null;
  /** Canonical: trimmed, de-duplicated, sorted. */
  tags: readonly string[];
  /**
   * False when the request has a body Kestrel did not read (a multipart upload, a JSON body past the inspection
   * limit), so the model it names is unknown: spend control then treats it as any model (docs/architecture.md §12).
   */
  model_known: boolean;
}

/**
 * With a Kestrel key (docs/architecture.md §20) the key is who sent it: `key_id` is its id and user, project and
 * tags are the key's; the client's attribution headers and body `user` count only on a key that allows them (the
 * key holder vouches for them), and then win over the key's own.
 */
export async function requestAttributes(spec: ProviderSpec, facts: RequestFacts, key: KeyIdentity | null = null): Promise<Attributes> {
  const model = spec.requestModel(facts);
  const common = { provider: spec.id, requested_model: canonicalModel(model), model_known: model !== null || facts.inspected === true };
  if (key !== null) {
    const client = key.allow_attribution_headers;
    const tags = client ? tagsOf(facts.headers) : [];
    return {
      key_id: key.id,
      user: (client ? userOf(facts.headers, facts.body) : null) ?? key.user,
      project: (client ? projectOf(facts.headers) : null) ?? key.project,
      tags: tags.length > 0 ? tags : [...key.tags].sort(),
      ...common,
    };
  }
  const credential = credentialOf(facts.headers, facts.query);
  return {
    key_id: credential === null ? null : await fingerprint(credential),
    user: userOf(facts.headers, facts.body),
    project: projectOf(facts.headers),
    tags: tagsOf(facts.headers),
    ...common,
  };
}

/**
 * The model a finished exchange is counted under: what the request named, else — when the request could not be read —
 * the canonical form of the model the response reports. Stored as `requested_model`.
 */
export function countedModel(attributes: Attributes, responseModel: string | null): string | null {
  return attributes.model_known ? attributes.requested_model : canonicalModel(responseModel);
}

/** The attributes a stored record holds (its columns): what a finished exchange settles under. */
export function recordAttributes(
  record: Pick<UsageRecord, "key_id" | "user" | "project" | "provider" | "requested_model" | "tags">,
): Attributes {
  return {
    key_id: record.key_id,
    user: record.user,
    project: record.project,
    provider: record.provider,
    requested_model: record.requested_model,
    tags: record.tags,
    model_known: true,
  };
}
