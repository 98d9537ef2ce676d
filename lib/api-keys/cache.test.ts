import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { apiKeys, memberships, workspaces } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { selectsDuring } from "@/lib/testing/queries";
import { contextFor, seedFixtures, userId, workspaceId } from "@/lib/testing/fixtures";
import {
  cacheGeneration,
  cacheSettled,
  cacheVerification,
  cachedVerification,
  evictDependents,
  startAuthCache,
  stopAuthCacheForTests,
  verificationCacheSize,
} from "./cache";
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
    // Right after this process's own transaction the cache reads through until its sync token is back.
    await cacheSettled();
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

  it("is not touched by usage writes (last used), which happen all the time", async () => {
    const { key } = await createApiKey(handle.db, await contextFor(handle.db, "admin@acme.test", "acme"), { name: "Busy key" });
    const heard: string[] = [];
    await handle.listen("latchkey_auth", (payload) => heard.push(payload));
    await handle.db.update(apiKeys).set({ lastUsedAt: new Date(), lastUsedIp: "192.0.2.9" }).where(eq(apiKeys.id, key.id));
    // Notifications arrive in commit order: once this later one is heard, an earlier one would have been.
    const globex = await workspaceId(handle.db, "globex");
    const globexAdmin = await userId(handle.db, "admin@globex.test");
    await handle.db.update(memberships).set({ canManageApiKeys: false }).where(eq(memberships.workspaceId, globex));
    await expect.poll(() => heard).toContain(`u:${globexAdmin}`);
    expect(heard).not.toContain(`k:${key.id}`);
    // A real change to the key is heard, by its id.
    await handle.db.update(apiKeys).set({ description: "changed" }).where(eq(apiKeys.id, key.id));
    await expect.poll(() => heard).toContain(`k:${key.id}`);
  });

  it("evicts only what a change touches: another workspace's keys, and other keys of the same one, stay cached", async () => {
    const acme = await contextFor(handle.db, "admin@acme.test", "acme");
    const globex = await contextFor(handle.db, "admin@globex.test", "globex");
    const a = await createApiKey(handle.db, acme, { name: "Acme, stays cached" });
    const other = await createApiKey(handle.db, acme, { name: "Acme, changed" });
    const b = await createApiKey(handle.db, globex, { name: "Globex, evicted" });
    await cacheSettled();
    const heard: string[] = [];
    await handle.listen("latchkey_auth", (payload) => heard.push(payload));
    for (const { secret } of [a, other, b]) await verifyApiKey(handle.db, secret, { via: "x-apikey" });
    const cached = async (secret: string) => (await queriesDuring(() => verifyApiKey(handle.db, secret, { via: "x-apikey" }))) === 0;
    expect([await cached(a.secret), await cached(other.secret), await cached(b.secret)]).toEqual([true, true, true]);

    // Straight in the database, as another instance's change would arrive: through NOTIFY only.
    await handle.db.update(workspaces).set({ personalTokensAllowed: true }).where(eq(workspaces.id, globex.workspace.id));
    await handle.db.update(apiKeys).set({ enabled: false }).where(eq(apiKeys.id, other.key.id));
    await expect.poll(() => heard).toEqual(expect.arrayContaining([`w:${globex.workspace.id}`, `k:${other.key.id}`]));
    expect(await cached(a.secret)).toBe(true);
    expect(await cached(other.secret)).toBe(false);
    expect(await cached(b.secret)).toBe(false);
    expect(await verifyApiKey(handle.db, other.secret, { via: "x-apikey" })).toMatchObject({ ok: false, code: "key_disabled" });
  });

  it("never stores a lookup that started before a change to what it depends on", () => {
    const started = cacheGeneration();
    evictDependents(["k:00000000-0000-4000-8000-000000000001"]);
    cacheVerification("stale-hash", { stale: true }, ["k:00000000-0000-4000-8000-000000000001", "w:w1"], started);
    expect(cachedVerification("stale-hash")).toBeUndefined();
    // A change to something else does not hold it back.
    cacheVerification("fresh-hash", { fresh: true }, ["k:00000000-0000-4000-8000-000000000002", "w:w1"], started);
    expect(cachedVerification("fresh-hash")).toEqual({ fresh: true });
  });

  it("is bounded: past 50,000 entries the least recently used one goes", () => {
    const deps = ["w:bounded"] as const;
    for (let i = 0; i < 50_000; i++) cacheVerification(`h${i}`, i, deps, cacheGeneration());
    expect(verificationCacheSize()).toBeLessThanOrEqual(50_000);
    // h0 is used, so h1 is now the least recently used.
    expect(cachedVerification("h0")).toBe(0);
    cacheVerification("h-new", -1, deps, cacheGeneration());
    expect(cachedVerification("h1")).toBeUndefined();
    expect(cachedVerification("h0")).toBe(0);
    expect(cachedVerification("h-new")).toBe(-1);
    expect(verificationCacheSize()).toBeLessThanOrEqual(50_000);
    evictDependents(deps);
    expect(cachedVerification("h0")).toBeUndefined();
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
