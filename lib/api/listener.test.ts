import http from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { accessLogs, workspaces } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { createApiKey, rotateApiKey, updateApiKey } from "@/lib/api-keys/core";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { callApi } from "@/lib/testing/api";
import { matchRoute } from "./dispatch";
import { apiPathSegments, serveApiRequest } from "./listener";
import { OPERATIONS } from "./operations";

describe("the dispatcher's routes", () => {
  const split = (p: string) => p.slice(1).split("/");
  const sample = (path: string) => path.replace(/\{[^}]+\}/g, "3f2b8c1e-0000-4000-8000-000000000001");

  it("reaches every operation by its method and path, and nothing else", () => {
    for (const op of OPERATIONS) {
      const match = matchRoute(split(sample(op.path)));
      expect(match?.route.byMethod.get(op.method), `${op.method} ${op.path}`).toBe(op);
    }
    expect(matchRoute(split("/api/data/me/tokens/x/y"))).toBeNull();
    expect(matchRoute(split("/api/data/verify/extra"))).toBeNull();
    expect(matchRoute(split("/api/data"))).toBeNull();
  });

  it("prefers a literal segment to a parameter, as Next does", () => {
    expect(matchRoute(split("/api/data/api-keys/revoke-all"))?.route.byMethod.get("DELETE")?.id).toBe("revokeAllApiKeys");
    expect(matchRoute(split("/api/data/api-keys/search"))?.route.byMethod.get("POST")?.id).toBe("searchApiKeys");
    const byId = matchRoute(split("/api/data/api-keys/abc"));
    expect(byId?.route.byMethod.get("PATCH")?.id).toBe("updateApiKey");
    expect(byId?.params).toEqual({ id: "abc" });
  });

  it("decodes path segments as Next does, escapes outside a parameter included", () => {
    expect(apiPathSegments("/api/data/me/tokens/a%20b")).toEqual(["api", "data", "me", "tokens", "a b"]);
    expect(matchRoute(apiPathSegments("/api/data/me/tokens/a%20b")!)?.params).toEqual({ id: "a b" });
    expect(apiPathSegments("/api/data/m%65")).toEqual(["api", "data", "me"]);
    expect(apiPathSegments("/api/healthz")).toEqual(["api", "healthz"]);
  });

  it("leaves to Next what is not the API's or what Next rewrites before routing", () => {
    for (const p of [
      "/api/auth/session",
      "/api/auth",
      "/api/data/me/",
      "/api/data/api-keys/%E0%A4%A",
      "/w/acme/account/api",
      "/api/data//me",
      "/api/data/me/./tokens",
      "/api/data/x/../me",
      "/api\\data\\me",
      "/api/data/me%2Ftokens",
      "/api/data/%2e%2e/me",
    ])
      expect(apiPathSegments(p), p).toBeNull();
  });
});

describe("serveApiRequest over a real socket", () => {
  let opened: OpenDatabase;
  let secret: string;
  let server: http.Server;
  let base: string;
  const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };

  beforeAll(async () => {
    opened = await createTestDatabase();
    await seedFixtures(opened.db);
    const ctx = await contextFor(opened.db, "admin@acme.test", "acme");
    ({ secret } = await createApiKey(opened.db, ctx, { name: "Listener test key" }));
    g.__latchkeyDb = Promise.resolve(opened);
    // What scripts/server.mjs does, with "Next" standing in as a 418 so a fall-through shows.
    server = http.createServer((req, res) => {
      void serveApiRequest(req, res).then((served) => {
        if (!served) res.writeHead(418).end("next");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    g.__latchkeyDb = undefined;
    await flushAccessLogs();
    await opened?.close();
  });

  it("answers what the route module answers", async () => {
    const res = await fetch(`${base}/api/data/me`, { headers: { "x-apikey": secret } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const viaListener = await res.json();
    const direct = await callApi(new Request("http://localhost/api/data/me", { headers: { "x-apikey": secret, "x-forwarded-for": "127.0.0.1" } }));
    expect(viaListener).toEqual(await direct.json());
    expect(viaListener).toMatchObject({ success: true, data: { key: { name: "Listener test key" } } });
  });

  it("hands JSON and form bodies to the route", async () => {
    const verify = await fetch(`${base}/api/data/verify`, {
      method: "POST",
      headers: { "x-apikey": secret, "content-type": "application/json" },
      body: JSON.stringify({ token: secret }),
    });
    expect(await verify.json()).toMatchObject({ success: true, data: { valid: true } });

    const search = await fetch(`${base}/api/data/api-keys/search`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ key: secret, state: "all" }),
    });
    expect(search.status).toBe(200);
    expect(((await search.json()) as { data: { items: unknown[] } }).data.items.length).toBeGreaterThan(0);
  });

  it("refuses a body over 64 KiB with 413 and keeps serving", async () => {
    const big = JSON.stringify({ token: "x".repeat(70 * 1024) });
    const res = await fetch(`${base}/api/data/verify`, {
      method: "POST",
      headers: { "x-apikey": secret, "content-type": "application/json" },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ success: false, statusCode: "PayloadTooLarge", error: { code: "payload_too_large" } });
    const after = await fetch(`${base}/api/data/me`, { headers: { "x-apikey": secret } });
    expect(after.status).toBe(200);
  });

  it("refuses malformed JSON with 400", async () => {
    const res = await fetch(`${base}/api/data/verify`, {
      method: "POST",
      headers: { "x-apikey": secret, "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_json" } });
  });

  it("answers OPTIONS, refused methods and unknown endpoints in the envelope's terms", async () => {
    const options = await fetch(`${base}/api/data/me`, { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, OPTIONS");

    // A body nobody reads (405 before any parsing) is discarded; the next request still works.
    const refused = await fetch(`${base}/api/health`, { method: "POST", body: "x".repeat(20_000) });
    expect(refused.status).toBe(405);
    expect(await refused.json()).toMatchObject({ error: { code: "method_not_allowed" } });
    expect((await fetch(`${base}/api/health`)).status).toBe(200);

    const unknown = await fetch(`${base}/api/data/no-such-endpoint`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ success: false, error: { code: "no_such_endpoint" } });
  });

  it("builds the URL from the server's origin, not the Host header, as Next does", async () => {
    // With the Host in the URL, "a?b" would push the real query (and its ?key=) out of place.
    for (const host of ["a?b", "a#", "a/x", "bad host", "h:99999"]) {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(`${base}/api/data/me?key=${secret}`, { headers: { host } }, (r) => {
          let body = "";
          r.on("data", (c: Buffer) => (body += c.toString()));
          r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end();
      });
      expect(res.status, host).toBe(200);
      expect(JSON.parse(res.body), host).toMatchObject({ success: true, data: { key: { name: "Listener test key" } } });
    }
  });

  it("leaves the console, Auth.js and unusual paths to Next", async () => {
    for (const p of ["/login", "/api/auth/session", "/api/data/me/"]) {
      const res = await fetch(`${base}${p}`, { redirect: "manual" });
      expect(res.status, p).toBe(418);
    }
    // HEAD is the dispatcher's (GET without the body), as every other API method.
    const head = await fetch(`${base}/api/health`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  describe("headers and bodies, byte for byte the same through both transports", () => {
    const savedHops = process.env.LATCHKEY_TRUSTED_PROXY_HOPS;
    let next = 10;
    beforeAll(() => {
      // One address per request (from X-Forwarded-For), so both transports start from the same budget.
      process.env.LATCHKEY_TRUSTED_PROXY_HOPS = "1";
    });
    afterAll(() => {
      if (savedHops === undefined) delete process.env.LATCHKEY_TRUSTED_PROXY_HOPS;
      else process.env.LATCHKEY_TRUSTED_PROXY_HOPS = savedHops;
    });

    // Set per connection, not by the application.
    const TRANSPORT = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);
    const headersOf = (res: Response) =>
      Object.fromEntries(
        [...res.headers.entries()].filter(([name]) => !TRANSPORT.has(name)).map(([n, v]) => [n, n === "ratelimit" ? v.replace(/;t=\d+/, ";t=#") : v]),
      );

    /** The same request through the listener and as Next's catch-all route hands it to the dispatcher. */
    async function both(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
      const viaListener = await fetch(`${base}${path}`, { method, headers: { ...headers, "x-forwarded-for": `203.0.113.${next++}` }, body });
      const request = new Request(`${base}${path}`, { method, headers: { ...headers, "x-forwarded-for": `203.0.113.${next++}` }, body });
      const direct = await callApi(request);
      return {
        listener: { status: viaListener.status, headers: headersOf(viaListener), body: await viaListener.text() },
        direct: { status: direct.status, headers: headersOf(direct), body: await direct.text() },
        raw: viaListener,
      };
    }

    it.each([
      ["GET", "/api/data/me", "the key", {}],
      ["GET", "/api/data/me", "no key", {}],
      ["GET", "/api/data/me", "an empty key", { "x-apikey": "" }],
      ["GET", "/api/data/me", "a malformed key", { "x-apikey": "lk_not-a-key" }],
      ["GET", "/api/data/me", "an unknown key", { authorization: "Bearer lk_00000000000000000000000000000000000000" }],
      ["OPTIONS", "/api/data/me", "no key", {}],
      ["POST", "/api/health", "no key", {}],
      ["GET", "/api/health", "no key", {}],
      ["GET", "/api/openapi.json", "no key", {}],
      ["GET", "/api/data/no-such-endpoint", "no key", {}],
      ["PUT", "/api/data/api-keys", "the key", {}],
      ["HEAD", "/api/data/me", "the key", {}],
      ["GET", "/api/healthz", "no key", {}],
    ])("%s %s with %s", async (method, path, label, extra) => {
      const headers: Record<string, string> = label === "the key" ? { "x-apikey": secret } : extra;
      const { listener, direct } = await both(method, path, headers);
      expect(listener).toEqual(direct);
      expect(listener.headers["x-content-type-options"]).toBe("nosniff");
    });

    it("challenges every 401 as RFC 6750 asks, and reports the failure budget", async () => {
      const missing = await both("GET", "/api/data/me");
      expect(missing.listener.status).toBe(401);
      // No credential at all: the scheme and realm, no error attribute.
      expect(missing.raw.headers.get("www-authenticate")).toBe('Bearer realm="latchkey"');
      expect(missing.raw.headers.get("ratelimit-policy")).toBe('"auth-failures";q=20;w=60');
      expect(missing.raw.headers.get("ratelimit")).toMatch(/^"auth-failures";r=19;t=(60|59)$/);

      const bad = await both("GET", "/api/data/me", { "x-apikey": "lk_not-a-key" });
      const challenge = bad.raw.headers.get("www-authenticate") ?? "";
      expect(challenge).toMatch(/^Bearer realm="latchkey", error="invalid_token", error_description="[\x20\x21\x23-\x5B\x5D-\x7E]+"$/);
      expect(challenge).toContain("malformed");
      expect(challenge).not.toContain("lk_not-a-key");
      expect(bad.listener).toEqual(bad.direct);
    });

    it("sends Latchkey-Key-Rotated and Latchkey-Key-Expires alike through both: to an old secret in its overlap, and -Expires to a key that expires", async () => {
      const ctx = await contextFor(opened.db, "admin@acme.test", "acme");
      const expiresAt = new Date(Date.now() + 10 * 86_400_000);
      const expiring = await createApiKey(opened.db, ctx, { name: "Parity expiring", expiresAt: expiresAt.toISOString() });
      const e = await both("GET", "/api/data/me", { "x-apikey": expiring.secret });
      expect(e.listener).toEqual(e.direct);
      expect(e.listener.headers["latchkey-key-expires"]).toBe(expiresAt.toISOString().replace(/\.\d{3}Z$/, "Z"));
      expect(e.listener.headers["latchkey-key-rotated"]).toBeUndefined();

      const rolled = await createApiKey(opened.db, ctx, { name: "Parity rolled" });
      const rotation = await rotateApiKey(opened.db, ctx, rolled.key.id, { overlap: "24h" });
      for (const path of ["/api/data/me", "/api/data/api-keys"]) {
        const old = await both("GET", path, { "x-apikey": rolled.secret });
        expect(old.listener, path).toEqual(old.direct);
        expect(old.listener.status).toBe(200);
        expect(old.listener.headers["latchkey-key-rotated"]).toBe(rotation.key.prefix.replace("…", ""));
        expect(old.listener.headers["latchkey-key-expires"]).toBe(rotation.previous.retireAt.toISOString().replace(/\.\d{3}Z$/, "Z"));
      }
      // The new secret: the key's own expiry (the workspace's maximum lifetime), not rotated.
      const fresh = await both("GET", "/api/data/me", { "x-apikey": rotation.secret });
      expect(fresh.listener).toEqual(fresh.direct);
      expect(fresh.listener.headers["latchkey-key-rotated"]).toBeUndefined();
      expect(fresh.listener.headers["latchkey-key-expires"]).toBe(rotation.key.expiresAt!.toISOString().replace(/\.\d{3}Z$/, "Z"));
    });

    it("answers a secret-bearing create with no-store", async () => {
      const { listener } = await both(
        "POST",
        "/api/data/api-keys",
        { "x-apikey": secret, "content-type": "application/json" },
        JSON.stringify({ name: "Parity" }),
      );
      expect(listener.status).toBe(201);
      expect(listener.headers["cache-control"]).toBe("no-store");
      expect(listener.headers["x-content-type-options"]).toBe("nosniff");
    });

    it("answers 429 with Retry-After and RateLimit fields, alike through both", async () => {
      const saved = process.env.LATCHKEY_AUTH_FAILURE_LIMIT;
      process.env.LATCHKEY_AUTH_FAILURE_LIMIT = "2";
      try {
        const address = () => `203.0.113.${next++}`;
        const [a, b] = [address(), address()];
        const hammer = async (send: (h: Record<string, string>) => Promise<Response>, xff: string) => {
          let last: Response | undefined;
          for (let i = 0; i < 3; i++) last = await send({ "x-apikey": "lk_wrong", "x-forwarded-for": xff });
          return last!;
        };
        const viaListener = await hammer((h) => fetch(`${base}/api/data/me`, { headers: h }), a);
        const direct = await hammer((h) => callApi(new Request(`${base}/api/data/me`, { headers: h })), b);
        expect(viaListener.status).toBe(429);
        expect(headersOf(viaListener)).toEqual(headersOf(direct));
        expect(await viaListener.text()).toBe(await direct.text());
        const wait = Number(viaListener.headers.get("retry-after"));
        expect(wait).toBeGreaterThan(0);
        expect(viaListener.headers.get("ratelimit-policy")).toBe('"auth-failures";q=2;w=60');
        expect(viaListener.headers.get("ratelimit")).toBe(`"auth-failures";r=0;t=${wait}`);
        expect(viaListener.headers.get("www-authenticate")).toBeNull();
        // Still blocked, answered from memory: the same fields.
        const again = await fetch(`${base}/api/data/me`, { headers: { "x-apikey": secret, "x-forwarded-for": a } });
        expect(again.status).toBe(429);
        expect(again.headers.get("ratelimit")).toMatch(/^"auth-failures";r=0;t=\d+$/);
      } finally {
        if (saved === undefined) delete process.env.LATCHKEY_AUTH_FAILURE_LIMIT;
        else process.env.LATCHKEY_AUTH_FAILURE_LIMIT = saved;
      }
    });
  });

  it("logs the same request headers and response body through both transports, for a key with logging on", async () => {
    const ctx = await contextFor(opened.db, "admin@acme.test", "acme");
    const logged = await createApiKey(opened.db, ctx, { name: "Listener logging key" });
    await updateApiKey(opened.db, ctx, logged.key.id, { logRequests: true, logResponses: true });
    const headers = { "x-apikey": logged.secret, "user-agent": "parity-agent/1", accept: "application/json", "x-integration-name": "parity" };
    const viaListener = await fetch(`${base}/api/data/me?marker=listener`, { headers });
    const direct = await callApi(new Request(`${base}/api/data/me?marker=next`, { headers }));
    expect([viaListener.status, direct.status]).toEqual([200, 200]);
    await flushAccessLogs();
    const rows = await opened.db
      .select({ path: accessLogs.path, requestHeaders: accessLogs.requestHeaders, responseBody: accessLogs.responseBody })
      .from(accessLogs)
      .where(eq(accessLogs.apiKeyId, logged.key.id));
    const byPath = Object.fromEntries(rows.map((r) => [r.path, r]));
    const listenerRow = byPath["/api/data/me?marker=listener"];
    const nextRow = byPath["/api/data/me?marker=next"];
    expect(JSON.parse(listenerRow.requestHeaders!)).toEqual({
      accept: "application/json",
      "user-agent": "parity-agent/1",
      "x-apikey": "[REDACTED]",
      "x-integration-name": "parity",
    });
    expect(listenerRow.requestHeaders).toBe(nextRow.requestHeaders);
    expect(listenerRow.responseBody).toBe(nextRow.responseBody);
    expect(JSON.parse(listenerRow.responseBody!)).toMatchObject({ success: true, data: { key: { name: "Listener logging key" } } });
    expect(listenerRow.responseBody).not.toContain(logged.secret);
  });

  it("records the socket's address when no proxy sent X-Forwarded-For, as Next does", async () => {
    const [acme] = await opened.db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.slug, "acme"));
    // A refusal keeps its access-log row (a success of a key without logging is only counted).
    await fetch(`${base}/api/data/api-keys?marker=socket-address`, {
      method: "POST",
      headers: { "x-apikey": secret, "content-type": "application/json" },
      body: "{}",
    });
    await flushAccessLogs();
    const rows = await opened.db
      .select({ ip: accessLogs.ip })
      .from(accessLogs)
      .where(and(eq(accessLogs.workspaceId, acme.id), eq(accessLogs.path, "/api/data/api-keys?marker=socket-address")));
    expect(rows).toEqual([{ ip: "127.0.0.1" }]);
  });
});
