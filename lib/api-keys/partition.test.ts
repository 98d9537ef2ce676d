import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { apiKeys } from "@/db/schema";
import { createTestDatabase, openThroughProxy } from "@/db/testing";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import type { TcpProxy } from "@/lib/testing/tcp-proxy";
import { cacheSettled, startAuthCache, stopAuthCacheForTests } from "./cache";
import { createApiKey } from "./core";
import { verifyApiKey } from "./verify";

// This instance's connection to PostgreSQL is cut (a real cut, through a TCP proxy) and a key it
// holds in its cache is revoked meanwhile by someone else: the revocation's notification can
// never arrive. The cache must not answer from memory from the moment the listening connection
// closed. PostgreSQL only: the embedded database has no connection to cut.

describe.runIf(!!process.env.DATABASE_URL)("a cut connection and a key revoked elsewhere", () => {
  let direct: OpenDatabase & { url?: string };
  let proxied: OpenDatabase;
  let proxy: TcpProxy;

  beforeAll(async () => {
    direct = await createTestDatabase();
    await seedFixtures(direct.db);
    ({ proxied, proxy } = await openThroughProxy(direct, { connectSeconds: 1, querySeconds: 1 }));
    await startAuthCache(proxied);
  });

  afterAll(async () => {
    stopAuthCacheForTests();
    proxy?.restore();
    await proxied?.close();
    await proxy?.close();
    await direct?.close();
  });

  const verdict = async (secret: string) => {
    try {
      const r = await verifyApiKey(proxied.db, secret, { via: "x-apikey" });
      return r.ok ? "accepted" : r.code;
    } catch {
      return "database unreachable";
    }
  };

  it("never accepts it from the cache, and refuses it once the connection is back", async () => {
    const { key, secret } = await createApiKey(direct.db, await contextFor(direct.db, "admin@acme.test", "acme"), { name: "Revoked unheard" });
    await cacheSettled();
    expect(await verdict(secret)).toBe("accepted");
    expect(await verdict(secret)).toBe("accepted"); // now from the cache

    proxy.cut();
    await direct.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, key.id));
    // At once and for as long as the cut lasts: never from memory.
    for (let i = 0; i < 5; i++) expect(await verdict(secret)).toBe("database unreachable");

    proxy.restore();
    await expect.poll(() => verdict(secret), { timeout: 3_000, interval: 50 }).toBe("key_revoked");
  });
});
