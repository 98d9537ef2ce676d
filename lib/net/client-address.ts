import { isIP } from "node:net";
import { env } from "@/lib/env";
import { compressIpv6, expandIpv6, normalizeAddress } from "./address";

export { normalizeAddress };

// The one place that decides which address a request came from: for the auth-failure limit, the
// sign-in throttle, the audit log, the access log and a key's last use alike.
//
// X-Forwarded-For is written by whoever sends the request, so by default it is ignored and the
// TCP peer's address is used. Only when the operator says reverse proxies stand in front
// (LATCHKEY_TRUSTED_PROXY_HOPS = n > 0) do we take the entry the outermost trusted proxy
// appended: the n-th from the end. Entries to its left were written by the client.
//
// How the socket's address reaches code that only sees a fetch Request or next/headers:
// - the REST listener (lib/api/listener.ts) reads it from the socket into the request it hands
//   the API (lib/api/request.ts); tests that call the API with a fetch Request attach one to it;
// - the production server (scripts/server.mjs) overwrites SOCKET_ADDRESS_HEADER on every
//   request from req.socket.remoteAddress (a client's own value is discarded) and marks the
//   process with TRUST_FLAG, so route handlers, server actions and Auth.js can read it.
// Without scripts/server.mjs (`next dev`, a plain `next start`) that header may have been
// written by the client, so it is never read: the address is then unknown (null) unless a
// trusted proxy hop names it.

export const SOCKET_ADDRESS_HEADER = "x-latchkey-socket-address";
const TRUST_FLAG = "__latchkeySocketAddressHeader";

type HeaderSource = { get(name: string): string | null };

const g = globalThis as unknown as Record<typeof TRUST_FLAG, boolean | undefined>;
const attached = new WeakMap<Request, string>();

/** For tests standing in for the REST listener: the socket's address this Request "arrived on". */
export function attachSocketAddress(req: Request, address: string | undefined): void {
  const normal = normalizeAddress(address);
  if (normal) attached.set(req, normal);
}

/** Called by the production server once, before it serves anything (see the file comment). */
export function trustSocketAddressHeader(on = true): void {
  g[TRUST_FLAG] = on;
}

/** LATCHKEY_TRUSTED_PROXY_HOPS (0 when unset); a malformed value is refused, never read as 0. */
export function trustedProxyHops(): number {
  return env().LATCHKEY_TRUSTED_PROXY_HOPS;
}

/** The address the request came from, or null when it cannot be known safely. */
export function clientAddressFrom(headers: HeaderSource, socketAddress?: string | null): string | null {
  const socket = normalizeAddress(socketAddress) ?? (g[TRUST_FLAG] ? normalizeAddress(headers.get(SOCKET_ADDRESS_HEADER)) : null);
  const hops = trustedProxyHops();
  if (hops === 0) return socket;
  const entries = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  // Fewer entries than proxies: the request did not come through all of them.
  if (entries.length < hops) return socket;
  return normalizeAddress(entries[entries.length - hops]) ?? socket;
}

/** The address of a fetch Request (a REST route, Auth.js's authorize). */
export function clientAddress(req: Request): string | null {
  return clientAddressFrom(req.headers, attached.get(req));
}

/** The socket's address attached to a fetch Request (by a test standing in for the listener), or null. */
export function socketAddressOf(req: Request): string | null {
  return attached.get(req) ?? null;
}

/**
 * The key a client's failures are counted under. One IPv6 host is usually given a whole /64,
 * so per-address counting there would give an attacker 2^64 fresh budgets: IPv6 counts per /64.
 */
export function rateLimitBucket(ip: string | null): string {
  const normal = normalizeAddress(ip);
  if (!normal) return "unknown";
  if (isIP(normal) === 4) return normal;
  const groups = expandIpv6(normal);
  if (!groups) return normal;
  return `${compressIpv6([...groups.slice(0, 4), 0, 0, 0, 0])}/64`;
}

/** True for 127.0.0.0/8 and ::1 (and their IPv4-mapped spelling). */
export function isLoopbackAddress(value: string | null | undefined): boolean {
  const normal = normalizeAddress(value);
  if (!normal) return false;
  return normal === "::1" || (isIP(normal) === 4 && normal.startsWith("127."));
}
