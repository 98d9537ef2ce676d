import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { apiKeys, memberships, users } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import type { AccountActor } from "@/lib/account/audit";
import { createApiKey } from "@/lib/api-keys/core";
import { loadSessionUserForClaims } from "@/lib/auth/context";
import { verifyPassword } from "@/lib/auth/password";
import { listAuditEvents } from "@/lib/audit/list";
import { addUser, contextFor, seedFixtures, userId, workspaceId, auditEventsAfter, lastAuditEventId, snapshotOf } from "@/lib/testing/fixtures";
import {
  countLiveKeysOf,
  createUser,
  deleteUserAsAdmin,
  disableUser,
  enableUser,
  generateOneTimePassword,
  listUsers,
  listWorkspaceChoices,
} from "./users";

describe("Admin > Users", () => {
  let handle: OpenDatabase;
  let db: Db;
  let admin: AccountActor;
  let seq = 0;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
    admin = { userId: await userId(db, "global@latchkey.test"), isGlobalAdmin: true, ip: "203.0.113.5", userAgent: "vitest" };
  });
  afterAll(() => handle.close());

  const someone = async (opts: { isGlobalAdmin?: boolean; memberships?: [string, "admin" | "member"][] } = {}) =>
    addUser(db, { email: `user${++seq}@admin-users.test`, name: `User ${seq}`, ...opts });

  it("refuses everyone but a Global Admin, for every core, and changes nothing", async () => {
    const target = await someone({ memberships: [["acme", "member"]] });
    await db.update(users).set({ disabledAt: null }).where(eq(users.id, target));
    const before = await snapshotOf(db, { users: true, memberships: true, apiKeys: true });
    const impostors: AccountActor[] = [];
    for (const email of ["admin@acme.test", "manager@acme.test", "member@acme.test", "guest@acme.test", "admin@globex.test"])
      impostors.push({ userId: await userId(db, email), isGlobalAdmin: false });
    // Even a Global Admin's own id is refused when the caller does not carry the role.
    impostors.push({ userId: admin.userId, isGlobalAdmin: false });
    const denied = { code: "forbidden", message: "Only Global Admins can manage users." };
    for (const actor of impostors) {
      await expect(listUsers(db, actor)).rejects.toMatchObject(denied);
      await expect(listWorkspaceChoices(db, actor)).rejects.toMatchObject(denied);
      await expect(countLiveKeysOf(db, actor, target)).rejects.toMatchObject(denied);
      await expect(createUser(db, actor, { name: "Mallory", email: "mallory@evil.test", isGlobalAdmin: true })).rejects.toMatchObject(denied);
      await expect(disableUser(db, actor, target)).rejects.toMatchObject(denied);
      await expect(enableUser(db, actor, target)).rejects.toMatchObject(denied);
      await expect(deleteUserAsAdmin(db, actor, target)).rejects.toMatchObject(denied);
    }
    expect(await snapshotOf(db, { users: true, memberships: true, apiKeys: true })).toBe(before);
  });

  it("lists users page by page with workspaces, live key counts and state; searches and filters on the server", async () => {
    const acmeAdmin = await contextFor(db, "admin@acme.test", "acme");
    const carol = await addUser(db, {
      email: "carol@listing.test",
      name: "Carol Listing",
      memberships: [
        ["acme", "member"],
        ["globex", "admin"],
      ],
    });
    await createApiKey(db, acmeAdmin, { name: "Carol's key 1", ownerId: carol });
    const revoked = await createApiKey(db, acmeAdmin, { name: "Carol's key 2", ownerId: carol });
    await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, revoked.key.id));

    const page = await listUsers(db, admin, { q: "listing" });
    expect(page.total).toBe(1);
    expect(page.rows[0]).toMatchObject({
      email: "carol@listing.test",
      isGlobalAdmin: false,
      state: "active",
      liveKeys: 1,
      workspaces: [
        { slug: "acme", name: "Acme Inc.", role: "member" },
        { slug: "globex", name: "Globex Corp.", role: "admin" },
      ],
    });
    expect(JSON.stringify(page)).not.toContain("passwordHash");

    const all = await listUsers(db, admin, { pageSize: "10", sort: "email", dir: "asc" });
    const second = await listUsers(db, admin, { pageSize: "10", sort: "email", dir: "asc", page: "2" });
    expect(all.rows).toHaveLength(Math.min(10, all.total));
    expect(all.rows.map((r) => r.email)).toEqual([...all.rows.map((r) => r.email)].sort());
    expect(second.rows.some((r) => all.rows.some((a) => a.id === r.id))).toBe(false);

    const globexOnly = await listUsers(db, admin, { workspace: "globex", pageSize: "100" });
    expect(globexOnly.rows.every((r) => r.workspaces.some((w) => w.slug === "globex"))).toBe(true);

    // Wildcards in the search match literally.
    expect((await listUsers(db, admin, { q: "%" })).total).toBe(0);
    await expect(listUsers(db, admin, { state: "everything" })).rejects.toMatchObject({
      code: "validation",
      fieldErrors: { state: [expect.any(String)] },
    });
  });

  describe("create", () => {
    it("creates a user with a one-time password (hashed, never audited) they must change, in a workspace with a role", async () => {
      const since = await lastAuditEventId(db);
      const created = await createUser(db, admin, {
        name: " Grace Hopper ",
        email: " Grace@Example.TEST ",
        isGlobalAdmin: false,
        workspace: "globex",
        role: "manager",
      });
      expect(created.user).toMatchObject({ name: "Grace Hopper", email: "grace@example.test", isGlobalAdmin: false });
      expect(created.workspace).toEqual({ slug: "globex", name: "Globex Corp.", role: "manager" });
      expect(created.oneTimePassword).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);

      const [row] = await db.select().from(users).where(eq(users.id, created.user.id));
      expect(row.mustChangePassword).toBe(true);
      expect(row.passwordHash).not.toContain(created.oneTimePassword);
      expect(await verifyPassword(created.oneTimePassword, row.passwordHash)).toBe(true);
      const [m] = await db.select().from(memberships).where(eq(memberships.userId, created.user.id));
      expect(m).toMatchObject({ workspaceId: await workspaceId(db, "globex"), role: "manager" });

      const events = await auditEventsAfter(db, since);
      expect(events.map((e) => [e.action, e.workspaceId])).toEqual([
        ["user.created", null],
        ["member.added", await workspaceId(db, "globex")],
      ]);
      expect(events[0]).toMatchObject({ actorUserId: admin.userId, targetName: "Grace Hopper", ip: "203.0.113.5" });
      expect(JSON.stringify(events)).not.toContain(created.oneTimePassword);
      expect(JSON.stringify(events)).not.toContain(row.passwordHash);

      // The global audit log lists the event that belongs to no workspace.
      const log = await listAuditEvents(db, { all: true, principal: { isGlobalAdmin: true } }, { action: "user.created" });
      expect(log.rows.some((e) => e.targetName === "Grace Hopper" && e.workspaceId === null)).toBe(true);
    });

    it("gives every user a different one-time password", () => {
      const seen = new Set(Array.from({ length: 200 }, generateOneTimePassword));
      expect(seen.size).toBe(200);
    });

    it("refuses bad input, a taken email (also a deleted user's) and an unknown workspace, changing nothing", async () => {
      const gone = await someone();
      const [goneRow] = await db.select({ email: users.email }).from(users).where(eq(users.id, gone));
      await db.update(users).set({ deletedAt: new Date() }).where(eq(users.id, gone));
      const before = await snapshotOf(db, { users: true, memberships: true, apiKeys: true });
      const cases: [Record<string, unknown>, string][] = [
        [{ name: "", email: "a@b.test" }, "name"],
        [{ name: "A", email: "not-an-email" }, "email"],
        [{ name: "A", email: "" }, "email"],
        [{ name: "A", email: "ADMIN@acme.test" }, "email"],
        [{ name: "A", email: goneRow.email.toUpperCase() }, "email"],
        [{ name: "A", email: "new1@b.test", workspace: "no-such-workspace" }, "workspace"],
        [{ name: "A", email: "new2@b.test", workspace: "acme", role: "owner" }, "role"],
        [{ name: "A", email: "new3@b.test", role: "admin" }, "workspace"],
        [{ name: "A", email: "new4@b.test", isGlobalAdmin: "yes" }, "isGlobalAdmin"],
      ];
      for (const [input, field] of cases) {
        const err = await createUser(db, admin, input).catch((e) => e);
        expect(err, JSON.stringify(input)).toMatchObject({ code: "validation" });
        expect(Object.keys(err.fieldErrors), JSON.stringify(input)).toContain(field);
      }
      expect(await snapshotOf(db, { users: true, memberships: true, apiKeys: true })).toBe(before);
    });
  });

  describe("disable and re-enable", () => {
    it("disables a user: their sessions end, they count as signed out; re-enabling lets them sign in again", async () => {
      const target = await someone({ memberships: [["acme", "member"]] });
      const session = { userId: target, signedInAt: Date.now() - 1000 };
      expect(await loadSessionUserForClaims(db, session)).not.toBeNull();
      const since = await lastAuditEventId(db);
      await disableUser(db, admin, target);
      expect(await loadSessionUserForClaims(db, session)).toBeNull();
      expect(await loadSessionUserForClaims(db, { userId: target, signedInAt: Date.now() + 1000 })).toBeNull();
      expect((await listUsers(db, admin, { q: `user${seq}@`, state: "disabled" })).rows.map((r) => r.id)).toEqual([target]);

      await expect(disableUser(db, admin, target)).rejects.toMatchObject({ code: "validation" });
      await enableUser(db, admin, target);
      await expect(enableUser(db, admin, target)).rejects.toMatchObject({ code: "validation" });
      // The old session stays ended; a new sign-in counts.
      expect(await loadSessionUserForClaims(db, session)).toBeNull();
      expect(await loadSessionUserForClaims(db, { userId: target, signedInAt: Date.now() + 1000 })).not.toBeNull();

      const events = await auditEventsAfter(db, since);
      expect(events.map((e) => [e.action, e.workspaceId])).toEqual([
        ["user.disabled", null],
        ["user.enabled", null],
      ]);
    });

    it("refuses to disable or delete yourself, or the last active Global Admin, and changes nothing", async () => {
      const before = await snapshotOf(db, { users: true, memberships: true, apiKeys: true });
      await expect(disableUser(db, admin, admin.userId)).rejects.toMatchObject({ code: "validation", message: "You cannot disable yourself." });
      await expect(deleteUserAsAdmin(db, admin, admin.userId)).rejects.toMatchObject({ code: "validation", message: "You cannot delete yourself." });
      expect(await snapshotOf(db, { users: true, memberships: true, apiKeys: true })).toBe(before);

      // A second Global Admin may disable the first, but then not the other way round while the first is disabled.
      const second = await someone({ isGlobalAdmin: true });
      const secondActor: AccountActor = { userId: second, isGlobalAdmin: true };
      await disableUser(db, secondActor, admin.userId);
      const mid = await snapshotOf(db, { users: true, memberships: true, apiKeys: true });
      const third: AccountActor = { userId: await someone({ isGlobalAdmin: true }), isGlobalAdmin: true };
      await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, third.userId));
      const beforeLast = await snapshotOf(db, { users: true, memberships: true, apiKeys: true });
      // `third` is disabled, so `second` is the last active Global Admin.
      await expect(disableUser(db, third, second)).rejects.toMatchObject({ message: "Latchkey needs at least one active Global Admin." });
      await expect(deleteUserAsAdmin(db, third, second)).rejects.toMatchObject({ message: "Latchkey needs at least one active Global Admin." });
      expect(await snapshotOf(db, { users: true, memberships: true, apiKeys: true })).toBe(beforeLast);
      expect(mid).not.toBe(before);
      await enableUser(db, secondActor, admin.userId);
      await db.update(users).set({ deletedAt: new Date() }).where(eq(users.id, third.userId));
    });

    it("answers not found for unknown, deleted or malformed ids", async () => {
      const gone = await someone();
      await db.update(users).set({ deletedAt: new Date() }).where(eq(users.id, gone));
      const before = await snapshotOf(db, { users: true, memberships: true, apiKeys: true });
      for (const id of [gone, "00000000-0000-4000-8000-000000000000", "x' or 1=1", 7, null]) {
        await expect(disableUser(db, admin, id)).rejects.toMatchObject({ code: "not_found" });
        await expect(enableUser(db, admin, id)).rejects.toMatchObject({ code: "not_found" });
        await expect(deleteUserAsAdmin(db, admin, id)).rejects.toMatchObject({ code: "not_found" });
      }
      expect(await snapshotOf(db, { users: true, memberships: true, apiKeys: true })).toBe(before);
    });
  });

  describe("delete", () => {
    it("deletes through the workspace core (keys revoked, memberships gone) and records it in no workspace too", async () => {
      const acmeAdmin = await contextFor(db, "admin@acme.test", "acme");
      const target = await someone({ memberships: [["acme", "member"]] });
      await createApiKey(db, acmeAdmin, { name: `Doomed ${seq}`, ownerId: target });
      expect(await countLiveKeysOf(db, admin, target)).toBe(1);
      const since = await lastAuditEventId(db);
      expect(await deleteUserAsAdmin(db, admin, target)).toMatchObject({ revokedKeys: 1 });
      expect(await countLiveKeysOf(db, admin, target)).toBe(0);
      expect(await db.select().from(memberships).where(eq(memberships.userId, target))).toEqual([]);
      expect(await loadSessionUserForClaims(db, { userId: target, signedInAt: Date.now() })).toBeNull();
      const actions = (await auditEventsAfter(db, since)).map((e) => [e.action, e.workspaceId === null ? null : "workspace"]);
      expect(actions).toEqual(
        expect.arrayContaining([
          ["user.deleted", "workspace"],
          ["api_key.revoked", "workspace"],
          ["user.deleted", null],
        ]),
      );
      // Someone who belonged nowhere still leaves a record.
      const loner = await someone();
      const since2 = await lastAuditEventId(db);
      await deleteUserAsAdmin(db, admin, loner);
      expect((await auditEventsAfter(db, since2)).map((e) => [e.action, e.workspaceId])).toEqual([["user.deleted", null]]);
    });
  });
});
