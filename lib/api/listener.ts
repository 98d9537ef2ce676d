import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiAnswer } from "./envelope";
import { answerApiRequest } from "./dispatch";
import { NodeApiRequest } from "./request";

// The REST API outside Next's request pipeline. Next spends about 0.4 ms of CPU on every
// request before a route handler runs (more for a body: it wraps the socket in web streams
// twice); for an API whose job is answering "is this key good?" that is most of the cost.
// The production server (scripts/server.mjs) hands /api/** (but Auth.js's /api/auth/**) to
// serveApiRequest; under `next dev` or a plain `next start` the same paths reach Next's
// catch-all route app/api/[...path]/route.ts. Both call the one dispatcher with the decoded
// path segments, so the two transports cannot differ in what they answer. Here no fetch Request
// or Response is built: the API reads Node's request through lib/api/request.ts and its answer
// (status, headers, text) is written as it is.

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
  send(res, await answerApiRequest(new NodeApiRequest(req, method, rawUrl), segments), method);
  return true;
}

/** The answer as Next would write the Response the route handler returns: no body for HEAD. */
function send(res: ServerResponse, answer: ApiAnswer, method: string): void {
  const { headers, text } = answer;
  if (method === "HEAD" || text === null) {
    res.writeHead(answer.status, headers).end();
    return;
  }
  res.writeHead(answer.status, { ...headers, "content-length": Buffer.byteLength(text) }).end(text);
}
