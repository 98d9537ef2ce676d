import { and, eq, isNotNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbOrTx, OpenDatabase } from "@/db";
import { apiKeyPreviousSecrets, apiKeyQuotaUsage, apiKeys, memberships, users, workspaces, type Role } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { addUser, contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { createApiKey, rotateApiKey, updateApiKey } from "./core";
import { hashSecret } from "./format";
import { readKeyForTests, type Found } from "./verify";
import { selectsDuring } from "@/lib/testing/queries";

// Verification's cold path reads the key with fixed SQL mapped by hand (no query builder per
// request). Whatever the schema or the driver does, that mapping must give exactly what the
// query builder gives: every field, with its type (dates as dates), for every kind of key.

/** The lookup as the query builder makes it from the schema: what the hand-mapped one must equal. */
async function readKeyWithQueryBuilder(db: DbOrTx, hash: string): Promise<Found | null> {
  // A previous secret (a rotation's) names its key; its row comes with it.
  const [previous] = await db
    .select({
      id: apiKeyPreviousSecrets.id,
      apiKeyId: apiKeyPreviousSecrets.apiKeyId,
      mode: apiKeyPreviousSecrets.mode,
      rotatedAt: apiKeyPreviousSecrets.rotatedAt,
      retireAt: apiKeyPreviousSecrets.retireAt,
      quietMinutes: apiKeyPreviousSecrets.quietMinutes,
      lastUsedAt: apiKeyPreviousSecrets.lastUsedAt,
      retiredAt: apiKeyPreviousSecrets.retiredAt,
      retiredReason: apiKeyPreviousSecrets.retiredReason,
    })
    .from(apiKeyPreviousSecrets)
    .where(eq(apiKeyPreviousSecrets.secretHash, hash));
  const [row] = await db
    .select({
      key: {
        id: apiKeys.id,
        name: apiKeys.name,
        prefix: apiKeys.prefix,
        kind: apiKeys.kind,
        ownerId: apiKeys.ownerId,
        createdById: apiKeys.createdById,
        permissionCeiling: apiKeys.permissionCeiling,
        scopes: apiKeys.scopes,
        expiresAt: apiKeys.expiresAt,
        enabled: apiKeys.enabled,
        bearerAllowed: apiKeys.bearerAllowed,
        logRequests: apiKeys.logRequests,
        logResponses: apiKeys.logResponses,
        revokedAt: apiKeys.revokedAt,
        ipAllow: apiKeys.ipAllow,
        ipDeny: apiKeys.ipDeny,
        notBefore: apiKeys.notBefore,
        rateLimit: apiKeys.rateLimit,
        rateLimitWindow: apiKeys.rateLimitWindow,
        quotaLimit: apiKeys.quotaLimit,
        quotaPeriod: apiKeys.quotaPeriod,
      },
      workspace: workspaces,
      quotaPeriodKey: apiKeyQuotaUsage.periodKey,
      quotaUsed: apiKeyQuotaUsage.used,
      ownerEmail: users.email,
      ownerName: users.name,
      ownerIsGlobalAdmin: users.isGlobalAdmin,
      ownerDeletedAt: users.deletedAt,
      ownerDisabledAt: users.disabledAt,
      role: memberships.role,
      canManageApiKeys: memberships.canManageApiKeys,
    })
    .from(apiKeys)
    .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
    .leftJoin(users, eq(users.id, apiKeys.ownerId))
    .leftJoin(memberships, and(eq(memberships.userId, apiKeys.ownerId), eq(memberships.workspaceId, apiKeys.workspaceId)))
    .leftJoin(apiKeyQuotaUsage, and(eq(apiKeyQuotaUsage.apiKeyId, apiKeys.id), isNotNull(apiKeys.quotaLimit)))
    .where(previous ? eq(apiKeys.id, previous.apiKeyId) : eq(apiKeys.secretHash, hash))
    .limit(1);
  if (!row) return null;
  const { apiKeyId: _key, ...previousSecret } = previous ?? { apiKeyId: null };
  const isService = row.key.ownerId === null;
  return {
    key: row.key,
    workspace: row.workspace,
    owner:
      isService || row.ownerEmail === null
        ? null
        : { id: row.key.ownerId!, email: row.ownerEmail, name: row.ownerName!, isGlobalAdmin: row.ownerIsGlobalAdmin! },
    role: isService ? "admin" : ((row.role as Role | null) ?? null),
    canManageApiKeys: isService ? false : (row.canManageApiKeys ?? false),
    previous: previous ? (previousSecret as NonNullable<Found["previous"]>) : null,
    quotaUsage: row.quotaPeriodKey === null || row.quotaUsed === null ? null : { periodKey: row.quotaPeriodKey, used: row.quotaUsed },
    ownerGone: !isService && (row.ownerDeletedAt !== null || row.ownerEmail === null || (row.role === null && !row.ownerIsGlobalAdmin)),
    ownerDisabled: !isService && row.ownerDisabledAt != null,
  };
}

let handle: OpenDatabase;

beforeAll(async () => {
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
});
afterAll(() => handle.close());

describe("the hand-mapped key lookup", () => {
  it("reads what the query builder reads: service key, owned key with expiry and ceiling, owner removed or disabled, revoked", async () => {
    const db = handle.db;
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const owner = await addUser(db, { email: "lookup-owner@acme.test", name: "Lookup Owner", memberships: [["acme", "manager"]] });
    const secrets: string[] = [];
    secrets.push((await createApiKey(db, ctx, { name: "Lookup service", ownerId: null })).secret);
    const owned = await createApiKey(db, ctx, {
      name: "Lookup owned",
      ownerId: owner,
      scopes: ["me:read", "verify"],
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      description: "with everything",
    });
    secrets.push(owned.secret);
    await updateApiKey(db, ctx, owned.key.id, {
      logRequests: true,
      bearerAllowed: false,
      ipAllow: ["10.0.0.0/8", "2001:db8::/32"],
      ipDeny: ["10.1.0.0/16"],
      notBefore: new Date(Date.now() - 60_000).toISOString(),
    });
    const revoked = await createApiKey(db, ctx, { name: "Lookup revoked" });
    await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, revoked.key.id));
    secrets.push(revoked.secret);
    const removedOwner = await addUser(db, { email: "lookup-gone@acme.test", name: "Gone", memberships: [["acme", "member"]] });
    const orphan = await createApiKey(db, ctx, { name: "Lookup orphan", ownerId: removedOwner });
    await db.delete(memberships).where(eq(memberships.userId, removedOwner));
    await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, removedOwner));
    secrets.push(orphan.secret);
    // Rotated: the old secret (in its overlap) and the new one, and a rotation's old secret in quiet mode, retired.
    const rolled = await createApiKey(db, ctx, { name: "Lookup rotated" });
    const rotation = await rotateApiKey(db, ctx, rolled.key.id, { overlap: "24h" });
    const quiet = await createApiKey(db, ctx, { name: "Lookup quiet" });
    await rotateApiKey(db, ctx, quiet.key.id, { mode: "quiet", quietMinutes: 5, deadlineDays: 2 });
    await db
      .update(apiKeyPreviousSecrets)
      .set({ lastUsedAt: new Date(), requests: 3, retiredAt: new Date(), retiredReason: "quiet" })
      .where(eq(apiKeyPreviousSecrets.apiKeyId, quiet.key.id));
    secrets.push(rolled.secret, rotation.secret, quiet.secret);
    // Limited: a rate limit and a quota with use recorded; a quota not used yet; a key whose quota was removed (its old use is not read).
    const limited = await createApiKey(db, ctx, {
      name: "Lookup limited",
      rateLimit: { limit: 10, window: "minute" },
      quota: { limit: 500, period: "day" },
    });
    await db.insert(apiKeyQuotaUsage).values({ apiKeyId: limited.key.id, periodKey: "d2026-12-02", used: 42 });
    const unused = await createApiKey(db, ctx, { name: "Lookup quota unused", quota: { limit: 5, period: "total" } });
    const lifted = await createApiKey(db, ctx, { name: "Lookup quota lifted", quota: { limit: 5, period: "month" } });
    await db.insert(apiKeyQuotaUsage).values({ apiKeyId: lifted.key.id, periodKey: "m2026-12", used: 3 });
    await db.update(apiKeys).set({ quotaLimit: null, quotaPeriod: null }).where(eq(apiKeys.id, lifted.key.id));
    secrets.push(limited.secret, unused.secret, lifted.secret);

    for (const secret of secrets) {
      const hash = hashSecret(secret);
      const expected = await readKeyWithQueryBuilder(db, hash);
      expect(expected).not.toBeNull();
      expect(await readKeyForTests(db, hash)).toStrictEqual(expected);
    }
    expect(await readKeyForTests(db, hashSecret("lk_unknown"))).toBeNull();
  });
});

describe("cache misses that arrive together", () => {
  it("are read by one query, each answered as if alone: known, unknown, the same key twice, a revoked one", async () => {
    const db = handle.db;
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createApiKey(db, ctx, { name: `Batched ${i}` }));
    await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, made[4].key.id));
    const hashes = [...made.map((m) => hashSecret(m.secret)), hashSecret("lk_unknown_one"), hashSecret(made[0].secret), "not-a-hash"];
    const alone: (Found | null)[] = [];
    for (const hash of hashes) alone.push(await readKeyForTests(db, hash));
    let together: (Found | null)[] = [];
    const queries = await selectsDuring(db, async () => {
      together = await Promise.all(hashes.map((hash) => readKeyForTests(db, hash)));
    });
    expect(queries).toBe(1);
    expect(together).toStrictEqual(alone);
    expect(together.map((f) => f?.key.name ?? null)).toEqual([
      "Batched 0",
      "Batched 1",
      "Batched 2",
      "Batched 3",
      "Batched 4",
      null,
      "Batched 0",
      null,
    ]);
    expect(together[4]?.key.revokedAt).toBeInstanceOf(Date);
  });

  it("in batches of at most 200 hashes, every one answered", async () => {
    const db = handle.db;
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const known = await createApiKey(db, ctx, { name: "Batched among many" });
    const hashes = Array.from({ length: 449 }, (_, i) => hashSecret(`lk_nobody_${i}`));
    hashes.splice(300, 0, hashSecret(known.secret));
    let found: (Found | null)[] = [];
    const queries = await selectsDuring(db, async () => {
      found = await Promise.all(hashes.map((hash) => readKeyForTests(db, hash)));
    });
    expect(queries).toBe(3);
    expect(found.filter((f) => f !== null).map((f) => f!.key.id)).toEqual([known.key.id]);
    expect(found[300]?.key.id).toBe(known.key.id);
  });
});
