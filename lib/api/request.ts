import type { IncomingMessage } from "node:http";
import { ApiError } from "./envelope";
import { ERROR_MESSAGES } from "./errors";
import { MAX_BODY_BYTES } from "./limits";
import { socketAddressOf } from "@/lib/net/client-address";

// What the REST API reads of a request, the same from both transports: Next's catch-all route
// hands over a fetch Request (fromWebRequest); the lean listener builds a NodeApiRequest straight
// from Node's IncomingMessage. A fetch Request costs several microseconds to build (its Headers,
// its AbortSignal, a body stream), which on a cached verification is a good share of the whole
// request, and the listener then only read it back; so the API reads requests through this.

export interface HeaderReader {
  /** A header's value as fetch's Headers.get gives it: repeated fields joined by ", "; null when absent. */
  get(name: string): string | null;
}

export interface ApiRequest {
  readonly method: string;
  /** The absolute URL, on the server's own origin (never the Host header's), as Next gives it. */
  readonly url: URL;
  readonly headers: HeaderReader;
  /** Every header as a fetch Headers, for a key whose request logging is on: built when asked. */
  allHeaders(): Headers;
  /** The TCP peer's address where the transport knows it (see lib/net/client-address.ts). */
  readonly socketAddress: string | null;
  /** The body's bytes, never more than MAX_BODY_BYTES + 1 of them (readBody then answers 413); null for none. */
  readBytes(): Promise<Buffer | null>;
}

/** A fetch Request (Next's route handler, tests) as the API reads it. */
export function fromWebRequest(req: Request): ApiRequest {
  return {
    method: req.method,
    url: new URL(req.url),
    headers: req.headers,
    allHeaders: () => req.headers,
    socketAddress: socketAddressOf(req),
    async readBytes() {
      if (!req.body) return null;
      const reader = req.body.getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.byteLength;
        if (size > MAX_BODY_BYTES) {
          await reader.cancel().catch(() => {});
          break;
        }
      }
      return Buffer.concat(chunks);
    },
  };
}

// The x-forwarded-* fields Next adds to a request that has none (what its route handler would see).
const FORWARDED = new Set(["x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-for"]);

/**
 * The listener's request: Node's parsed headers read in place (Node has already lower-cased the
 * names, trimmed the values and dropped a repeated Authorization or Host, as Next's copy of them
 * also does), the URL parsed once, the body read from the socket only when asked.
 */
export class NodeApiRequest implements ApiRequest, HeaderReader {
  readonly url: URL;
  readonly socketAddress: string | null;
  constructor(
    private readonly req: IncomingMessage,
    readonly method: string,
    rawUrl: string,
  ) {
    // As Next does, the URL's origin is the server's own, never the Host header: a Host such as
    // "a?b" would otherwise move the real query (and a ?key= credential) out of place.
    this.url = new URL(rawUrl, `http://localhost:${req.socket.localPort ?? 80}`);
    this.socketAddress = req.socket.remoteAddress ?? null;
  }

  get headers(): HeaderReader {
    return this;
  }

  get(name: string): string | null {
    const key = name.toLowerCase();
    const value = this.req.headers[key];
    if (typeof value === "string") return value;
    if (value !== undefined) return value.join(", ");
    return FORWARDED.has(key) ? this.forwarded(key) : null;
  }

  private forwarded(name: string): string | null {
    const headers = this.req.headers;
    switch (name) {
      case "x-forwarded-host":
        return headers.host ?? "localhost";
      case "x-forwarded-proto":
        return "http";
      case "x-forwarded-port": {
        const proto = typeof headers["x-forwarded-proto"] === "string" ? headers["x-forwarded-proto"] : "http";
        return String(this.req.socket.localPort ?? (proto === "https" ? 443 : 80));
      }
      default:
        return this.req.socket.remoteAddress ?? null;
    }
  }

  allHeaders(): Headers {
    const headers = new Headers();
    for (const [name, value] of Object.entries(this.req.headers)) {
      if (typeof value === "string") headers.set(name, value);
      else if (value) for (const v of value) headers.append(name, v);
    }
    for (const name of FORWARDED) {
      const value = headers.has(name) ? null : this.forwarded(name);
      if (value !== null) headers.set(name, value);
    }
    return headers;
  }

  readBytes(): Promise<Buffer | null> {
    if (this.method === "GET" || this.method === "HEAD") return Promise.resolve(null);
    return readCapped(this.req);
  }
}

/**
 * The body, but never more than one byte past the limit: readBody() then answers 413 without
 * this process holding a large upload in memory. If nothing asks for it, Node discards it once
 * the response is sent.
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
      reject(new ApiError(400, "bad_request", ERROR_MESSAGES.bodyCutOff));
    };
    req.on("data", onData).once("end", onEnd).once("error", onBroken).once("close", onBroken);
  });
}
