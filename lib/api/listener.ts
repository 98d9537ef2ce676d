import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, envelopeText, errorResponse, fail } from "./envelope";
import { attachBody, MAX_BODY_BYTES } from "./body";
import { attachSocketAddress } from "@/lib/net/client-address";
import * as health from "@/app/api/health/route";
import * as openapi from "@/app/api/openapi.json/route";
import * as dataRoot from "@/app/api/data/route";
import * as dataOther from "@/app/api/data/[...path]/route";
import * as apiKeys from "@/app/api/data/api-keys/route";
import * as apiKeysSearch from "@/app/api/data/api-keys/search/route";
import * as apiKeysRevokeAll from "@/app/api/data/api-keys/revoke-all/route";
import * as apiKey from "@/app/api/data/api-keys/[id]/route";
import * as apiKeyRevoke from "@/app/api/data/api-keys/[id]/revoke/route";
import * as me from "@/app/api/data/me/route";
import * as meTokens from "@/app/api/data/me/tokens/route";
import * as meToken from "@/app/api/data/me/tokens/[id]/route";
import * as verify from "@/app/api/data/verify/route";

// The REST API outside Next's request pipeline. Next spends about 0.4 ms of CPU on every
// request before a route handler runs (more for a body: it wraps the socket in web streams
// twice); for an API whose job is answering "is this key good?" that is most of the cost.
// The production server (scripts/server.mjs) hands /api/health, /api/openapi.json and
// /api/data/** to serveApiRequest; everything else — and these paths under `next dev` or a
// plain `next start` — goes through Next to the very same route modules, so the two
// transports cannot differ in what they answer.

type Params = Record<string, string | string[]>;
type RouteHandler = (req: Request, route: { params: Promise<Params> }) => Promise<Response>;
type RouteModule = Partial<Record<string, unknown>>;

/** Segments: literal text, `:name` for one dynamic segment, `*` for the rest (a catch-all). */
const ROUTES: Array<[pattern: string, module: RouteModule]> = [
  ["/api/health", health],
  ["/api/openapi.json", openapi],
  ["/api/data", dataRoot],
  ["/api/data/api-keys", apiKeys],
  ["/api/data/api-keys/search", apiKeysSearch],
  ["/api/data/api-keys/revoke-all", apiKeysRevokeAll],
  ["/api/data/api-keys/:id", apiKey],
  ["/api/data/api-keys/:id/revoke", apiKeyRevoke],
  ["/api/data/me", me],
  ["/api/data/me/tokens", meTokens],
  ["/api/data/me/tokens/:id", meToken],
  ["/api/data/verify", verify],
  ["/api/data/*", dataOther],
];

const compiled = ROUTES.map(([pattern, module]) => ({ segments: pattern.split("/").slice(1), module }));

/** Next's precedence: a literal segment beats `:param`, which beats the catch-all. */
function rank(segments: string[]): number[] {
  return segments.map((s) => (s === "*" ? 2 : s.startsWith(":") ? 1 : 0));
}
compiled.sort((a, b) => {
  const ra = rank(a.segments);
  const rb = rank(b.segments);
  for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
    const d = (ra[i] ?? -1) - (rb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
});

export interface MatchedRoute {
  handler: RouteHandler;
  params: Params;
}

/**
 * The route module's handler for this method and path, or null when the path is not one of
 * ours (or is unusual enough — a trailing slash, a bad escape, HEAD — to leave to Next).
 */
export function matchApiRoute(method: string, pathname: string): MatchedRoute | null {
  if (pathname.length > 1 && pathname.endsWith("/")) return null; // Next redirects these
  // Next normalises these (a 308 for // and \, dot segments resolved): leave them to it.
  if (pathname.includes("//") || pathname.includes("\\")) return null;
  const parts = pathname.split("/").slice(1);
  if (parts.some((p) => p === "." || p === "..")) return null;
  for (const { segments, module } of compiled) {
    const params: Params = {};
    let matched = true;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      if (seg === "*") {
        if (parts.length <= i) matched = false;
        else {
          // Next also matches static routes by their decoded form (/api/data/m%65 is /me): an
          // escape outside a parameter is Next's to resolve, not a 404 of ours.
          if (parts.slice(i).some((p) => p.includes("%"))) return null;
          params.path = parts.slice(i); // an array, as Next passes a catch-all
        }
        break;
      }
      const part = parts[i];
      if (part === undefined || part === "") {
        matched = false;
        break;
      }
      if (seg.startsWith(":")) {
        try {
          params[seg.slice(1)] = decodeURIComponent(part);
        } catch {
          return null;
        }
      } else if (seg !== part) {
        if (part.includes("%") && safeDecode(part) === seg) return null; // see the catch-all above
        matched = false;
        break;
      }
      if (i === segments.length - 1 && parts.length !== segments.length) matched = false;
    }
    if (!matched) continue;
    const handler = module[method];
    return typeof handler === "function" ? { handler: handler as RouteHandler, params } : null;
  }
  return null;
}

function safeDecode(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

/**
 * Answers the request if it is for the REST API and returns true; returns false, touching
 * nothing, when Next should handle it.
 */
export async function serveApiRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const pathname = q === -1 ? rawUrl : rawUrl.slice(0, q);
  if (!pathname.startsWith("/api/") || pathname.startsWith("/api/auth")) return false;
  const method = req.method ?? "GET";
  const route = matchApiRoute(method, pathname);
  if (!route) return false;

  let request: Request;
  try {
    request = toRequest(req, method, rawUrl);
  } catch {
    // A header value fetch's Headers refuses (Node's parser is the more lenient of the two).
    await send(res, fail(400, { message: "The request's URL or headers are not valid.", code: "bad_request" }), method);
    return true;
  }
  let response: Response;
  try {
    response = await route.handler(request, { params: Promise.resolve(route.params) });
  } catch (err) {
    // apiRoute answers its own errors; this is for a handler outside it failing.
    response = errorResponse(err);
  }
  await send(res, response, method);
  return true;
}

/** What Next would give the route handler: the same URL, headers (with x-forwarded-*) and body. */
function toRequest(req: IncomingMessage, method: string, rawUrl: string): Request {
  // From Node's parsed headers, as Next builds them: a repeated Authorization or Host is dropped
  // there, and must not be joined with a comma here.
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (value) for (const v of value) headers.append(name, v);
  }
  const host = headers.get("host") ?? "localhost";
  const proto = headers.get("x-forwarded-proto") ?? "http";
  if (!headers.has("x-forwarded-host")) headers.set("x-forwarded-host", host);
  if (!headers.has("x-forwarded-proto")) headers.set("x-forwarded-proto", proto);
  if (!headers.has("x-forwarded-port")) headers.set("x-forwarded-port", String(req.socket.localPort ?? (proto === "https" ? 443 : 80)));
  if (!headers.has("x-forwarded-for") && req.socket.remoteAddress) headers.set("x-forwarded-for", req.socket.remoteAddress);
  // As Next does, the URL's origin is the server's own, never the Host header: a Host such as
  // "a?b" would otherwise move the real query (and a ?key= credential) out of place.
  const url = new URL(rawUrl, `http://localhost:${req.socket.localPort ?? 80}`).href;
  const request = new Request(url, { method, headers });
  // The client's address is the socket's (X-Forwarded-For only through trusted proxies), so
  // the Request carries it beside its headers, where no client can write it.
  attachSocketAddress(request, req.socket.remoteAddress);
  if (method === "GET" || method === "HEAD") return request;
  // The body goes to readBody() beside the Request rather than through a stream inside it; if
  // nothing asks for it, Node discards it once the response is sent.
  attachBody(request, () => readCapped(req));
  return request;
}

/**
 * The body, but never more than one byte past the limit: readBody() then answers 413 without
 * this process holding a large upload in memory.
 */
function readCapped(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => req.off("data", onData).off("end", onEnd).off("error", onBroken).off("close", onBroken);
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return;
      // Enough to know it is too large: discard the rest as it arrives, hold none of it.
      done();
      req.resume();
      resolve(Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES + 1));
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    // The client went away mid-body: an answer nobody will read, but no "unexpected" error.
    const onBroken = () => {
      done();
      reject(new ApiError(400, "bad_request", "The request body could not be read: the connection closed before it ended."));
    };
    req.on("data", onData).once("end", onEnd).once("error", onBroken).once("close", onBroken);
  });
}

async function send(res: ServerResponse, response: Response, method: string): Promise<void> {
  const text = envelopeText(response);
  const body = method === "HEAD" || response.body === null ? null : text !== undefined ? Buffer.from(text) : Buffer.from(await response.arrayBuffer());
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (body) res.setHeader("content-length", body.length);
  res.end(body ?? undefined);
}
