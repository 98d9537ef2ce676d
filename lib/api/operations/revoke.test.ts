import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { apiKeys, auditEvents, memberships, notifications } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { createApiKey, updateApiKey } from "@/lib/api-keys/core";
import { generateSecret } from "@/lib/api-keys/format";
import { callApi } from "@/lib/testing/api";
import { contextFor, seedFixtures, snapshotOf } from "@/lib/testing/fixtures";

// POST /api/revoke (RFC 7009's shape): whoever presents a key revokes it, with no other
// credential; every token gets the same answer; only a request without one is refused.

let opened: OpenDatabase;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
const LIMIT = 6;
const saved = { hops: process.env.LATCHKEY_TRUSTED_PROXY_HOPS, limit: process.env.LATCHKEY_AUTH_FAILURE_LIMIT };
let seq = 0;
let address = 10;
/** An address of its own per test, so one test's failures never spend another's budget. */
const newAddress = () => `198.51.100.${++address}`;

beforeAll(async () => {
  process.env.LATCHKEY_TRUSTED_PROXY_HOPS = "1";
  process.env.LATCHKEY_AUTH_FAILURE_LIMIT = String(LIMIT);
  opened = await createTestDatabase();
  await seedFixtures(opened.db);
  g.__latchkeyDb = Promise.resolve(opened);
});

afterAll(async () => {
  for (const [name, value] of [
    ["LATCHKEY_TRUSTED_PROXY_HOPS", saved.hops],
    ["LATCHKEY_AUTH_FAILURE_LIMIT", saved.limit],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  g.__latchkeyDb = undefined;
  await flushAccessLogs();
  await opened?.close();
});

async function revoke(body: string | undefined, opts: { type?: string; from?: string; path?: string } = {}) {
  const headers: Record<string, string> = { "x-forwarded-for": opts.from ?? "198.51.100.10", "user-agent": "secret-scanner/1.0" };
  if (opts.type) headers["content-type"] = opts.type;
  const res = await callApi(new Request(`http://localhost${opts.path ?? "/api/revoke"}`, { method: "POST", headers, body }));
  return { status: res.status, text: await res.text(), retryAfter: res.headers.get("retry-after") };
}
const form = (token: string, from?: string) =>
  revoke(`token=${encodeURIComponent(token)}&token_type_hint=access_token`, { type: "application/x-www-form-urlencoded", from });

async function me(secret: string) {
  const res = await callApi(new Request("http://localhost/api/data/me", { headers: { "x-apikey": secret, "x-forwarded-for": "198.51.100.250" } }));
  return res.status === 200 ? "accepted" : ((await res.json()) as { error: { code: string } }).error.code;
}

async function newKey() {
  return createApiKey(opened.db, await contextFor(opened.db, "admin@acme.test", "acme"), { name: `Found in a gist ${++seq}` });
}

const RECEIPT = JSON.stringify({
  success: true,
  hasError: false,
  statusCode: "OK",
  data: { message: "If the token was a live Latchkey key, it has been revoked." },
});

describe("POST /api/revoke", () => {
  it("revokes a live key presented as a form: reason compromised, the key itself as the actor, the address recorded", async () => {
    const { key, secret } = await newKey();
    expect(await me(secret)).toBe("accepted");
    const from = newAddress();
    expect(await form(secret, from)).toMatchObject({ status: 200, text: RECEIPT });
    expect(await me(secret)).toBe("key_revoked");

    const [row] = await opened.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(row).toMatchObject({ revokedReason: "compromised", revokedReasonText: null, revokedById: null });
    expect(row.revokedAt).toBeInstanceOf(Date);
    const events = await opened.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.apiKeyId, key.id), eq(auditEvents.action, "api_key.revoked")));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      workspaceId: row.workspaceId,
      actorUserId: null,
      actorApiKeyId: key.id,
      ip: from,
      userAgent: "secret-scanner/1.0",
      metadata: { via: "self_revocation" },
      changes: { revokedReason: { from: null, to: "compromised" } },
    });
    expect(JSON.stringify(events)).not.toContain(secret.slice(3));
    // The key's owner and creator (the Admin who made it) and the workspace's Admins are told, each once, never the secret.
    const told = await opened.db
      .select({
        userId: notifications.userId,
        kind: notifications.kind,
        title: notifications.title,
        body: notifications.body,
        href: notifications.href,
      })
      .from(notifications)
      .where(eq(notifications.apiKeyId, key.id));
    const admins = await opened.db
      .select({ id: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.workspaceId, row.workspaceId), eq(memberships.role, "admin")));
    expect(told.map((n) => n.userId).sort()).toEqual(admins.map((a) => a.id).sort());
    expect(told[0]).toMatchObject({
      kind: "key_leaked",
      title: `API key "${row.name}" was reported leaked and is revoked`,
      href: `/w/acme/account/api/${key.id}`,
    });
    expect(told[0].body).toContain(`from ${from}`);
    expect(JSON.stringify(told)).not.toContain(secret.slice(3));
  });

  it("takes JSON too, and revokes a disabled or expired key as well", async () => {
    const { key, secret } = await newKey();
    await updateApiKey(opened.db, await contextFor(opened.db, "admin@acme.test", "acme"), key.id, { enabled: false });
    expect(await revoke(JSON.stringify({ token: secret }), { type: "application/json", from: newAddress() })).toMatchObject({
      status: 200,
      text: RECEIPT,
    });
    expect((await opened.db.select().from(apiKeys).where(eq(apiKeys.id, key.id)))[0]).toMatchObject({ revokedReason: "compromised" });

    const expired = await newKey();
    await opened.db
      .update(apiKeys)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(eq(apiKeys.id, expired.key.id));
    expect(await form(expired.secret, newAddress())).toMatchObject({ status: 200, text: RECEIPT });
    expect((await opened.db.select().from(apiKeys).where(eq(apiKeys.id, expired.key.id)))[0].revokedReason).toBe("compromised");
  });

  it("answers an unknown, malformed or already revoked token exactly alike, and changes nothing", async () => {
    const { secret } = await newKey();
    await form(secret, newAddress());
    const before = await snapshotOf(opened.db, { apiKeys: true });
    const from = newAddress();
    for (const token of [generateSecret(), "lk_thisIsNotAKeyAtAll", "not-even-close", secret, "x".repeat(600)]) {
      expect(await form(token, from)).toEqual({ status: 200, text: RECEIPT, retryAfter: null });
    }
    expect(await snapshotOf(opened.db, { apiKeys: true })).toBe(before);
  });

  it("refuses only a request without a token: 400 invalid_request, nothing changed", async () => {
    const { secret } = await newKey();
    const before = await snapshotOf(opened.db, { apiKeys: true });
    const missing = [
      await revoke(undefined),
      await revoke("token_type_hint=access_token", { type: "application/x-www-form-urlencoded" }),
      await revoke(JSON.stringify({ token: "  " }), { type: "application/json" }),
      await revoke("{not json", { type: "application/json" }),
      // In the URL a secret would reach logs: it is not taken from there.
      await revoke(undefined, { path: `/api/revoke?token=${secret}` }),
    ];
    for (const res of missing) {
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text).error).toMatchObject({ code: "invalid_request", message: expect.stringContaining("token is required") });
    }
    expect(await snapshotOf(opened.db, { apiKeys: true })).toBe(before);
    expect(await me(secret)).toBe("accepted");
  });

  it("counts tokens that revoke nothing against the address, then turns it away with 429", async () => {
    const from = newAddress();
    for (let i = 0; i < LIMIT; i++) expect((await form(generateSecret(), from)).status).toBe(200);
    // Over the limit: this one is still answered alike, then the address waits.
    expect((await form(generateSecret(), from)).status).toBe(200);
    const { key, secret } = await newKey();
    const refused = await form(secret, from);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    // Turned away before any lookup: the key is still live, and another address may revoke it.
    expect(await me(secret)).toBe("accepted");
    expect(await form(secret, newAddress())).toMatchObject({ status: 200, text: RECEIPT });
    expect((await opened.db.select().from(apiKeys).where(eq(apiKeys.id, key.id)))[0].revokedReason).toBe("compromised");
  });

  it("needs no key and is the one method on its path", async () => {
    const res = await callApi(new Request("http://localhost/api/revoke", { method: "GET" }));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });
});
