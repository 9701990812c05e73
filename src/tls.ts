/**
 * @module `--tls-cert` / `--tls-key`: the files read and checked before a listener is given them, at startup and
 * on SIGHUP, so a bad pair is refused with one clear line instead of a runtime's TLS error (or a listener that
 * serves nothing). node:crypto's X509Certificate is the check both runtimes have (no Web-standard equivalent).
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { TlsFiles } from "./runtime.ts";

/** A certificate or key that cannot be served; the message names the flag and file. */
export class TlsError extends Error {
  override name = "TlsError";
}

/** Reads both files and checks that they are PEM, that the key is the certificate's, and that it is in date. */
export function loadTls(certPath: string, keyPath: string, readFile: (path: string) => string, now = Date.now()): TlsFiles {
  const read = (path: string, what: string) => {
    try {
      return readFile(path);
    } catch (err) {
      throw new TlsError(`cannot read ${what} ${JSON.stringify(path)}: ${(err as Error).message}`);
    }
  };
  const cert = read(certPath, "--tls-cert");
  const key = read(keyPath, "--tls-key");
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new TlsError(`--tls-cert ${JSON.stringify(certPath)} is not a PEM certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsError(`--tls-key ${JSON.stringify(keyPath)} is not a PEM private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsError(`--tls-key ${JSON.stringify(keyPath)} is not the key of --tls-cert ${JSON.stringify(certPath)}`);
  }
  if (Date.parse(x509.validTo) < now) throw new TlsError(`--tls-cert ${JSON.stringify(certPath)} expired on ${x509.validTo}`);
  return { cert, key };
}
