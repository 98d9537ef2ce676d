import { trustedProxyHops } from "@/lib/net/client-address";

// The console pages' request-dependent security headers (proxy.ts sets them; the fixed ones are
// in next.config.ts).

/** A fresh, unguessable nonce per page: an injected <script> without it does not run. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * Whether the browser reached us over https. Latchkey's server speaks plain http (scripts/server.mjs),
 * so https means a reverse proxy ended TLS, and only X-Forwarded-Proto can say so: believed only
 * when the operator says proxies stand in front (LATCHKEY_TRUSTED_PROXY_HOPS > 0), and then the
 * entry the outermost trusted proxy wrote, counted from the end as for X-Forwarded-For. The request
 * URL's protocol is no evidence: Next builds it from that same client-writable header.
 */
export function servedOverHttps(headers: { get(name: string): string | null }): boolean {
  const hops = trustedProxyHops();
  if (hops === 0) return false;
  const entries = (headers.get("x-forwarded-proto") ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return entries.length >= hops && entries[entries.length - hops] === "https";
}

export function contentSecurityPolicy(nonce: string, opts: { https: boolean; development: boolean }): string {
  return [
    "default-src 'self'",
    // 'strict-dynamic': the scripts Next renders carry the nonce and may load their own chunks;
    // 'self' is only a fallback for browsers without CSP level 3. React's development build
    // needs eval for its error overlays; the production build never does.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.development ? " 'unsafe-eval'" : ""}`,
    // Radix positions popovers with inline styles and sonner injects its stylesheet at runtime,
    // neither with a nonce: styles stay inline-capable. A style cannot run code; a script can.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    // Over plain http (a local install) upgrading every request would break the page.
    ...(opts.https ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

export const HSTS = "max-age=31536000; includeSubDomains";
