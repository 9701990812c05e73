/**
 * A throwaway certificate authority, made in the test with node:crypto (no openssl binary): a CA certificate and
 * server certificates it signs for 127.0.0.1 and localhost, as PEM text, written to a temp directory so a child
 * process can be pointed at the CA (NODE_EXTRA_CA_CERTS on Bun, DENO_CERT on Deno).
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { concatBytes } from "../../src/sse/bytes.ts";
import { tempDir } from "./kestrel.ts";

function length(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}
const der = (tag: number, ...parts: Uint8Array[]): Uint8Array => {
  const body = concat(parts);
  return concat([new Uint8Array([tag, ...length(body.byteLength)]), body]);
};
const concat = (parts: Uint8Array[]) => concatBytes(parts, parts.reduce((a, p) => a + p.byteLength, 0));
const seq = (...parts: Uint8Array[]) => der(0x30, ...parts);
const set = (...parts: Uint8Array[]) => der(0x31, ...parts);
const int = (bytes: number[]) => der(0x02, new Uint8Array(bytes[0]! & 0x80 ? [0, ...bytes] : bytes));
const bool = (v: boolean) => der(0x01, new Uint8Array([v ? 0xff : 0]));
const octets = (b: Uint8Array) => der(0x04, b);
const bits = (b: Uint8Array) => der(0x03, new Uint8Array([0]), b);
const utf8 = (s: string) => der(0x0c, new TextEncoder().encode(s));
function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const chunk: number[] = [];
    for (let v = n; ; v = Math.floor(v / 128)) {
      chunk.unshift((v % 128) | (chunk.length ? 0x80 : 0));
      if (v < 128) break;
    }
    out.push(...chunk);
  }
  return der(0x06, new Uint8Array(out));
}
function time(ms: number): Uint8Array {
  const d = new Date(ms).toISOString(); // 2026-12-05T09:00:00.000Z → 261205090000Z
  return der(0x17, new TextEncoder().encode(`${d.slice(2, 4)}${d.slice(5, 7)}${d.slice(8, 10)}${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}Z`));
}
const name = (cn: string) => seq(set(seq(oid("2.5.4.3"), utf8(cn))));
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));
const ext = (id: string, critical: boolean, value: Uint8Array) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

let serial = 1;

function certificate(subject: string, issuer: string, publicKey: KeyObject, signer: KeyObject, ca: boolean): string {
  const now = Date.now();
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const extensions = ca
    ? [ext("2.5.29.19", true, seq(bool(true))), ext("2.5.29.15", true, der(0x03, new Uint8Array([1, 0x06])))]
    : [
      ext("2.5.29.19", true, seq()),
      ext("2.5.29.15", true, der(0x03, new Uint8Array([7, 0x80]))),
      ext("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))),
      ext("2.5.29.17", false, seq(der(0x82, new TextEncoder().encode("localhost")), der(0x87, new Uint8Array([127, 0, 0, 1])))),
    ];
  const tbs = seq(
    der(0xa0, int([2])),
    int([serial++ & 0x7f, ...crypto.getRandomValues(new Uint8Array(8))]),
    ECDSA_SHA256,
    name(issuer),
    seq(time(now - 3_600_000), time(now + 7 * 86_400_000)),
    name(subject),
    spki,
    der(0xa3, seq(...extensions)),
  );
  const signature = new Uint8Array(sign("sha256", tbs, { key: signer, dsaEncoding: "der" }));
  return pem("CERTIFICATE", seq(tbs, ECDSA_SHA256, bits(signature)));
}

function pem(label: string, bytes: Uint8Array): string {
  const b64 = btoa(String.fromCharCode(...bytes)).replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END ${label}-----\n`;
}

export interface TestCa {
  /** PEM of the CA certificate, and the file it is written to. */
  cert: string;
  certFile: string;
  /** A new server certificate for 127.0.0.1 / localhost, signed by this CA; files written beside the CA's. */
  issue(cn?: string): { cert: string; key: string; certFile: string; keyFile: string };
}

export function makeCa(): TestCa {
  const dir = tempDir();
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const cert = certificate("Kestrel test CA", "Kestrel test CA", createPublicKey(privateKey), privateKey, true);
  const certFile = join(dir, "ca.pem");
  writeFileSync(certFile, cert);
  let n = 0;
  return {
    cert,
    certFile,
    issue(cn = "localhost") {
      const leaf = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      const leafCert = certificate(cn, "Kestrel test CA", createPublicKey(leaf.privateKey), privateKey, false);
      const key = leaf.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
      const base = join(dir, `server-${++n}`);
      writeFileSync(`${base}.pem`, leafCert);
      writeFileSync(`${base}.key`, key);
      return { cert: leafCert, key, certFile: `${base}.pem`, keyFile: `${base}.key` };
    },
  };
}
