import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, envelopeText, fail } from "./envelope";
import { attachBody, MAX_BODY_BYTES } from "./body";
import { attachSocketAddress } from "@/lib/net/client-address";
import { dispatch } from "./dispatch";

// The REST API outside Next's request pipeline. Next spends about 0.4 ms of CPU on every
// request before a route handler runs (more for a body: it wraps the socket in web streams
// twice); for an API whose job is answering "is this key good?" that is most of the cost.
// The production server (scripts/server.mjs) hands /api/** (but Auth.js's /api/auth/**) to
// serveApiRequest; under `next dev` or a plain `next start` the same paths reach Next's
// catch-all route app/api/[...path]/route.ts. Both call the one dispatcher with the decoded
// path segments, so the two transports cannot differ in what they answer.

/**
 * The decoded segments of an API path, or null for a path Next normalises or redirects before
 * routing (a trailing slash, //, a backslash, dot segments, an escaped slash, a bad escape):
 * those are left to Next, which then routes what it makes of them to the same dispatcher.
 */
export function apiPathSegments(pathname: string): string[] | null {
  if (!pathname.startsWith("/api/") || pathname === "/api/auth" || pathname.startsWith("/api/auth/")) return null;
  if (pathname.endsWith("/") || pathname.includes("//") || pathname.includes("\\")) return null;
  const parts = pathname.slice(1).split("/");
  const segments: string[] = [];
  for (const part of parts) {
    if (part === "." || part === "..") return null;
    if (!part.includes("%")) {
      segments.push(part);
      continue;
    }
    if (/%(2f|5c)/i.test(part)) return null;
    try {
      segments.push(decodeURIComponent(part));
    } catch {
      return null;
    }
    if (segments.at(-1) === "." || segments.at(-1) === "..") return null;
  }
  return segments;
}

/**
 * Answers the request if it is for the REST API and returns true; returns false, touching
 * nothing, when Next should handle it.
 */
export async function serveApiRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const segments = apiPathSegments(q === -1 ? rawUrl : rawUrl.slice(0, q));
  if (!segments) return false;
  const method = req.method ?? "GET";

  let request: Request;
  try {
    request = toRequest(req, method, rawUrl);
  } catch {
    // A header value fetch's Headers refuses (Node's parser is the more lenient of the two).
    await send(res, fail(400, { message: "The request's URL or headers are not valid.", code: "bad_request" }), method);
    return true;
  }
  await send(res, await dispatch(request, segments), method);
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
  const body =
    method === "HEAD" || response.body === null ? null : text !== undefined ? Buffer.from(text) : Buffer.from(await response.arrayBuffer());
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (body) res.setHeader("content-length", body.length);
  res.end(body ?? undefined);
}
