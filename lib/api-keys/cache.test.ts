import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { apiKeys, memberships } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { selectsDuring } from "@/lib/testing/queries";
import { contextFor, seedFixtures, userId, workspaceId } from "@/lib/testing/fixtures";
import { authEpoch, bumpAuthEpoch, cacheVerification, cachedVerification, startAuthCache, stopAuthCacheForTests } from "./cache";
import { createApiKey } from "./core";
import { verifyApiKey } from "./verify";

let handle: OpenDatabase;

beforeAll(async () => {
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
  await startAuthCache(handle);
});

afterAll(async () => {
  stopAuthCacheForTests();
  await handle.close();
});

const queriesDuring = (fn: () => Promise<unknown>) => selectsDuring(handle.db, fn);

describe("the verification cache", () => {
  it("serves a repeated verification without a query", async () => {
    const { secret } = await createApiKey(handle.db, await contextFor(handle.db, "admin@acme.test", "acme"), { name: "Cached key" });
    expect(await queriesDuring(() => verifyApiKey(handle.db, secret, { via: "x-apikey" }))).toBe(1);
    expect(await queriesDuring(() => verifyApiKey(handle.db, secret, { via: "x-apikey" }))).toBe(0);
  });

  it("is flushed by a change made straight in the database, through the trigger and NOTIFY", async () => {
    const ctx = await contextFor(handle.db, "admin@acme.test", "acme");
    const manager = await userId(handle.db, "manager@acme.test");
    const { secret } = await createApiKey(handle.db, ctx, { name: "Manager's cached key", ownerId: manager });
    expect(await verifyApiKey(handle.db, secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { role: "manager" } });

    await handle.db.update(memberships).set({ role: "member" }).where(eq(memberships.userId, manager));
    // PGlite delivers the notification with the statement; PostgreSQL a moment after the commit.
    await expect.poll(async () => verifyApiKey(handle.db, secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { role: "member" } });

    await handle.db.update(apiKeys).set({ enabled: false }).where(eq(apiKeys.ownerId, manager));
    await expect.poll(async () => (await verifyApiKey(handle.db, secret, { via: "x-apikey" })).ok).toBe(false);
    await handle.db.update(memberships).set({ role: "manager" }).where(eq(memberships.userId, manager));
  });

  it("is not flushed by usage writes (last used), which happen all the time", async () => {
    const { key } = await createApiKey(handle.db, await contextFor(handle.db, "admin@acme.test", "acme"), { name: "Busy key" });
    const heard: string[] = [];
    await handle.listen("latchkey_auth", (table) => heard.push(table));
    await handle.db.update(apiKeys).set({ lastUsedAt: new Date(), lastUsedIp: "192.0.2.9" }).where(eq(apiKeys.id, key.id));
    // Notifications arrive in commit order: once this later one is heard, an earlier one would have been.
    await handle.db
      .update(memberships)
      .set({ canManageApiKeys: false })
      .where(eq(memberships.workspaceId, await workspaceId(handle.db, "globex")));
    await expect.poll(() => heard).toContain("memberships");
    expect(heard).not.toContain("api_keys");
  });

  it("never stores a lookup that started before a change", () => {
    const started = authEpoch();
    bumpAuthEpoch();
    cacheVerification("some-hash", { stale: true }, started);
    expect(cachedVerification("some-hash")).toBeUndefined();
    cacheVerification("some-hash", { fresh: true }, authEpoch());
    expect(cachedVerification("some-hash")).toEqual({ fresh: true });
  });

  it("keeps expiry live: a cached key past its expiry is refused", async () => {
    const { secret } = await createApiKey(handle.db, await contextFor(handle.db, "admin@acme.test", "acme"), {
      name: "Expiring cached key",
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    expect((await verifyApiKey(handle.db, secret, { via: "x-apikey" })).ok).toBe(true);
    expect(await verifyApiKey(handle.db, secret, { via: "x-apikey", now: new Date(Date.now() + 120_000) })).toMatchObject({
      ok: false,
      code: "key_expired",
    });
  });
});
