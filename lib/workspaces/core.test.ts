import { and, count, eq } from "drizzle-orm";
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { apiKeys, memberships, users, workspaces } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { createApiKey, revokeApiKey } from "@/lib/api-keys/core";
import { createMyToken } from "@/lib/api-keys/tokens";
import { verifyApiKey } from "@/lib/api-keys/verify";
import { permissionsOf } from "@/lib/auth/permissions";
import {
  addUser,
  contextFor,
  seedFixtures,
  setWorkspace,
  userId,
  workspaceId,
  auditEventsAfter,
  lastAuditEventId,
  snapshotOf,
} from "@/lib/testing/fixtures";
import { addMember, changeMemberRole, listMembers, removeMember, setManageApiKeysGrant, updateWorkspaceSettings } from "./core";

const DAY_MS = 86_400_000;

let seq = 0;
const uniqueName = (label: string) => `${label} ${++seq}`;

async function membership(db: Db, email: string, slug: string) {
  const [m] = await db
    .select()
    .from(memberships)
    .where(and(eq(memberships.userId, await userId(db, email)), eq(memberships.workspaceId, await workspaceId(db, slug))));
  return m;
}

describe("updateWorkspaceSettings", () => {
  let handle: OpenDatabase;
  let db: Db;
  let acmeId: string;
  let adminId: string;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
    acmeId = await workspaceId(db, "acme");
    adminId = await userId(db, "admin@acme.test");
  });
  afterAll(() => handle.close());

  const adminCtx = () => contextFor(db, "admin@acme.test", "acme");
  const acmeRow = async () => (await db.select().from(workspaces).where(eq(workspaces.id, acmeId)))[0];

  it("turns API keys off and on, auditing before and after, effective on the next verification", async () => {
    const { secret } = await createApiKey(db, await adminCtx(), { name: uniqueName("Toggle") });
    expect((await verifyApiKey(db, secret, { via: "x-apikey" })).ok).toBe(true);

    const mark = await lastAuditEventId(db);
    const off = await updateWorkspaceSettings(db, await adminCtx(), { apiKeysEnabled: false });
    expect(off).toMatchObject({ id: acmeId, apiKeysEnabled: false, personalTokensAllowed: false, maxKeyLifetimeDays: 730 });
    expect((await acmeRow()).apiKeysEnabled).toBe(false);
    const events = await auditEventsAfter(db, mark);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: "workspace.settings_updated",
      workspaceId: acmeId,
      actorUserId: adminId,
      targetName: "Acme Inc.",
      changes: { apiKeysEnabled: { from: true, to: false } },
      ip: "203.0.113.7",
      userAgent: "vitest",
    });
    expect(Object.keys(events[0].changes!)).toEqual(["apiKeysEnabled"]);
    expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: false, code: "api_keys_disabled" });

    await updateWorkspaceSettings(db, await adminCtx(), { apiKeysEnabled: true });
    expect((await auditEventsAfter(db, mark)).map((e) => e.changes)).toEqual([
      { apiKeysEnabled: { from: true, to: false } },
      { apiKeysEnabled: { from: false, to: true } },
    ]);
    expect((await verifyApiKey(db, secret, { via: "x-apikey" })).ok).toBe(true);
  });

  it("changes several settings in one event that lists only what changed", async () => {
    const mark = await lastAuditEventId(db);
    const updated = await updateWorkspaceSettings(db, await adminCtx(), {
      apiKeysEnabled: true,
      personalTokensAllowed: true,
      maxKeyLifetimeDays: 90,
    });
    expect(updated).toMatchObject({ apiKeysEnabled: true, personalTokensAllowed: true, maxKeyLifetimeDays: 90 });
    const events = await auditEventsAfter(db, mark);
    expect(events).toHaveLength(1);
    expect(events[0].changes).toEqual({ personalTokensAllowed: { from: false, to: true }, maxKeyLifetimeDays: { from: 730, to: 90 } });
    await updateWorkspaceSettings(db, await adminCtx(), { personalTokensAllowed: false, maxKeyLifetimeDays: 730 });
  });

  it.each([1, 3650, null])("accepts a maximum lifetime of %s", async (days) => {
    const mark = await lastAuditEventId(db);
    await updateWorkspaceSettings(db, await adminCtx(), { maxKeyLifetimeDays: days });
    expect((await acmeRow()).maxKeyLifetimeDays).toBe(days);
    const [event] = await auditEventsAfter(db, mark);
    expect(event.changes).toEqual({ maxKeyLifetimeDays: { from: 730, to: days } });
    await updateWorkspaceSettings(db, await adminCtx(), { maxKeyLifetimeDays: 730 });
  });

  const bad: [string, Record<string, unknown>, string, string | RegExp][] = [
    ["zero days", { maxKeyLifetimeDays: 0 }, "maxKeyLifetimeDays", "Maximum key lifetime must be at least 1 day."],
    ["a negative lifetime", { maxKeyLifetimeDays: -30 }, "maxKeyLifetimeDays", "Maximum key lifetime must be at least 1 day."],
    ["3651 days", { maxKeyLifetimeDays: 3651 }, "maxKeyLifetimeDays", "Maximum key lifetime can be at most 3650 days (10 years)."],
    ["a fraction of a day", { maxKeyLifetimeDays: 1.5 }, "maxKeyLifetimeDays", "Maximum key lifetime must be a whole number of days."],
    ["a string", { maxKeyLifetimeDays: "30" }, "maxKeyLifetimeDays", "Maximum key lifetime must be a number of days."],
    ["a toggle that is not a boolean", { apiKeysEnabled: "yes" }, "apiKeysEnabled", "API key authentication must be on or off."],
    ["a good toggle beside a bad lifetime", { apiKeysEnabled: false, maxKeyLifetimeDays: 99999 }, "maxKeyLifetimeDays", /at most 3650 days/],
  ];

  it.each(bad)("refuses %s with a message on the field and writes nothing", async (_label, input, field, message) => {
    const before = await snapshotOf(db, { workspaces: true, memberships: true });
    const err = await updateWorkspaceSettings(db, await adminCtx(), input).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "AppError", code: "validation" });
    expect((err as { fieldErrors: Record<string, string[]> }).fieldErrors).toEqual({
      [field]: [typeof message === "string" ? message : expect.stringMatching(message)],
    });
    expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(before);
  });

  it("refuses a field it does not know and writes nothing", async () => {
    const before = await snapshotOf(db, { workspaces: true, memberships: true });
    await expect(updateWorkspaceSettings(db, await adminCtx(), { name: "Evil Inc." })).rejects.toMatchObject({ code: "validation" });
    expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(before);
    expect((await acmeRow()).name).toBe("Acme Inc.");
  });

  it("writes no event when nothing changes", async () => {
    const before = await snapshotOf(db, { workspaces: true, memberships: true });
    const current = await acmeRow();
    expect(
      await updateWorkspaceSettings(db, await adminCtx(), { apiKeysEnabled: true, personalTokensAllowed: false, maxKeyLifetimeDays: 730 }),
    ).toEqual(current);
    expect(await updateWorkspaceSettings(db, await adminCtx(), {})).toEqual(current);
    expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(before);
  });

  it("forbids Managers (with or without the grant), Members and Guests, and writes nothing", async () => {
    const before = await snapshotOf(db, { workspaces: true, memberships: true });
    for (const email of ["manager@acme.test", "member@acme.test", "guest@acme.test"]) {
      await expect(updateWorkspaceSettings(db, await contextFor(db, email, "acme"), { apiKeysEnabled: false })).rejects.toMatchObject({
        name: "AppError",
        code: "forbidden",
        message: "Only workspace Admins can change the workspace's API settings.",
      });
    }
    const where = and(eq(memberships.userId, await userId(db, "manager@acme.test")), eq(memberships.workspaceId, acmeId));
    await db.update(memberships).set({ canManageApiKeys: true }).where(where);
    const grantedBefore = await snapshotOf(db, { workspaces: true, memberships: true });
    await expect(updateWorkspaceSettings(db, await contextFor(db, "manager@acme.test", "acme"), { apiKeysEnabled: false })).rejects.toMatchObject({
      code: "forbidden",
    });
    expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(grantedBefore);
    await db.update(memberships).set({ canManageApiKeys: false }).where(where);
    expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(before);
    // Another workspace's Admin cannot even see this one.
    await expect(contextFor(db, "admin@globex.test", "acme")).rejects.toMatchObject({ code: "not_found" });
  });

  it("lets a Global Admin change any workspace's settings", async () => {
    const ctx = await contextFor(db, "global@latchkey.test", "globex");
    const mark = await lastAuditEventId(db);
    expect(await updateWorkspaceSettings(db, ctx, { maxKeyLifetimeDays: 365 })).toMatchObject({ slug: "globex", maxKeyLifetimeDays: 365 });
    const [event] = await auditEventsAfter(db, mark);
    expect(event).toMatchObject({
      workspaceId: await workspaceId(db, "globex"),
      actorUserId: await userId(db, "global@latchkey.test"),
      targetName: "Globex Corp.",
    });
  });

  it("governs the expiry of keys created after the change", async () => {
    await updateWorkspaceSettings(db, await adminCtx(), { maxKeyLifetimeDays: 30 });
    try {
      const ctx = await adminCtx();
      const before = Date.now();
      const { key } = await createApiKey(db, ctx, { name: uniqueName("Thirty days") });
      const after = Date.now();
      expect(key.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 30 * DAY_MS);
      expect(key.expiresAt!.getTime()).toBeLessThanOrEqual(after + 30 * DAY_MS);

      const keysBefore = await db.select({ n: count() }).from(apiKeys);
      await expect(
        createApiKey(db, ctx, { name: uniqueName("Sixty days"), expiresAt: new Date(Date.now() + 60 * DAY_MS).toISOString() }),
      ).rejects.toMatchObject({ code: "validation", fieldErrors: { expiresAt: [expect.stringMatching(/maximum key lifetime is 30 days/)] } });
      await expect(createApiKey(db, ctx, { name: uniqueName("Never"), expiresAt: null })).rejects.toMatchObject({
        fieldErrors: { expiresAt: [expect.stringMatching(/within 30 days; "Never" is not allowed/)] },
      });
      expect(await db.select({ n: count() }).from(apiKeys)).toEqual(keysBefore);

      await updateWorkspaceSettings(db, await adminCtx(), { maxKeyLifetimeDays: null });
      const noMax = await adminCtx();
      expect((await createApiKey(db, noMax, { name: uniqueName("Default without maximum") })).key.expiresAt).toBeNull();
      expect((await createApiKey(db, noMax, { name: uniqueName("Never") })).key.expiresAt).toBeNull();
      const far = new Date(Date.now() + 3000 * DAY_MS);
      expect((await createApiKey(db, noMax, { name: uniqueName("Far"), expiresAt: far.toISOString() })).key.expiresAt).toEqual(far);
    } finally {
      await updateWorkspaceSettings(db, await adminCtx(), { maxKeyLifetimeDays: 730 });
    }
  });
});

describe("members", () => {
  let handle: OpenDatabase;
  let db: Db;
  let acmeId: string;
  let adminId: string;
  let managerId: string;
  let memberId: string;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
    acmeId = await workspaceId(db, "acme");
    adminId = await userId(db, "admin@acme.test");
    managerId = await userId(db, "manager@acme.test");
    memberId = await userId(db, "member@acme.test");
  });
  afterAll(() => handle.close());

  const adminCtx = () => contextFor(db, "admin@acme.test", "acme");
  const globalCtx = () => contextFor(db, "global@latchkey.test", "acme");

  describe("changeMemberRole", () => {
    it("changes the role, audits it, and a key owned by the member acts with the new role at once", async () => {
      const person = await addUser(db, { email: "riley@acme.test", name: "Riley Role", memberships: [["acme", "manager"]] });
      const { secret } = await createApiKey(db, await adminCtx(), { name: uniqueName("Riley's key"), ownerId: person });
      expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { role: "manager" } });

      const mark = await lastAuditEventId(db);
      expect(await changeMemberRole(db, await adminCtx(), person, "member")).toBe("member");
      expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { role: "member" } });
      const [m] = await db.select().from(memberships).where(eq(memberships.userId, person));
      expect(m.role).toBe("member");
      const events = await auditEventsAfter(db, mark);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: "member.role_changed",
        workspaceId: acmeId,
        actorUserId: adminId,
        targetName: "Riley Role",
        changes: { role: { from: "manager", to: "member" } },
        metadata: { userId: person },
      });

      expect(await changeMemberRole(db, await adminCtx(), person, "admin")).toBe("admin");
      expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { role: "admin" } });
      expect(await changeMemberRole(db, await adminCtx(), person, "guest")).toBe("guest");
      expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { role: "guest" } });
      expect((await auditEventsAfter(db, mark)).map((e) => e.changes)).toEqual([
        { role: { from: "manager", to: "member" } },
        { role: { from: "member", to: "admin" } },
        { role: { from: "admin", to: "guest" } },
      ]);
    });

    it("writes nothing when the role is unchanged", async () => {
      const before = await snapshotOf(db, { workspaces: true, memberships: true });
      expect(await changeMemberRole(db, await adminCtx(), memberId, "member")).toBe("member");
      expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(before);
    });

    it.each([["owner"], ["Admin"], [""], [null], [undefined], [3]])("refuses the role %j with a field error and writes nothing", async (role) => {
      const before = await snapshotOf(db, { workspaces: true, memberships: true });
      await expect(changeMemberRole(db, await adminCtx(), memberId, role)).rejects.toMatchObject({
        name: "AppError",
        code: "validation",
        fieldErrors: { role: ["Choose Admin, Manager, Member or Guest."] },
      });
      expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(before);
    });

    it("says not found for someone who is not a member here", async () => {
      const ctx = await adminCtx();
      await expect(changeMemberRole(db, ctx, await userId(db, "admin@globex.test"), "member")).rejects.toMatchObject({ code: "not_found" });
      await expect(changeMemberRole(db, ctx, await userId(db, "global@latchkey.test"), "member")).rejects.toMatchObject({ code: "not_found" });
      await expect(changeMemberRole(db, ctx, "not-a-uuid", "member")).rejects.toMatchObject({ code: "not_found" });
      await expect(changeMemberRole(db, ctx, "00000000-0000-4000-8000-000000000000", "member")).rejects.toMatchObject({ code: "not_found" });
    });
  });

  describe("the last Admin", () => {
    it("can be neither demoted nor removed, while a deleted user's admin membership does not count", async () => {
      // An Admin who has since been deleted (soft) does not keep the workspace administered.
      const ghost = await addUser(db, { email: "ghost-admin@acme.test", name: "Ghost Admin", memberships: [["acme", "admin"]] });
      await db.update(users).set({ deletedAt: new Date() }).where(eq(users.id, ghost));

      const before = await snapshotOf(db, { workspaces: true, memberships: true });
      for (const ctx of [await adminCtx(), await globalCtx()]) {
        const err = await changeMemberRole(db, ctx, adminId, "manager").catch((e: unknown) => e);
        expect(err).toMatchObject({ code: "validation", message: "A workspace needs at least one Admin." });
        expect((err as { fieldErrors: Record<string, string[]> }).fieldErrors.role[0]).toMatch(
          /^Ada Admin is the last Admin: a workspace needs at least one Admin/,
        );
        await expect(removeMember(db, ctx, adminId)).rejects.toMatchObject({
          code: "validation",
          fieldErrors: { role: [expect.stringMatching(/last Admin/)] },
        });
      }
      expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(before);
      expect((await membership(db, "admin@acme.test", "acme")).role).toBe("admin");
    });

    it("can step down once someone else is an Admin", async () => {
      const second = await addUser(db, { email: "second-admin@acme.test", name: "Sam Second", memberships: [["acme", "member"]] });
      await changeMemberRole(db, await adminCtx(), second, "admin");
      expect(await changeMemberRole(db, await adminCtx(), adminId, "manager")).toBe("manager");
      // Now Sam is the last Admin.
      await expect(changeMemberRole(db, await globalCtx(), second, "member")).rejects.toMatchObject({ code: "validation" });
      expect(await changeMemberRole(db, await globalCtx(), adminId, "admin")).toBe("admin");
      await removeMember(db, await adminCtx(), second);
    });
  });

  describe("only Admins manage members", () => {
    it("forbids Managers (even with the grant), Members and Guests everything, and writes nothing", async () => {
      const grant = and(eq(memberships.userId, managerId), eq(memberships.workspaceId, acmeId));
      for (const [email, withGrant] of [
        ["manager@acme.test", false],
        ["manager@acme.test", true],
        ["member@acme.test", false],
        ["guest@acme.test", false],
      ] as const) {
        await db.update(memberships).set({ canManageApiKeys: withGrant }).where(grant);
        const before = await snapshotOf(db, { workspaces: true, memberships: true });
        const ctx = await contextFor(db, email, "acme");
        const denied = { name: "AppError", code: "forbidden", message: "Only workspace Admins can manage members." };
        await expect(changeMemberRole(db, ctx, memberId, "guest")).rejects.toMatchObject(denied);
        await expect(changeMemberRole(db, ctx, ctx.userId!, "admin")).rejects.toMatchObject(denied);
        await expect(setManageApiKeysGrant(db, ctx, ctx.userId!, true)).rejects.toMatchObject(denied);
        await expect(removeMember(db, ctx, adminId)).rejects.toMatchObject(denied);
        await expect(listMembers(db, ctx)).rejects.toMatchObject(denied);
        expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(before);
      }
      await db.update(memberships).set({ canManageApiKeys: false }).where(grant);
    });
  });

  describe("setManageApiKeysGrant", () => {
    it("gives a Manager api_keys.manage, audits it, and takes it away again", async () => {
      const before = await contextFor(db, "manager@acme.test", "acme");
      expect(permissionsOf(before).has("api_keys.manage")).toBe(false);
      const { secret } = await createApiKey(db, await adminCtx(), { name: uniqueName("Max's key"), ownerId: managerId });
      expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { canManageApiKeys: false } });

      const mark = await lastAuditEventId(db);
      expect(await setManageApiKeysGrant(db, await adminCtx(), managerId, true)).toBe(true);
      const after = await contextFor(db, "manager@acme.test", "acme");
      expect(after.canManageApiKeys).toBe(true);
      expect(permissionsOf(after)).toEqual(new Set(["tokens.own", "api_keys.read", "api_keys.manage"]));
      expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { role: "manager", canManageApiKeys: true } });
      // The grant is usable straight away.
      const made = await createApiKey(db, after, { name: uniqueName("By Max") });
      expect(made.key.ownerId).toBe(managerId);

      const events = await auditEventsAfter(db, mark);
      const grantEvents = events.filter((e) => e.action === "member.grant_changed");
      expect(grantEvents).toHaveLength(1);
      expect(grantEvents[0]).toMatchObject({
        workspaceId: acmeId,
        actorUserId: adminId,
        targetName: "Max Manager",
        changes: { canManageApiKeys: { from: false, to: true } },
        metadata: { userId: managerId },
      });

      // Granting again changes nothing.
      const same = await snapshotOf(db, { workspaces: true, memberships: true });
      expect(await setManageApiKeysGrant(db, await adminCtx(), managerId, true)).toBe(true);
      expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(same);

      expect(await setManageApiKeysGrant(db, await adminCtx(), managerId, false)).toBe(false);
      const revoked = await contextFor(db, "manager@acme.test", "acme");
      expect(permissionsOf(revoked).has("api_keys.manage")).toBe(false);
      await expect(createApiKey(db, revoked, { name: uniqueName("Too late") })).rejects.toMatchObject({ code: "forbidden" });
      expect((await auditEventsAfter(db, mark)).filter((e) => e.action === "member.grant_changed").map((e) => e.changes)).toEqual([
        { canManageApiKeys: { from: false, to: true } },
        { canManageApiKeys: { from: true, to: false } },
      ]);
    });

    it("refuses anything but true or false with a field error, and writes nothing", async () => {
      const before = await snapshotOf(db, { workspaces: true, memberships: true });
      for (const value of ["true", 1, null, undefined]) {
        await expect(setManageApiKeysGrant(db, await adminCtx(), managerId, value)).rejects.toMatchObject({
          code: "validation",
          fieldErrors: { canManageApiKeys: ["Manage API Keys must be granted (true) or not (false)."] },
        });
      }
      expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(before);
    });

    it("gives a Guest nothing on the API tab, grant or not", async () => {
      await setManageApiKeysGrant(db, await adminCtx(), await userId(db, "guest@acme.test"), true);
      const guest = await contextFor(db, "guest@acme.test", "acme");
      expect(guest.canManageApiKeys).toBe(true);
      expect(permissionsOf(guest).size).toBe(0);
      await setManageApiKeysGrant(db, await adminCtx(), await userId(db, "guest@acme.test"), false);
    });
  });

  describe("removeMember", () => {
    it("removes the membership, audits it, and every key acting as the member stops working at once", async () => {
      await setWorkspace(db, "acme", { personalTokensAllowed: true });
      const person = await addUser(db, { email: "rita@acme.test", name: "Rita Remove", memberships: [["acme", "member"]] });
      const key = await createApiKey(db, await adminCtx(), { name: uniqueName("Rita's key"), ownerId: person });
      const token = await createMyToken(db, await contextFor(db, "rita@acme.test", "acme"), { name: "Rita's laptop" });
      for (const secret of [key.secret, token.secret]) expect((await verifyApiKey(db, secret, { via: "x-apikey" })).ok).toBe(true);

      const mark = await lastAuditEventId(db);
      expect(await removeMember(db, await adminCtx(), person)).toEqual({ name: "Rita Remove" });
      expect(await db.select().from(memberships).where(eq(memberships.userId, person))).toEqual([]);
      for (const secret of [key.secret, token.secret])
        expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: false, code: "owner_removed", status: 403 });
      const events = await auditEventsAfter(db, mark);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: "member.removed",
        workspaceId: acmeId,
        actorUserId: adminId,
        targetName: "Rita Remove",
        changes: { role: { from: "member", to: null } },
        metadata: { userId: person },
      });
      // They can no longer open the workspace, and are gone from the member list.
      await expect(contextFor(db, "rita@acme.test", "acme")).rejects.toMatchObject({ code: "not_found" });
      expect((await listMembers(db, await adminCtx())).map((m) => m.userId)).not.toContain(person);
      // Removing them again: not found, nothing written.
      const before = await snapshotOf(db, { workspaces: true, memberships: true });
      await expect(removeMember(db, await adminCtx(), person)).rejects.toMatchObject({ code: "not_found" });
      expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(before);
      await setWorkspace(db, "acme", { personalTokensAllowed: false });
    });

    it("leaves the member's standing in other workspaces alone", async () => {
      const person = await addUser(db, {
        email: "dual@acme.test",
        name: "Dana Dual",
        memberships: [
          ["acme", "member"],
          ["globex", "admin"],
        ],
      });
      const globexKey = await createApiKey(db, await contextFor(db, "admin@globex.test", "globex"), {
        name: uniqueName("Dana's globex key"),
        ownerId: person,
      });
      await removeMember(db, await adminCtx(), person);
      expect(await verifyApiKey(db, globexKey.secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { role: "admin" } });
      expect((await contextFor(db, "dual@acme.test", "globex")).role).toBe("admin");
    });
  });

  describe("addMember", () => {
    it("adds an existing user with a role, audited; their keys work again", async () => {
      const person = await addUser(db, { email: "back@acme.test", name: "Bo Back", memberships: [["acme", "member"]] });
      const key = await createApiKey(db, await adminCtx(), { name: uniqueName("Bo's key"), ownerId: person });
      await removeMember(db, await adminCtx(), person);
      expect(await verifyApiKey(db, key.secret, { via: "x-apikey" })).toMatchObject({ ok: false, code: "owner_removed" });

      const mark = await lastAuditEventId(db);
      expect(await addMember(db, await adminCtx(), { email: "  BACK@acme.test ", role: "manager" })).toEqual({ name: "Bo Back", role: "manager" });
      expect(await verifyApiKey(db, key.secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { role: "manager" } });
      expect(await auditEventsAfter(db, mark)).toEqual([
        expect.objectContaining({
          action: "member.added",
          targetName: "Bo Back",
          changes: { role: { from: null, to: "manager" } },
          metadata: { userId: person },
        }),
      ]);
    });

    it("refuses unknown emails, existing members and bad roles with field messages, writing nothing", async () => {
      const before = await snapshotOf(db, { workspaces: true, memberships: true });
      await expect(addMember(db, await adminCtx(), { email: "nobody@acme.test", role: "member" })).rejects.toMatchObject({
        code: "validation",
        fieldErrors: { email: ["No Latchkey user has the email nobody@acme.test."] },
      });
      await expect(addMember(db, await adminCtx(), { email: "member@acme.test", role: "member" })).rejects.toMatchObject({
        fieldErrors: { email: ["Mia Member is already a member."] },
      });
      await expect(addMember(db, await adminCtx(), { email: "not an email", role: "member" })).rejects.toMatchObject({
        fieldErrors: { email: [expect.stringMatching(/email address/)] },
      });
      await expect(addMember(db, await adminCtx(), { email: "admin@globex.test", role: "owner" })).rejects.toMatchObject({
        fieldErrors: { role: [expect.any(String)] },
      });
      expect(await snapshotOf(db, { workspaces: true, memberships: true })).toBe(before);
    });

    it("is for Admins only", async () => {
      for (const email of ["manager@acme.test", "member@acme.test", "guest@acme.test"])
        await expect(addMember(db, await contextFor(db, email, "acme"), { email: "admin@globex.test", role: "guest" })).rejects.toMatchObject({
          code: "forbidden",
        });
    });
  });
});

describe("listMembers (own database)", () => {
  let handle: OpenDatabase;
  let fdb: Db;

  beforeAll(async () => {
    handle = await createTestDatabase();
    fdb = handle.db;
    await seedFixtures(fdb);
  });
  afterAll(() => handle.close());

  it("lists live members by name with their live keys and tokens in this workspace", async () => {
    const admin = () => contextFor(fdb, "admin@acme.test", "acme");
    const mia = await userId(fdb, "member@acme.test");
    const initial = await listMembers(fdb, await admin());
    expect(initial.map((m) => [m.name, m.email, m.role, m.canManageApiKeys, m.liveKeys])).toEqual([
      ["Ada Admin", "admin@acme.test", "admin", false, 2], // Billing sync, Legacy importer (disabled still counts)
      ["Gus Guest", "guest@acme.test", "guest", false, 0],
      ["Max Manager", "manager@acme.test", "manager", false, 1], // Reporting dashboard
      ["Mia Member", "member@acme.test", "member", false, 0],
    ]);
    expect(initial[0]).toMatchObject({ userId: await userId(fdb, "admin@acme.test"), joinedAt: expect.any(Date) });

    // Mia: two keys (one then revoked), a personal token; and a key in another workspace.
    await setWorkspace(fdb, "acme", { personalTokensAllowed: true });
    await createApiKey(fdb, await admin(), { name: "Mia one", ownerId: mia });
    const two = await createApiKey(fdb, await admin(), { name: "Mia two", ownerId: mia });
    await revokeApiKey(fdb, await admin(), two.key.id);
    await createMyToken(fdb, await contextFor(fdb, "member@acme.test", "acme"), { name: "Mia's phone" });
    await fdb.insert(memberships).values({ userId: mia, workspaceId: await workspaceId(fdb, "globex"), role: "member" });
    await createApiKey(fdb, await contextFor(fdb, "admin@globex.test", "globex"), { name: "Mia at Globex", ownerId: mia });
    // A service key belongs to nobody.
    await createApiKey(fdb, await admin(), { name: "Another service key", ownerId: null });
    // A deleted user is not listed.
    const gone = await addUser(fdb, { email: "aaron@acme.test", name: "Aaron Gone", memberships: [["acme", "member"]] });
    await fdb.update(users).set({ deletedAt: new Date() }).where(eq(users.id, gone));
    await setManageApiKeysGrant(fdb, await admin(), await userId(fdb, "manager@acme.test"), true);

    const members = await listMembers(fdb, await admin());
    expect(members.map((m) => [m.name, m.canManageApiKeys, m.liveKeys])).toEqual([
      ["Ada Admin", false, 2],
      ["Gus Guest", false, 0],
      ["Max Manager", true, 1],
      ["Mia Member", false, 2],
    ]);
    // A Global Admin who is not a member sees the same list.
    expect(await listMembers(fdb, await contextFor(fdb, "global@latchkey.test", "acme"))).toEqual(members);
  });
});
