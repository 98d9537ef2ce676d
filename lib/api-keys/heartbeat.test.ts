import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { apiKeys } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { selectsDuring } from "@/lib/testing/queries";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { HEARTBEAT_STALE_MS, startAuthCache, stopAuthCacheForTests } from "./cache";
import { createApiKey } from "./core";
import { verifyApiKey } from "./verify";

// The cache must fail closed when notifications cannot arrive. Here the subscription is one the
// test can cut, as a dropped LISTEN connection would be: while it is cut, neither the heartbeat
// nor any change notification gets through. A key revoked meanwhile by someone else (a write
// this process is not told about, as another instance's would be) must be refused within the
// heartbeat's window, and the cache must not trust what it held once the connection is back.

let handle: OpenDatabase;
let connected = true;
let deliver: (payload: string) => void = () => {};

beforeAll(async () => {
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
  await startAuthCache({
    listen: async (_channel, onNotify) => {
      deliver = onNotify;
    },
    notify: async (_channel, payload) => {
      if (connected) deliver(payload);
    },
  });
});

afterAll(async () => {
  stopAuthCacheForTests();
  await handle.close();
});

const queriesDuring = (fn: () => Promise<unknown>) => selectsDuring(handle.db, fn);

const verify = (secret: string) => verifyApiKey(handle.db, secret, { via: "x-apikey" });

/** Revokes a key the way another instance would: a write this process hears nothing about. */
async function revokeElsewhere(id: string) {
  await handle.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, id));
}

describe("the verification cache's heartbeat", () => {
  it("keeps the cache on while the heartbeat is heard", async () => {
    const { secret } = await createApiKey(handle.db, await contextFor(handle.db, "admin@acme.test", "acme"), { name: "Heard key" });
    await verify(secret);
    // Past the window: still served from memory, since the heartbeat keeps arriving.
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_STALE_MS + 300));
    expect(await queriesDuring(() => verify(secret))).toBe(0);
  });

  it("refuses a key revoked while notifications cannot arrive, within the heartbeat's window", async () => {
    const { key, secret } = await createApiKey(handle.db, await contextFor(handle.db, "admin@acme.test", "acme"), { name: "Revoked unheard" });
    expect(await verify(secret)).toMatchObject({ ok: true });
    expect(await queriesDuring(() => verify(secret))).toBe(0);

    connected = false;
    await revokeElsewhere(key.id);
    const cutAt = performance.now();
    await expect.poll(async () => (await verify(secret)).ok, { timeout: HEARTBEAT_STALE_MS + 1_500, interval: 50 }).toBe(false);
    expect(performance.now() - cutAt).toBeLessThan(HEARTBEAT_STALE_MS + 1_500);
    // Off: every verification reads the database, the refused key's and any other's.
    expect(await queriesDuring(() => verify(secret))).toBeGreaterThan(0);
    expect(await verify(secret)).toMatchObject({ ok: false, code: "key_revoked" });
  });

  it("forgets everything it held when the heartbeat returns, then caches again", async () => {
    const ctx = await contextFor(handle.db, "admin@acme.test", "acme");
    connected = true;
    const { key, secret } = await createApiKey(handle.db, ctx, { name: "Held across the cut" });
    const { secret: witness } = await createApiKey(handle.db, ctx, { name: "Witness" });
    await expect.poll(async () => queriesDuring(() => verify(secret)), { timeout: HEARTBEAT_STALE_MS * 3 }).toBe(0);

    // Cut; the key is revoked elsewhere; nothing asks for it until the connection is back.
    connected = false;
    await revokeElsewhere(key.id);
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_STALE_MS + 300));
    connected = true;
    // Wait until the cache is on again (another key is served from memory)...
    await expect.poll(async () => queriesDuring(() => verify(witness)), { timeout: HEARTBEAT_STALE_MS * 3 }).toBe(0);
    // ...and it no longer holds the entry from before the gap: the revocation shows.
    expect(await verify(secret)).toMatchObject({ ok: false, code: "key_revoked" });
  });
});
