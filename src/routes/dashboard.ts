/** @module GET / and /dashboard/*: the embedded dashboard (docs/architecture.md §14). No data, so no token. */
import { Hono } from "hono";
import type { Asset } from "../dashboard/assets.gen.ts";
import { errorResponse } from "../errors.ts";

interface Served {
  asset: Asset;
  text: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer>;
  cacheControl: string;
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

// The page only talks to its own origin; inline styles are what uPlot and the bars set through element.style.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

/**
 * Loaded and decoded on the first dashboard request (the module is ~150 KB, a chunk of its own in the binary, and
 * no proxied request needs it); the index page is revalidated (ETag), hashed asset names are cached for good.
 */
let served: Promise<Map<string, Served>> | null = null;
function assets(): Promise<Map<string, Served>> {
  served ??= import("../dashboard/assets.gen.ts").then(({ ASSETS }) =>
    new Map(ASSETS.map((asset) => [asset.path, {
      asset,
      text: new TextEncoder().encode(asset.text),
      gzip: fromBase64(asset.gzip),
      cacheControl: asset.path === "/" ? "no-cache" : "public, max-age=31536000, immutable",
    }]))
  );
  return served;
}

/** True when the client takes gzip (a `gzip;q=0` refuses it). */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  const m = /(?:^|,)\s*(?:gzip|\*)\s*(?:;\s*q=([\d.]+))?\s*(?:,|$)/i.exec(header);
  return m !== null && (m[1] === undefined || Number(m[1]) > 0);
}

function serve(s: Served, req: Request): Response {
  const headers: Record<string, string> = {
    "content-type": s.asset.type,
    "cache-control": s.cacheControl,
    etag: s.asset.etag,
    vary: "accept-encoding",
    ...SECURITY_HEADERS,
  };
  const match = req.headers.get("if-none-match");
  if (match !== null && match.split(",").some((t) => t.trim().replace(/^W\//, "") === s.asset.etag)) {
    return new Response(null, { status: 304, headers });
  }
  const gzip = acceptsGzip(req.headers.get("accept-encoding") ?? undefined);
  if (gzip) headers["content-encoding"] = "gzip";
  const body = gzip ? s.gzip : s.text;
  headers["content-length"] = String(body.length);
  return new Response(req.method === "HEAD" ? null : body, { headers });
}

export function createDashboardRoutes(): Hono {
  const app = new Hono();
  app.get("/", async (c) => serve((await assets()).get("/")!, c.req.raw));
  app.get("/dashboard/:file", async (c) => {
    const found = (await assets()).get(`/dashboard/${c.req.param("file")}`);
    return found ? serve(found, c.req.raw) : errorResponse("not_found", 404, "No such dashboard file");
  });
  return app;
}
