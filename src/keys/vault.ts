/**
 * @module Provider secrets at rest: AES-256-GCM (WebCrypto) under the master key (`KESTREL_MASTER_KEY` or
 * `--master-key-file`), a fresh 96-bit IV per value, the provider id as associated data (a sealed value moved to
 * another provider's row does not open). Sealed form: `v1:` base64(iv) `:` base64(ciphertext+tag).
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/**
 * The AES key from the master key text: 32 bytes as 64 hex digits or base64 are used as they are; any other text is
 * hashed (SHA-256) — then it must itself be long and random, as a passphrase it would be guessable offline.
 */
export async function masterKeyFrom(text: string): Promise<CryptoKey> {
  const t = text.trim();
  let raw: Uint8Array;
  if (/^[0-9a-fA-F]{64}$/.test(t)) raw = Uint8Array.from(t.match(/../g)!.map((h) => parseInt(h, 16)));
  else if (/^[A-Za-z0-9+/]{43}=$/.test(t)) raw = unb64(t);
  else raw = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(t)));
  return crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function seal(key: CryptoKey, provider: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(provider) }, key, encoder.encode(secret)));
  return `v1:${b64(iv)}:${b64(ct)}`;
}

/** Throws when the value was sealed under another master key or for another provider (GCM's tag fails). */
export async function open(key: CryptoKey, provider: string, sealed: string): Promise<string> {
  const [version, iv, ct] = sealed.split(":");
  if (version !== "v1" || iv === undefined || ct === undefined) throw new Error("not a sealed provider secret");
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(iv), additionalData: encoder.encode(provider) }, key, unb64(ct));
  return decoder.decode(plain);
}
