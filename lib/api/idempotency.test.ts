import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { apiKeys, auditEvents, idempotencyKeys } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { createApiKey } from "@/lib/api-keys/core";
import { callApi } from "@/lib/testing/api";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { purgeIdempotencyKeys } from "./idempotency";

// Idempotency-Key, Stripe's contract: the same key and request twice make one change and get the
// first answer twice; the same key with another request is a 422 that changes nothing; keys are
// per credential; a refusal is not kept; a replayed create never shows the secret again.

let opened: OpenDatabase;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
let secret: string;
let other: string;
let n = 0;
const unique = (label: string) => `${label} ${++n}`;

beforeAll(async () => {
  opened = await createTestDatabase();
  await seedFixtures(opened.db);
  g.__latchkeyDb = Promise.resolve(opened);
  const ctx = await contextFor(opened.db, "admin@acme.test", "acme");
  ({ secret } = await createApiKey(opened.db, ctx, { name: "Idempotent caller" }));
  ({ secret: other } = await createApiKey(opened.db, ctx, { name: "Another caller" }));
});

afterAll(async () => {
  g.__latchkeyDb = undefined;
  await flushAccessLogs();
  await opened?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: { success: boolean; data?: Record<string, unknown> & { key?: { id: string }; secret?: string | null }; error?: { code: string } };
}

async function send(method: string, path: string, opts: { body?: unknown; key?: string; as?: string } = {}): Promise<Answer> {
  const headers = new Headers({ "x-apikey": opts.as ?? secret, "x-forwarded-for": "198.51.100.30" });
  if (opts.key !== undefined) headers.set("idempotency-key", opts.key);
  if (opts.body !== undefined) headers.set("content-type", "application/json");
  const res = await callApi(
    new Request(`http://localhost${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) }),
  );
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer["body"] };
}

const keysNamed = async (name: string) => opened.db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.name, name));
const createdEvents = async (id: string) =>
  opened.db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(and(eq(auditEvents.apiKeyId, id), eq(auditEvents.action, "api_key.created")));

describe("Idempotency-Key", () => {
  it("makes one key for the same create sent twice, and replays the first answer without the secret", async () => {
    const name = unique("Once");
    const first = await send("POST", "/api/data/api-keys", { body: { name }, key: "create-once" });
    expect(first.status).toBe(201);
    expect(first.body.data!.secret).toMatch(/^lk_/);
    expect(first.headers.get("idempotent-replayed")).toBeNull();

    const again = await send("POST", "/api/data/api-keys", { body: { name }, key: "create-once" });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect(again.body.data!.key).toEqual(first.body.data!.key);
    expect(again.body.data!.secret).toBeNull();

    expect(await keysNamed(name)).toHaveLength(1);
    expect(await createdEvents(first.body.data!.key!.id)).toHaveLength(1);
    // The stored answer holds no secret either.
    const [stored] = await opened.db.select({ body: idempotencyKeys.body }).from(idempotencyKeys).where(eq(idempotencyKeys.key, "create-once"));
    expect(stored.body).not.toContain(first.body.data!.secret!);
  });

  it("treats a retry with the key sent another way as the same request (the credential is not part of it)", async () => {
    const name = unique("Moved credential");
    const first = await send("POST", "/api/data/api-keys", { body: { name }, key: "moved" });
    const res = await callApi(
      new Request("http://localhost/api/data/api-keys", {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "moved", "x-forwarded-for": "198.51.100.30" },
        body: JSON.stringify({ API_Key: secret, name }),
      }),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get("idempotent-replayed")).toBe("true");
    expect(((await res.json()) as Answer["body"]).data!.key).toEqual(first.body.data!.key);
    expect(await keysNamed(name)).toHaveLength(1);
  });

  it("refuses the same key with a different request (422) and changes nothing", async () => {
    const name = unique("First body");
    expect((await send("POST", "/api/data/api-keys", { body: { name }, key: "reused" })).status).toBe(201);
    const second = unique("Second body");
    const refused = await send("POST", "/api/data/api-keys", { body: { name: second }, key: "reused" });
    expect(refused).toMatchObject({ status: 422, body: { success: false, error: { code: "idempotency_key_reused" } } });
    expect(await keysNamed(second)).toHaveLength(0);
    // Another path with the same key is another request too.
    const elsewhere = await send("DELETE", "/api/data/api-keys/revoke-all", { key: "reused" });
    expect(elsewhere.status).toBe(422);
    expect((await send("GET", "/api/data/api-keys")).body.data!.total).toBeGreaterThan(0);
  });

  it("keeps keys per credential: another key's same Idempotency-Key is its own", async () => {
    const mine = await send("POST", "/api/data/api-keys", { body: { name: unique("Mine") }, key: "shared-name" });
    const theirs = await send("POST", "/api/data/api-keys", { body: { name: unique("Theirs") }, key: "shared-name", as: other });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect(theirs.body.data!.key!.id).not.toBe(mine.body.data!.key!.id);
  });

  it("does not keep a refusal: the corrected request may reuse the key", async () => {
    const bad = await send("POST", "/api/data/api-keys", { body: { name: "" }, key: "corrected" });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "validation_failed" } } });
    const name = unique("Corrected");
    const good = await send("POST", "/api/data/api-keys", { body: { name }, key: "corrected" });
    expect(good.status).toBe(201);
    expect(await keysNamed(name)).toHaveLength(1);
  });

  it("replays a revoke instead of answering 'not found' the second time", async () => {
    const created = await send("POST", "/api/data/api-keys", { body: { name: unique("To revoke") } });
    const id = created.body.data!.key!.id;
    const first = await send("DELETE", `/api/data/api-keys/${id}/revoke`, { key: `revoke-${id}` });
    const again = await send("DELETE", `/api/data/api-keys/${id}/revoke`, { key: `revoke-${id}` });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body).toEqual(first.body);
    expect((await send("DELETE", `/api/data/api-keys/${id}/revoke`)).status).toBe(404);
  });

  it("makes one key when the same request races itself", async () => {
    const name = unique("Raced");
    const answers = await Promise.all(Array.from({ length: 5 }, () => send("POST", "/api/data/api-keys", { body: { name }, key: "raced" })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(answers.filter((a) => a.headers.get("idempotent-replayed") === null)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body.data!.key!.id)).size).toBe(1);
    expect(await keysNamed(name)).toHaveLength(1);
  });

  it("forgets records past 24 hours, also of a credential that went quiet, and keeps the rest", async () => {
    const [caller] = await opened.db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.name, "Another caller"));
    const now = new Date();
    const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
    await opened.db.insert(idempotencyKeys).values([
      { apiKeyId: caller.id, key: "purge-old", fingerprint: "f", status: 201, body: "{}", createdAt: hoursAgo(25) },
      { apiKeyId: caller.id, key: "purge-recent", fingerprint: "f", status: 201, body: "{}", createdAt: hoursAgo(23) },
    ]);
    expect(await purgeIdempotencyKeys(opened.db, now)).toBeGreaterThanOrEqual(1);
    const left = await opened.db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.apiKeyId, caller.id)));
    expect(left.map((r) => r.key)).toContain("purge-recent");
    expect(left.map((r) => r.key)).not.toContain("purge-old");
  });

  it("refuses a malformed key before anything runs, and ignores the header where nothing changes", async () => {
    const name = unique("Malformed");
    for (const key of ["", "x".repeat(256), "with space", "naïve"]) {
      const res = await send("POST", "/api/data/api-keys", { body: { name }, key });
      expect(res, JSON.stringify(key)).toMatchObject({ status: 400, body: { error: { code: "invalid_idempotency_key" } } });
    }
    expect(await keysNamed(name)).toHaveLength(0);
    // A search changes nothing: the header is not an idempotency record there.
    expect((await send("POST", "/api/data/api-keys/search", { body: {}, key: "search" })).status).toBe(200);
    expect((await send("POST", "/api/data/api-keys/search", { body: { pageSize: 5 }, key: "search" })).status).toBe(200);
  });
});
