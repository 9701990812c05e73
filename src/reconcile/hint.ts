/**
 * @module Linking Kestrel's key fingerprints to the provider's key ids without storing any character of a key
 * (docs/architecture.md §19). The providers list each key masked: Anthropic's `partial_key_hint` shows its first 16
 * and last 4 characters (`sk-ant-api03-R2D...igAA`), OpenAI's `redacted_value` a shorter start and end
 * (`sk-abc...def`). Kestrel sees the key in flight, so it records, once per key and process, a digest of every form
 * a masked value could show; a pull stores the digest of each listed key's form; a key links where they meet.
 */
import { setTimeout } from "node:timers";

/** Visible characters a masked form may show: a start of 1–16 and an end of 3–4 (Anthropic's is 16 and 4). */
const HEAD = 16;
const TAIL = 4;
/** The fewest visible trailing characters a masked value needs to link (`sk-...` alone fits every key). */
const MIN_SUFFIX = 3;
/** A shorter credential would be mostly revealed by its masked forms: nothing is recorded (real keys are 50–170 characters). */
const MIN_KEY = 32;
/** Separates these digests from any other SHA-256 of the same text. */
const DOMAIN = "kestrel/reconcile/key-form/v1\u0000";
/** 128 bits of the digest: plenty to tell a few thousand keys apart. */
const DIGEST_HEX = 32;
/** Fingerprints remembered as recorded; past this the set restarts (recording again is harmless: insert-once). */
const MAX_SEEN = 10_000;
/** A failed write (database away) is retried by the key's next exchange after this, not by every one of them. */
const RETRY_MS = 60_000;

const utf8 = new TextEncoder();

/** The digest of one masked form: its visible start and end, with their lengths, so no two forms share a text. */
async function formDigest(prefix: string, suffix: string): Promise<string> {
  const text = `${DOMAIN}${prefix.length}:${suffix.length}:${prefix}\u0000${suffix}`;
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(text)));
  let hex = "";
  for (let i = 0; i < DIGEST_HEX / 2; i++) hex += (hash[i] as number).toString(16).padStart(2, "0");
  return hex;
}

/** The digests of every masked form of `credential` (32 of them), or null for a credential too short to record. */
export async function keyDigests(credential: string): Promise<string[] | null> {
  if (credential.length < MIN_KEY) return null;
  const forms: Promise<string>[] = [];
  for (let p = 1; p <= HEAD; p++) {
    for (let s = MIN_SUFFIX; s <= TAIL; s++) forms.push(formDigest(credential.slice(0, p), credential.slice(-s)));
  }
  return await Promise.all(forms);
}

/** Mask characters in a provider's masked key; key alphabets (base62, `-`, `_`) have none of them. */
const MASK = /[.*\u2026]/;

/**
 * The digest of a provider's masked key (`sk-ant-api03-R2D...igAA`, `sk-proj-...9f2c`, `sk-****abcd`): its visible
 * start (at most 16 characters) and end (at most 4), or null when it shows too little to link (no mask, no start,
 * fewer than 3 trailing characters).
 */
export async function maskedDigest(masked: string): Promise<string | null> {
  const first = masked.search(MASK);
  if (first < 1) return null;
  let last = masked.length - 1;
  while (last >= 0 && !MASK.test(masked[last] as string)) last--;
  const suffix = masked.slice(last + 1).slice(-TAIL);
  if (suffix.length < MIN_SUFFIX) return null;
  return await formDigest(masked.slice(0, first).slice(0, HEAD), suffix);
}

export interface KeyHints {
  /**
   * After an exchange: records `provider`'s key `fingerprint` with its digests, once per fingerprint and process.
   * `credential` is only called for a fingerprint not seen yet. Never throws, never waits.
   */
  see(provider: string, fingerprint: string | null, credential: () => string | null): void;
}

/** `persist` stores one mapping (insert-once); a failed one is forgotten after a minute, so a later exchange retries it. */
export function createKeyHints(
  persist: (fingerprint: string, provider: string, digests: readonly string[]) => Promise<void>,
  onError: (message: string) => void,
  providers: readonly string[],
  retryMs = RETRY_MS,
): KeyHints {
  const seen = new Set<string>();
  return {
    see(provider, fingerprint, credential) {
      // Hot: once per exchange; a Set lookup unless the key is new to this process.
      if (fingerprint === null || !providers.includes(provider)) return;
      const id = `${provider}:${fingerprint}`;
      if (seen.has(id)) return;
      if (seen.size >= MAX_SEEN) seen.clear();
      seen.add(id);
      const failed = (err: unknown) => {
        setTimeout(() => seen.delete(id), retryMs).unref();
        onError(`Key hint for ${provider} key ${fingerprint} not stored: ${err instanceof Error ? err.message : String(err)}`);
      };
      try {
        const secret = credential();
        if (secret === null) return;
        keyDigests(secret).then((digests) => (digests === null ? undefined : persist(fingerprint, provider, digests))).catch(failed);
      } catch (err) {
        failed(err);
      }
    },
  };
}
