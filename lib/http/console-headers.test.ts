import { afterEach, describe, expect, it } from "vitest";
import { contentSecurityPolicy, newNonce, servedOverHttps } from "./console-headers";

const headers = (h: Record<string, string>) => new Headers(h);

describe("servedOverHttps", () => {
  afterEach(() => {
    delete process.env.LATCHKEY_TRUSTED_PROXY_HOPS;
  });

  it("ignores X-Forwarded-Proto unless a proxy is trusted: a client could write it", () => {
    delete process.env.LATCHKEY_TRUSTED_PROXY_HOPS;
    expect(servedOverHttps(headers({ "x-forwarded-proto": "https" }))).toBe(false);
    process.env.LATCHKEY_TRUSTED_PROXY_HOPS = "0";
    expect(servedOverHttps(headers({ "x-forwarded-proto": "https" }))).toBe(false);
  });

  it("takes the entry the outermost trusted proxy wrote", () => {
    process.env.LATCHKEY_TRUSTED_PROXY_HOPS = "1";
    expect(servedOverHttps(headers({ "x-forwarded-proto": "https" }))).toBe(true);
    expect(servedOverHttps(headers({ "x-forwarded-proto": "HTTPS" }))).toBe(true);
    expect(servedOverHttps(headers({ "x-forwarded-proto": "http" }))).toBe(false);
    // The client's own "https" in front of what the proxy appended counts for nothing.
    expect(servedOverHttps(headers({ "x-forwarded-proto": "https, http" }))).toBe(false);
    process.env.LATCHKEY_TRUSTED_PROXY_HOPS = "2";
    expect(servedOverHttps(headers({ "x-forwarded-proto": "https, http" }))).toBe(true);
    expect(servedOverHttps(headers({ "x-forwarded-proto": "https" }))).toBe(false);
  });
});

describe("contentSecurityPolicy", () => {
  it("allows scripts by nonce only, no eval in production, and no framing", () => {
    const csp = contentSecurityPolicy("abc123", { https: false, development: false });
    expect(csp).toContain("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain("upgrade-insecure-requests");
    expect(contentSecurityPolicy("n", { https: true, development: false })).toContain("upgrade-insecure-requests");
    expect(contentSecurityPolicy("n", { https: false, development: true })).toContain("'unsafe-eval'");
  });

  it("makes a fresh base64 nonce each time", () => {
    const nonces = new Set(Array.from({ length: 100 }, newNonce));
    expect(nonces.size).toBe(100);
    for (const n of nonces) expect(n).toMatch(/^[A-Za-z0-9+/]{24}$/);
  });
});
