import { and, asc, count, eq, gt, inArray, isNull } from "drizzle-orm";
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { apiKeys, auditEvents, memberships, users } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { createApiKey, revokeApiKey } from "@/lib/api-keys/core";
import { createMyToken } from "@/lib/api-keys/tokens";
import { verifyApiKey } from "@/lib/api-keys/verify";
import { loadSessionUser } from "@/lib/auth/context";
import { addUser, contextFor, seedFixtures, setWorkspace, userId, workspaceId, lastAuditEventId, snapshotOf } from "@/lib/testing/fixtures";
import { countUserLiveKeys, deleteUser } from "./users";

let seq = 0;
const uniqueName = (label: string) => `${label} ${++seq}`;

describe("deleting users", () => {
  let handle: OpenDatabase;
  let db: Db;
  let acmeId: string;
  let globexId: string;
  let globalId: string;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
    acmeId = await workspaceId(db, "acme");
    globexId = await workspaceId(db, "globex");
    globalId = await userId(db, "global@latchkey.test");
    await setWorkspace(db, "acme", { personalTokensAllowed: true });
  });
  afterAll(() => handle.close());

  const globalCtx = () => contextFor(db, "global@latchkey.test", "acme");

  it("is for Global Admins only", async () => {
    const target = await userId(db, "member@acme.test");
    const before = await snapshotOf(db, { users: true, memberships: true, apiKeys: true });
    for (const [email, slug] of [
      ["admin@acme.test", "acme"],
      ["manager@acme.test", "acme"],
      ["member@acme.test", "acme"],
      ["guest@acme.test", "acme"],
      ["admin@globex.test", "globex"],
    ] as const) {
      const ctx = await contextFor(db, email, slug);
      const denied = { name: "AppError", code: "forbidden", message: "Only Global Admins can delete users." };
      await expect(countUserLiveKeys(db, ctx, target)).rejects.toMatchObject(denied);
      await expect(deleteUser(db, ctx, target)).rejects.toMatchObject(denied);
    }
    expect(await snapshotOf(db, { users: true, memberships: true, apiKeys: true })).toBe(before);
  });

  it("counts, then revokes, exactly the user's live keys and tokens in every workspace", async () => {
    // Dev is a Manager at Acme and a Member at Globex.
    const dev = await addUser(db, {
      email: "dev@acme.test",
      name: "Dev Deleted",
      memberships: [
        ["acme", "manager"],
        ["globex", "member"],
      ],
    });
    const acmeAdmin = await contextFor(db, "admin@acme.test", "acme");
    const globexAdmin = await contextFor(db, "admin@globex.test", "globex");
    const adasKey = await createApiKey(db, acmeAdmin, { name: uniqueName("Ada's own key") });
    const disabled = await createApiKey(db, acmeAdmin, { name: uniqueName("Dev's disabled key"), ownerId: dev, enabled: false });
    const token = await createMyToken(db, await contextFor(db, "dev@acme.test", "acme"), { name: "Dev's laptop" });
    const owned = [
      await createApiKey(db, acmeAdmin, { name: uniqueName("Dev's Acme key"), ownerId: dev }),
      disabled,
      await createApiKey(db, globexAdmin, { name: uniqueName("Dev's Globex key"), ownerId: dev }),
      { key: token.token, secret: token.secret },
    ];
    const liveIds = owned.map((k) => k.key.id);
    // Already revoked: not counted, and its revocation is left as it was.
    const old = await createApiKey(db, acmeAdmin, { name: uniqueName("Dev's old key"), ownerId: dev });
    await revokeApiKey(db, acmeAdmin, old.key.id);
    const [oldBefore] = await db.select().from(apiKeys).where(eq(apiKeys.id, old.key.id));
    // A key Dev created for someone else is that person's, and stays.
    await db.update(memberships).set({ canManageApiKeys: true }).where(eq(memberships.userId, dev));
    const forMia = await createApiKey(db, await contextFor(db, "dev@acme.test", "acme"), {
      name: uniqueName("Made by Dev for Mia"),
      ownerId: await userId(db, "member@acme.test"),
    });
    const othersBefore = JSON.stringify(await db.select().from(apiKeys).where(isNull(apiKeys.ownerId)).orderBy(asc(apiKeys.id)));

    const ctx = await globalCtx();
    expect(await countUserLiveKeys(db, ctx, dev)).toBe(4);
    for (const { secret } of owned)
      expect((await verifyApiKey(db, secret, { via: "x-apikey" })).ok ? "accepted" : "refused").toBe(
        secret === disabled.secret ? "refused" : "accepted",
      );

    const mark = await lastAuditEventId(db);
    expect(await deleteUser(db, ctx, dev)).toEqual({ name: "Dev Deleted", revokedKeys: 4 });

    // The keys: exactly Dev's live ones revoked, by the Global Admin.
    const after = await db.select().from(apiKeys).where(inArray(apiKeys.id, liveIds));
    expect(after).toHaveLength(4);
    for (const k of after) expect(k).toMatchObject({ revokedAt: expect.any(Date), revokedById: globalId });
    expect(await db.select().from(apiKeys).where(eq(apiKeys.id, old.key.id))).toEqual([oldBefore]);
    expect((await db.select().from(apiKeys).where(eq(apiKeys.id, forMia.key.id)))[0].revokedAt).toBeNull();
    expect(JSON.stringify(await db.select().from(apiKeys).where(isNull(apiKeys.ownerId)).orderBy(asc(apiKeys.id)))).toBe(othersBefore);
    expect(await countUserLiveKeys(db, ctx, dev)).toBe(0);

    // Every secret is refused as revoked.
    for (const { secret } of owned)
      expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: false, code: "key_revoked", status: 401 });
    expect((await verifyApiKey(db, forMia.secret, { via: "x-apikey" })).ok).toBe(true);
    expect((await verifyApiKey(db, adasKey.secret, { via: "x-apikey" })).ok).toBe(true);

    // The user: no memberships, soft-deleted, and signed out.
    expect(await db.select().from(memberships).where(eq(memberships.userId, dev))).toEqual([]);
    const [row] = await db.select().from(users).where(eq(users.id, dev));
    expect(row.deletedAt).toBeInstanceOf(Date);
    expect(row).toMatchObject({ email: "dev@acme.test", name: "Dev Deleted" });
    expect(await loadSessionUser(db, dev)).toBeNull();
    await expect(contextFor(db, "dev@acme.test", "acme")).rejects.toThrow(/no live user/);

    // The audit record: one api_key.revoked per key in the key's workspace, one user.deleted per workspace.
    const events = await db.select().from(auditEvents).where(gt(auditEvents.id, mark)).orderBy(asc(auditEvents.id));
    const revokedEvents = events.filter((e) => e.action === "api_key.revoked");
    expect(revokedEvents.map((e) => e.apiKeyId).sort()).toEqual([...liveIds].sort());
    for (const e of revokedEvents) {
      const key = after.find((k) => k.id === e.apiKeyId)!;
      expect(e).toMatchObject({
        workspaceId: key.workspaceId,
        actorUserId: globalId,
        targetName: key.name,
        metadata: { via: "user_deleted", userId: dev },
        // The reason: their owner left.
        changes: { revokedAt: { from: null, to: key.revokedAt!.toISOString() }, revokedReason: { from: null, to: "owner_left" } },
        ip: "203.0.113.7",
        userAgent: "vitest",
      });
    }
    const deletedEvents = events.filter((e) => e.action === "user.deleted");
    expect(deletedEvents.map((e) => [e.workspaceId, e.metadata]).sort()).toEqual(
      [
        [acmeId, { userId: dev, email: "dev@acme.test", revokedKeys: 3 }],
        [globexId, { userId: dev, email: "dev@acme.test", revokedKeys: 1 }],
      ].sort(),
    );
    for (const e of deletedEvents) expect(e).toMatchObject({ actorUserId: globalId, targetName: "Dev Deleted" });
    expect(events).toHaveLength(revokedEvents.length + deletedEvents.length);

    // Deleting them again: not found, nothing written.
    const before = await snapshotOf(db, { users: true, memberships: true, apiKeys: true });
    await expect(deleteUser(db, ctx, dev)).rejects.toMatchObject({ code: "not_found" });
    expect(await snapshotOf(db, { users: true, memberships: true, apiKeys: true })).toBe(before);
  });

  it("deletes a user with no keys and no memberships, writing no workspace event", async () => {
    const loner = await addUser(db, { email: "loner@latchkey.test", name: "Lou Loner" });
    const mark = await lastAuditEventId(db);
    expect(await countUserLiveKeys(db, await globalCtx(), loner)).toBe(0);
    expect(await deleteUser(db, await globalCtx(), loner)).toEqual({ name: "Lou Loner", revokedKeys: 0 });
    expect(await loadSessionUser(db, loner)).toBeNull();
    expect(await lastAuditEventId(db)).toBe(mark);
  });

  it("says not found for an unknown or malformed id", async () => {
    const ctx = await globalCtx();
    const before = await snapshotOf(db, { users: true, memberships: true, apiKeys: true });
    await expect(countUserLiveKeys(db, ctx, "not-a-uuid")).rejects.toMatchObject({ code: "not_found" });
    expect(await countUserLiveKeys(db, ctx, "00000000-0000-4000-8000-000000000000")).toBe(0);
    for (const id of ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
      await expect(deleteUser(db, ctx, id)).rejects.toMatchObject({ code: "not_found" });
    expect(await snapshotOf(db, { users: true, memberships: true, apiKeys: true })).toBe(before);
  });

  it("refuses to delete yourself", async () => {
    const before = await snapshotOf(db, { users: true, memberships: true, apiKeys: true });
    await expect(deleteUser(db, await globalCtx(), globalId)).rejects.toMatchObject({
      code: "validation",
      fieldErrors: { userId: ["You cannot delete yourself."] },
    });
    expect(await snapshotOf(db, { users: true, memberships: true, apiKeys: true })).toBe(before);
    expect(await loadSessionUser(db, globalId)).not.toBeNull();
  });

  it("deletes another Global Admin, but never the last one", async () => {
    const second = await addUser(db, { email: "second-global@latchkey.test", name: "Gil Second", isGlobalAdmin: true });
    const third = await addUser(db, { email: "third-global@latchkey.test", name: "Tia Third", isGlobalAdmin: true });
    // While another Global Admin remains, one may be deleted.
    expect(await deleteUser(db, await globalCtx(), third)).toMatchObject({ name: "Tia Third" });

    // Gil signs in; then, before Gil's next request, Gil is no longer a Global Admin.
    // Grace is now the only one: deleting her must fail, whatever Gil's stale session says.
    const gil = await contextFor(db, "second-global@latchkey.test", "acme");
    expect(gil.isGlobalAdmin).toBe(true);
    await db.update(users).set({ isGlobalAdmin: false }).where(eq(users.id, second));
    const before = await snapshotOf(db, { users: true, memberships: true, apiKeys: true });
    await expect(deleteUser(db, gil, globalId)).rejects.toMatchObject({
      code: "validation",
      message: "Latchkey needs at least one Global Admin.",
      fieldErrors: { userId: ["This is the last Global Admin."] },
    });
    expect(await snapshotOf(db, { users: true, memberships: true, apiKeys: true })).toBe(before);
    const [{ live }] = await db
      .select({ live: count() })
      .from(users)
      .where(and(eq(users.isGlobalAdmin, true), isNull(users.deletedAt)));
    expect(live).toBe(1);
  });
});
