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

export async function requestAttributes(spec: ProviderSpec, facts: RequestFacts): Promise<Attributes> {
  const credential = credentialOf(facts.headers, facts.query);
  const model = spec.requestModel(facts);
  return {
    key_id: credential === null ? null : await fingerprint(credential),
    user: userOf(facts.headers, facts.body),
    project: projectOf(facts.headers),
    provider: spec.id,
    requested_model: canonicalModel(model),
    tags: tagsOf(facts.headers),
    model_known: model !== null || facts.inspected === true,
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
export function recordAttributes(record: UsageRecord): Attributes {
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
