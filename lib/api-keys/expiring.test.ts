import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { apiKeys } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { addUtcDays } from "@/lib/dates";
import { callApi } from "@/lib/testing/api";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { createApiKey, listApiKeys, updateApiKey } from "./core";

// "Expiring soon": the grid's filter and badge, and GET /api/data/api-keys?state=expiring, find the
// live keys (enabled or not) whose expiry falls within the next 14 days — not the expired ones,
// not those expiring later, not those that never expire, and never another workspace's.

let handle: OpenDatabase;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };

beforeAll(async () => {
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
  g.__latchkeyDb = Promise.resolve(handle);
});
afterAll(async () => {
  g.__latchkeyDb = undefined;
  await handle.close();
});

describe("keys expiring within 14 days", () => {
  it("are listed by state=expiring, in the console's core and over REST alike", async () => {
    const db = handle.db;
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const inDays = (days: number) => addUtcDays(Date.now(), days).toISOString();
    const soon = await createApiKey(db, ctx, { name: "Expiring in 3 days", expiresAt: inDays(3) });
    const soonDisabled = await createApiKey(db, ctx, { name: "Disabled, expiring in 13 days", expiresAt: inDays(13) });
    await updateApiKey(db, ctx, soonDisabled.key.id, { enabled: false });
    const later = await createApiKey(db, ctx, { name: "Expiring in 20 days", expiresAt: inDays(20) });
    const expired = await createApiKey(db, ctx, { name: "Already expired", expiresAt: inDays(3) });
    await db
      .update(apiKeys)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(eq(apiKeys.id, expired.key.id));
    const globex = await contextFor(db, "admin@globex.test", "globex");
    const elsewhere = await createApiKey(db, globex, { name: "Globex, expiring in 2 days", expiresAt: inDays(2) });

    const page = await listApiKeys(db, ctx, { state: "expiring", pageSize: 100 });
    expect(page.rows.map((r) => r.name).sort()).toEqual(["Disabled, expiring in 13 days", "Expiring in 3 days"]);
    expect(page.total).toBe(2);
    expect(page.asOf).toBeGreaterThan(Date.now() - 60_000);
    const ids = page.rows.map((r) => r.id);
    for (const other of [later, expired, elsewhere]) expect(ids).not.toContain(other.key.id);

    const rest = await callApi(new Request("http://localhost/api/data/api-keys?state=expiring", { headers: { "x-apikey": soon.secret } }));
    expect(rest.status).toBe(200);
    const body = (await rest.json()) as { data: { items: { id: string }[]; total: number } };
    expect(body.data.items.map((i) => i.id).sort()).toEqual([soon.key.id, soonDisabled.key.id].sort());
  });

  it("refuses an unknown state with the states it accepts, over REST", async () => {
    const ctx = await contextFor(handle.db, "admin@acme.test", "acme");
    const { secret } = await createApiKey(handle.db, ctx, { name: "State filter caller" });
    const res = await callApi(new Request("http://localhost/api/data/api-keys?state=soon", { headers: { "x-apikey": secret } }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; validationErrors: Record<string, string[]> } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.validationErrors.state.join(" ")).toContain("expiring");
  });
});
