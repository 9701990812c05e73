/**
 * @module Linking Kestrel's key fingerprints to the provider's key ids without storing keys (docs/architecture.md §19).
 * Anthropic lists each key's `partial_key_hint`: its first 16 and last 4 characters (`sk-ant-api03-R2D...igAA`).
 * Kestrel sees the key in flight, so it records the same form once per key and process; the hint, never the key,
 * is stored. OpenAI lists a `redacted_value` per project key (`sk-abc...def` in its documentation); it links when its
 * visible ends fit inside the hint.
 */
import { setTimeout } from "node:timers";

const HEAD = 16;
const TAIL = 4;
/** A shorter credential would be mostly revealed by its hint: none is recorded (real keys are 50–170 characters). */
const MIN_KEY = 32;
/** The fewest visible trailing characters a masked value needs to link (`sk-...` alone fits every key). */
const MIN_SUFFIX = 3;
/** Fingerprints remembered as recorded; past this the set restarts (recording again is harmless: insert-once). */
const MAX_SEEN = 10_000;
/** A failed write (database away) is retried by the key's next exchange after this, not by every one of them. */
const RETRY_MS = 60_000;

/** Anthropic's hint form of a key, or null for a credential too short to hint at safely. */
export function keyHint(credential: string): string | null {
  if (credential.length < MIN_KEY) return null;
  return `${credential.slice(0, HEAD)}...${credential.slice(-TAIL)}`;
}

/** Mask characters in a provider's masked key; key alphabets (base62, `-`, `_`) have none of them. */
const MASK = /[.*\u2026]/;

/**
 * Whether a provider's masked key (`sk-ant-api03-R2D...igAA`, `sk-proj-...9f2c`, `sk-****abcd`) can be the key
 * behind Kestrel's `hint`: its visible start is the hint's start and its visible end the hint's end.
 */
export function hintFits(masked: string, hint: string): boolean {
  const first = masked.search(MASK);
  if (first < 0) return false;
  let last = masked.length - 1;
  while (last >= 0 && !MASK.test(masked[last] as string)) last--;
  const prefix = masked.slice(0, first).slice(0, HEAD);
  const suffix = masked.slice(last + 1).slice(-TAIL);
  return suffix.length >= MIN_SUFFIX && hint.startsWith(prefix) && hint.endsWith(suffix);
}

export interface KeyHints {
  /**
   * After an exchange: records `provider`'s key `fingerprint` with its hint, once per fingerprint and process.
   * `credential` is only called for a fingerprint not seen yet. Never throws, never waits.
   */
  see(provider: string, fingerprint: string | null, credential: () => string | null): void;
}

/** `persist` stores one mapping (insert-once); a failed one is forgotten after a minute, so a later exchange retries it. */
export function createKeyHints(
  persist: (fingerprint: string, provider: string, hint: string) => Promise<void>,
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
        const hint = secret === null ? null : keyHint(secret);
        if (hint !== null) persist(fingerprint, provider, hint).catch(failed);
      } catch (err) {
        failed(err);
      }
    },
  };
}
